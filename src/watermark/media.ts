/**
 * One entry point for the watermark of any media kind, dispatched through the registry of schemes
 * (schemes/): images mark luma pixels, video marks luma over groups of frames (and the audio track
 * when there is one), audio marks the signal. protect()/inspect() and the CLI call these; each
 * scheme's adapter is loaded on first use.
 */
import { UnsupportedFormatError, WatermarkError } from '../errors.js';
import { FORMATS, type FormatInfo } from '../media/sniff.js';
import type { MediaInput } from '../types.js';
import {
  watermarkSchemes,
  watermarkSchemesFor,
  type WatermarkDetectOptions,
  type WatermarkEmbedOptions,
  type WatermarkScheme,
} from './schemes/index.js';
import type { SoftBindingId } from './softbinding.js';

export type MediaWatermarkOptions = WatermarkEmbedOptions;

export interface MediaWatermarkReading {
  readonly found: boolean;
  readonly payload?: SoftBindingId;
  readonly confidence: number;
  readonly reason?: string;
  /** Which signal carried the mark. */
  readonly carrier?: 'pixels' | 'video' | 'audio';
  /** Identifier of the scheme that read the mark (when found), e.g. `org.provmark.watermark.image.1`. */
  readonly scheme?: string;
}

function unsupported(format: FormatInfo): never {
  const kinds = (['image', 'video', 'audio'] as const).map((medium) => {
    const names = watermarkSchemes()
      .filter((s) => s.medium === medium && s.embed)
      .flatMap((s) => s.formats.filter((f) => FORMATS[f].kind === medium).map((f) => f.toUpperCase()));
    return names.length > 0 ? `${medium} (${[...new Set(names)].join(', ')})` : undefined;
  });
  throw new UnsupportedFormatError(`Watermarks are not available for ${format.mime}`, {
    hint: `These can be watermarked: ${kinds.filter(Boolean).join(', ')}.`,
  });
}

/** The marked file and the schemes that marked it, the format's own medium first. */
export interface EmbeddedWatermark {
  readonly bytes: Uint8Array;
  readonly schemes: readonly WatermarkScheme[];
}

/**
 * Embed `payload` with every scheme that marks this format (a video's frames, then its
 * soundtrack); the output keeps the container format.
 *
 * @example
 * ```ts
 * const { bytes, schemes } = await embedWatermark(input, sniffFormat(input), { payload: id });
 * ```
 */
export async function embedWatermark(
  bytes: Uint8Array,
  format: FormatInfo,
  options: WatermarkEmbedOptions,
): Promise<EmbeddedWatermark> {
  const candidates = watermarkSchemesFor(format, 'embed');
  if (candidates[0]?.medium !== format.kind) return unsupported(format);
  let out = bytes;
  const used: WatermarkScheme[] = [];
  for (const scheme of candidates) {
    const marked = await scheme.embed!(out, format, options);
    if (marked === undefined) {
      if (used.length === 0) {
        throw new WatermarkError(`The ${scheme.name} found nothing to mark in this ${format.mime} file`);
      }
      continue;
    }
    out = marked;
    used.push(scheme);
  }
  return { bytes: out, schemes: used };
}

/** Embed `payload` in media of any supported kind; the output keeps the container format. */
export async function embedMediaWatermark(
  bytes: Uint8Array,
  format: FormatInfo,
  options: MediaWatermarkOptions,
): Promise<Uint8Array> {
  return (await embedWatermark(bytes, format, options)).bytes;
}

/**
 * Read the mark of media of any supported kind: each scheme that reads the format in turn (its
 * own medium first, newer versions first) until one finds a mark. Never throws on bad content.
 */
export async function detectMediaWatermark(
  input: MediaInput,
  format: FormatInfo,
  options: WatermarkDetectOptions = {},
): Promise<MediaWatermarkReading> {
  const candidates = watermarkSchemesFor(format, 'detect');
  let first: MediaWatermarkReading | undefined;
  for (const scheme of candidates) {
    const d = await scheme.detect(input, format, options);
    const reading: MediaWatermarkReading = {
      found: d.found,
      ...(d.payload ? { payload: d.payload } : {}),
      confidence: d.confidence,
      ...(d.reason ? { reason: d.reason } : {}),
      ...(d.found
        ? { carrier: scheme.medium === 'image' ? 'pixels' : scheme.medium, scheme: scheme.id }
        : {}),
    };
    if (reading.found) return reading;
    first ??= reading;
  }
  return first ?? { found: false, confidence: 0, reason: `no watermark reader for ${format.mime}` };
}
