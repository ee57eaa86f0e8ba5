/** Decoding a video stream to raw 8-bit frames and an audio stream to float PCM, over pipes. */
import { UnsupportedFormatError } from '../../errors.js';
import { probeFile } from './probe.js';
import { readRecords } from './run.js';

export interface DecodeVideoOptions {
  /** Absolute stream index (default: the first video stream). */
  readonly streamIndex?: number;
  /**
   * 'gray' yields the luma plane only; 'yuv420p' yields Y, U, V planes back to back;
   * 'yuvj420p' the same layout with full-range samples left as they are (see {@link rawFrameFormat}).
   * Default: {@link rawFrameFormat} of the stream.
   */
  readonly pixelFormat?: 'gray' | 'yuv420p' | 'yuvj420p';
  /** Rescale to this size (e.g. a detector's working grid). Default: the coded size. */
  readonly size?: { readonly width: number; readonly height: number };
  /** Start decoding at this time (seconds, input seek). */
  readonly startSeconds?: number;
  /** Stop after this many seconds of video. */
  readonly maxSeconds?: number;
  /**
   * Keep every decoded frame with its own timing (no duplication/dropping to a constant rate).
   * Default true; the decoded frames then match {@link probeFrameTimes} one to one.
   */
  readonly passthrough?: boolean;
  /** Treat decoding errors as fatal (CorruptMediaError) instead of concealing them. Default false. */
  readonly strict?: boolean;
  /**
   * Yield only these frames: 0-based numbers in decode order (the order {@link probeFrameTimes}
   * lists them in, with `passthrough`), ascending. The others are decoded but never piped.
   */
  readonly selectFrames?: readonly number[];
}

/** Bytes of one frame in `pixelFormat` at width × height. */
export function frameBytes(
  width: number,
  height: number,
  pixelFormat: 'gray' | 'yuv420p' | 'yuvj420p',
): number {
  const luma = width * height;
  return pixelFormat === 'gray' ? luma : luma + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
}

/**
 * The 8-bit planar layout frames of this stream travel in: 'yuvj420p' for full-range JPEG-style
 * streams (asking for 'yuv420p' would make swscale squeeze them to limited range, and the output,
 * still tagged full range, would look washed out), 'yuv420p' otherwise (10-bit and 4:2:2/4:4:4
 * sources are reduced to 8-bit 4:2:0).
 */
export function rawFrameFormat(info: { readonly pixelFormat?: string }): 'yuv420p' | 'yuvj420p' {
  return info.pixelFormat === 'yuvj420p' ? 'yuvj420p' : 'yuv420p';
}

/**
 * `eq(n,a)+eq(n,b)+…` as a balanced tree of parenthesised sums: ffmpeg's expression parser refuses
 * a flat chain of about a hundred terms (its nesting guard), while a tree nests only log2(n) deep.
 */
function anyFrame(picks: readonly number[], from: number, to: number): string {
  if (to - from === 1) return `eq(n\\,${picks[from] as number})`;
  const mid = (from + to) >>> 1;
  return `(${anyFrame(picks, from, mid)}+${anyFrame(picks, mid, to)})`;
}

/**
 * Decode a video stream to raw 8-bit frames (no rotation applied: frames are in stored
 * orientation, so marks survive players that rotate on display).
 *
 * @example
 * ```ts
 * for await (const frame of decodeVideoFrames('clip.mp4', { width: 640, height: 360, pixelFormat: 'gray' })) {
 *   // frame.length === 640 * 360
 * }
 * ```
 */
