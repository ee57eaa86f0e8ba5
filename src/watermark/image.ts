/**
 * Image adapter: decodes through src/media/image.ts, runs the pure core on a luma plane, and
 * re-encodes in the original format.
 */
import { MediaTooSmallError } from '../errors.js';
import { deriveWatermarkSeed } from './key.js';
import { checkStrength, notFoundFromContentError } from './options.js';
import { decodeImagePixels, decodeLumaPlane, encodeImagePixels } from '../media/image.js';
import { readMediaInput } from '../media/io.js';
import type { MediaInput } from '../types.js';
import {
  MIN_DETECT_SIDE,
  MIN_EMBED_SIDE,
  WORK_AREA,
  WINDOW_MIN_SOURCE_AREA,
  WINDOW_PLANE_AREA,
  computeMarkDelta,
  detectMark,
  detectMarkInWindows,
  type CoreDetection,
} from './core/index.js';
import { parseSoftBindingId, type SoftBindingId } from './softbinding.js';

// The key derivation is shared by every scheme (key.ts); re-exported here for existing imports.
export { DEFAULT_WATERMARK_KEY, deriveWatermarkSeed } from './key.js';

export interface EmbedImageWatermarkOptions {
  /** The 64-bit soft-binding id to embed (16 hex digits). */
  readonly payload: SoftBindingId;
  /** Amplitude multiplier, 0.25–4 (default 1: PSNR ≈ 43 dB on photographs). */
  readonly strength?: number;
  /** Key for a private mark (string or bytes). Default: the public key. */
  readonly key?: string | Uint8Array;
  /** Output quality for lossy formats (1–100). Default: the input JPEG's estimated quality. */
  readonly quality?: number;
  /** Pixel cap checked before decoding (default 100 MP). */
  readonly maxPixels?: number;
}

export interface DetectImageWatermarkOptions {
  /** Key the mark was made with. Default: the public key. */
  readonly key?: string | Uint8Array;
  /** Pixel cap checked before decoding (default 100 MP). */
  readonly maxPixels?: number;
}

export interface ImageWatermarkDetection {
  readonly found: boolean;
  /** The embedded id, only when `found`. */
  readonly payload?: SoftBindingId;
  /** Score in [0, 1] (0.5 at the decision thresholds); `found` is the decision, not this number. */
  readonly confidence: number;
  /** Coded bits the error correction had to fix (out of 258), when a decode was attempted. */
  readonly bitErrors?: number;
  /** Why nothing was found (small image, undecodable input, no pattern, failed check). */
  readonly reason?: string;
  /** Estimated geometry of the mark relative to how it was embedded (for diagnostics). */
  readonly geometry?: {
    readonly scale: number;
    readonly rotationDegrees: number;
    readonly flipped: boolean;
    readonly quarterTurns: number;
  };
  /** Pilot correlation z-score (diagnostics; a decode is trusted from 4.5). */
  readonly pilotZ?: number;
}

/**
 * Embed `payload` as an invisible watermark and return the re-encoded image (same format,
 * dimensions, ICC profile and EXIF orientation; JPEG at the input's estimated quality).
 *
 * @example
 * ```ts
 * const marked = await embedImageWatermark('photo.jpg', { payload: '0123456789abcdef' });
 * await writeFile('photo.marked.jpg', marked);
 * ```
 */
export async function embedImageWatermark(
  input: MediaInput,
  options: EmbedImageWatermarkOptions,
): Promise<Uint8Array> {
  if (typeof options !== 'object' || options === null) throw new TypeError('Expected an options object');
  const id = parseSoftBindingId(options.payload, 'payload');
  const strength = checkStrength(options.strength);
  const seed = deriveWatermarkSeed(options.key);
  const limits = options.maxPixels === undefined ? undefined : { maxPixels: options.maxPixels };
  const bytes = await readMediaInput(input);
  const pixels = await decodeImagePixels(bytes, limits);
  const { width, height, channels, data } = pixels;
  if (Math.min(width, height) < MIN_EMBED_SIDE) {
    throw new MediaTooSmallError(
      `Image is ${width}×${height}; watermarking needs at least ${MIN_EMBED_SIDE} px on the short side`,
      { details: { width, height, minSide: MIN_EMBED_SIDE } },
    );
  }
  const payload = Uint8Array.from(Buffer.from(id, 'hex'));
  markPixels(data, width, height, channels, { seed, payload, strength });
  return encodeImagePixels(pixels, bytes, options.quality === undefined ? {} : { quality: options.quality });
}

/**
 * Add the mark to interleaved 8-bit pixels in place (same offset on every colour channel).
 *
 * @example
 * ```ts
 * markPixels(rgb, width, height, 3, { seed: deriveWatermarkSeed(undefined), payload, strength: 1 });
 * ```
 */
