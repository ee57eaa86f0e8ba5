/**
 * The asset value: one input, read once, with the format sniffed once from its bytes. The public
 * functions take a {@link MediaInput} (a path or bytes) and turn it into an asset at their door;
 * everything behind them (signing, verification, watermark and detector steps) takes the asset, so
 * a file walked through protect() or inspect() is read and sniffed once.
 */
import type { MediaInput } from '../types.js';
import { readMediaInput, type ByteLimit } from './io.js';
import { sniffFormat, type FormatInfo } from './sniff.js';

export interface MediaAsset {
  /** The whole input; never copied from what the caller passed. */
  readonly bytes: Uint8Array;
  /** Sniffed from `bytes` (never from a file name). */
  readonly format: FormatInfo;
}

/**
 * Read `input` (size-capped by `limit`) and sniff its format. Throws what {@link readMediaInput}
 * and {@link sniffFormat} throw: coded file errors, ERR_MEDIA_TOO_LARGE, ERR_UNSUPPORTED_FORMAT,
 * ERR_CORRUPT_MEDIA.
 */
export async function readAsset(input: MediaInput, name: string, limit?: ByteLimit): Promise<MediaAsset> {
  return assetOf(await readMediaInput(input, name, limit));
}

/** The asset of bytes already read. */
export function assetOf(bytes: Uint8Array): MediaAsset {
  return { bytes, format: formatOf(bytes) };
}

/**
 * The asset of bytes a step produced in a known format (a watermark or a signature keeps the
 * container), so that nothing sniffs them again.
 */
export function assetWithFormat(bytes: Uint8Array, format: FormatInfo): MediaAsset {
  known.set(bytes, format);
  return { bytes, format };
}

/**
 * Formats already sniffed, by the very byte array they were sniffed from. provmark never changes
 * input bytes in place (every step returns new bytes), so the answer stays true for the array.
 */
const known = new WeakMap<Uint8Array, FormatInfo>();

/**
 * The format of `bytes`: the asset's when these bytes are an asset's, else sniffed now (and kept).
 * The media adapters ask this instead of sniffing, so bytes handed down from an asset are not
 * sniffed again by each step that needs their format.
 */
export function formatOf(bytes: Uint8Array): FormatInfo {
  let format = known.get(bytes);
  if (format === undefined) {
    format = sniffFormat(bytes);
    known.set(bytes, format);
  }
  return format;
}