export function decodeVideoFrames(
  path: string,
  info: {
    readonly width: number;
    readonly height: number;
    readonly index?: number;
    readonly pixelFormat?: string;
  },
  options: DecodeVideoOptions = {},
): AsyncGenerator<Uint8Array> {
  const pixelFormat = options.pixelFormat ?? rawFrameFormat(info);
  const width = options.size?.width ?? info.width;
  const height = options.size?.height ?? info.height;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 2) {
    throw new RangeError(`Expected integer frame size of at least 2×2 but received ${width}×${height}`);
  }
  const streamIndex = options.streamIndex ?? info.index;
  const args: string[] = [];
  if (options.strict) args.push('-xerror');
  args.push('-noautorotate');
  if (options.startSeconds !== undefined && options.startSeconds > 0)
    args.push('-ss', String(options.startSeconds));
  args.push('-i', path);
  if (options.maxSeconds !== undefined) args.push('-t', String(options.maxSeconds));
  args.push('-map', streamIndex === undefined ? '0:v:0' : `0:${streamIndex}`);
  const filters: string[] = [];
  if (options.selectFrames) {
    const picks = options.selectFrames;
    picks.forEach((n, i) => {
      if (!Number.isInteger(n) || n < 0 || (i > 0 && n <= (picks[i - 1] as number))) {
        throw new RangeError('Expected ascending non-negative integer frame numbers for selectFrames');
      }
    });
    filters.push(`select='${picks.length === 0 ? '0' : anyFrame(picks, 0, picks.length)}'`);
  }
  if (options.size) filters.push(`scale=${width}:${height}:flags=area`);
  filters.push(`format=${pixelFormat}`);
  args.push('-vf', filters.join(','));
  if (options.passthrough ?? true) args.push('-vsync', 'passthrough');
  args.push('-an', '-sn', '-dn', '-f', 'rawvideo', '-pix_fmt', pixelFormat, 'pipe:1');
  return readRecords(args, frameBytes(width, height, pixelFormat));
}

export interface DecodeAudioOptions {
  /** Absolute stream index (default: the first audio stream). */
  readonly streamIndex?: number;
  /** Resample to this rate (default: the stream's rate). */
  readonly sampleRate?: number;
  /** Mix to this many channels (default: the stream's channel count). */
  readonly channels?: number;
  readonly startSeconds?: number;
  readonly maxSeconds?: number;
  /** Samples per channel in each yielded block (default 65536; the last block may be shorter). */
  readonly blockFrames?: number;
}

/**
 * Decode an audio stream to interleaved float32 PCM blocks (`channels` values per sample frame).
 *
 * @example
 * ```ts
 * for await (const block of decodeAudioPcm('song.mp3', { sampleRate: 48000, channels: 1 })) { ... }
 * ```
 */
export async function* decodeAudioPcm(
  path: string,
  options: DecodeAudioOptions = {},
): AsyncGenerator<Float32Array> {
  let channels = options.channels;
  if (channels === undefined) {
    const p = await probeFile(path);
    const a =
      options.streamIndex === undefined ? p.audio[0] : p.audio.find((s) => s.index === options.streamIndex);
    if (!a) throw new UnsupportedFormatError('The input has no audio stream', { details: { path } });
    channels = a.channels;
  }
  if (!Number.isInteger(channels) || channels < 1) {
    throw new RangeError(`Expected a positive integer for channels but received ${String(channels)}`);
  }
  const blockFrames = options.blockFrames ?? 65536;
  const args: string[] = [];
  if (options.startSeconds !== undefined && options.startSeconds > 0)
    args.push('-ss', String(options.startSeconds));
  args.push('-i', path);
  if (options.maxSeconds !== undefined) args.push('-t', String(options.maxSeconds));
  args.push('-map', options.streamIndex === undefined ? '0:a:0' : `0:${options.streamIndex}`);
  args.push('-vn', '-sn', '-dn', '-ac', String(channels));
  if (options.sampleRate !== undefined) args.push('-ar', String(options.sampleRate));
  args.push('-f', 'f32le', '-c:a', 'pcm_f32le', 'pipe:1');
  for await (const rec of readRecords(args, blockFrames * channels * 4)) {
    // A fresh, aligned buffer per record (readRecords never reuses one), so the view is safe.
    const whole = rec.byteLength - (rec.byteLength % (4 * channels));
    yield new Float32Array(rec.buffer, rec.byteOffset, whole / 4);
  }
}