export function markPixels(
  data: Uint8Array,
  width: number,
  height: number,
  channels: number,
  params: { seed: Uint8Array; payload: Uint8Array; strength: number },
): void {
  const colour = channels >= 3;
  const n = width * height;
  const plane = new Float32Array(n);
  if (colour) {
    // Rec. 601 luma: the weights libvips uses for greyscale, which is what the detector reads.
    for (let i = 0, p = 0; i < n; i++, p += channels) {
      plane[i] = 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
    }
  } else {
    for (let i = 0, p = 0; i < n; i++, p += channels) plane[i] = data[p]!;
  }
  computeMarkDelta(plane, width, height, params, plane);
  // A clamped view rounds and saturates on store, which is exactly what is wanted here.
  const out = new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength);
  if (colour) {
    for (let i = 0, p = 0; i < n; i++, p += channels) {
      const d = plane[i]!;
      out[p] = data[p]! + d;
      out[p + 1] = data[p + 1]! + d;
      out[p + 2] = data[p + 2]! + d;
    }
  } else {
    for (let i = 0, p = 0; i < n; i++, p += channels) out[p] = data[p]! + plane[i]!;
  }
}

/**
 * Look for a watermark. Never throws for bad or unmarked content: the result says `found: false`
 * with a `reason`. Throws only for misuse (bad options) or unreadable paths.
 *
 * @example
 * ```ts
 * const r = await detectImageWatermark(bytes);
 * if (r.found) console.log(r.payload, r.confidence);
 * ```
 */
export async function detectImageWatermark(
  input: MediaInput,
  options: DetectImageWatermarkOptions = {},
): Promise<ImageWatermarkDetection> {
  if (typeof options !== 'object' || options === null) throw new TypeError('Expected an options object');
  const seed = deriveWatermarkSeed(options.key);
  const limits = options.maxPixels === undefined ? undefined : { maxPixels: options.maxPixels };
  const bytes = await readMediaInput(input);
  let det;
  try {
    det = await detectImageCore(bytes, seed, limits);
  } catch (err) {
    return notFoundFromContentError(err);
  }
  if (!det.result) return { found: false, confidence: 0, reason: det.reason };
  return toPublic(det.result);
}

/** What {@link detectImageCore} found: the core's result, or why detection was not attempted. */
export interface CoreImageDetection {
  readonly result?: CoreDetection;
  readonly reason: string;
  /** True when the first pass found nothing and the window search ran. */
  readonly windowPass: boolean;
}

/**
 * The detection path of {@link detectImageWatermark} on encoded bytes, with the core's full result
 * (the benchmark uses it for bit accuracy and timing). Decoding errors propagate.
 *
 * @example
 * ```ts
 * const { result } = await detectImageCore(bytes, deriveWatermarkSeed(undefined));
 * ```
 */
export async function detectImageCore(
  bytes: Uint8Array,
  seed: Uint8Array,
  limits?: { maxPixels: number },
): Promise<CoreImageDetection> {
  const decoded = await decodeLumaPlane(bytes, WORK_AREA, limits);
  const { info } = decoded;
  if (Math.min(info.width, info.height) < MIN_DETECT_SIDE) {
    return {
      reason: `image is ${info.width}×${info.height}, under the ${MIN_DETECT_SIDE} px minimum for detection`,
      windowPass: false,
    };
  }
  const result = detectMark(decoded.plane, decoded.width, decoded.height, { seed });
  if (result.found || info.width * info.height < WINDOW_MIN_SOURCE_AREA) {
    return { result, reason: result.reason ?? '', windowPass: false };
  }
  // Nothing on the whole frame: the marked picture may fill only a part of it (a collage cell).
  // Read the frame again at four working areas and search its quadrants at that resolution.
  const fine = await decodeLumaPlane(bytes, WINDOW_PLANE_AREA, limits);
  const inWindow = detectMarkInWindows(fine.plane, fine.width, fine.height, { seed });
  const chosen = inWindow.found ? inWindow : result;
  return { result: chosen, reason: chosen.reason ?? '', windowPass: true };
}

/**
 * Core detection on a working-area luma plane, mapped to the public result shape.
 *
 * @example
 * ```ts
 * const r = detectPlane(plane, w, h, deriveWatermarkSeed(undefined));
 * ```
 */
export function detectPlane(
  plane: Float32Array,
  width: number,
  height: number,
  seed: Uint8Array,
): ImageWatermarkDetection {
  return toPublic(detectMark(plane, width, height, { seed }));
}

function toPublic(r: CoreDetection): ImageWatermarkDetection {
  const geometry = {
    scale: round(r.scale, 4),
    rotationDegrees: round(r.rotation, 2),
    flipped: r.flipped,
    quarterTurns: r.quarterTurns,
  };
  const common = {
    confidence: round(r.confidence, 4),
    bitErrors: r.bitErrors,
    geometry,
    pilotZ: round(r.pilotZ, 2),
  };
  if (r.found && r.payload) {
    return { found: true, payload: Buffer.from(r.payload).toString('hex'), ...common };
  }
  return { found: false, ...common, reason: r.reason ?? 'not found' };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
