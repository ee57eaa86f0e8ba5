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
  return { bytes, format: sniffFormat(bytes) };
}
