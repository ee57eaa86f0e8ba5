/**
 * Video watermark, file adapter: the 64-bit soft-binding id in the luma of every frame. ffmpeg
 * decodes and encodes (src/media/ffmpeg.ts); the signal processing (layout, per-frame embedding,
 * detection, decision) is pure and lives in the core: core/video2.ts for the current layout
 * (`org.provmark.watermark.video.2`, a translation-invariant tile that survives crops, padding and
 * picture-in-picture), core/video.ts for the first one (`video.1`, a frame-relative grid), which
 * the detector still reads.
 */
import { CorruptMediaError, MediaTooSmallError, UnsupportedFormatError } from '../errors.js';
import { checkStrength, notFoundFromContentError } from './options.js';
import { decodeVideoFrames } from '../media/ffmpeg/decode.js';
import { encodeVideoWithStreams, type VideoEncodeSettings } from '../media/ffmpeg/encode.js';
import { withMediaFile, withTempDir } from '../media/ffmpeg/media-file.js';
import { probeFrameTimes, probeMedia, type VideoStreamInfo } from '../media/ffmpeg/probe.js';
import type { MediaInput } from '../types.js';
import {
  MIN_VIDEO_DETECT_SIDE,
  MIN_VIDEO_EMBED_SIDE,
  VideoMarkDetectorV1,
  addLumaOffset,
  planVideoMark,
} from './core/video.js';
import { VideoMarkDetectorV2, planVideoMarkV2 } from './core/video2.js';
import { deriveWatermarkSeed } from './key.js';
import { parseSoftBindingId, type SoftBindingId } from './softbinding.js';

export { MIN_VIDEO_DETECT_SIDE, MIN_VIDEO_EMBED_SIDE, VIDEO_PILOT_MIN } from './core/video.js';

export interface EmbedVideoWatermarkOptions {
  /** The 64-bit soft-binding id to embed (16 hex digits). */
  readonly payload: SoftBindingId;
  /** Key for a private mark (string or bytes). Default: the public key. */
  readonly key?: string | Uint8Array;
  /** Amplitude multiplier, 0.25–4 (default 1: luma PSNR of the mark ≈ 41.2 dB). */
  readonly strength?: number;
  /** Output encoder settings (default libx264, or libx265 for HEVC input; CRF 18; preset medium). */
  readonly encoder?: VideoEncodeSettings;
  /**
   * Layout: 2 (default, `org.provmark.watermark.video.2`) or 1 (the first layout, a frame-relative
   * grid that does not survive crops; kept to reproduce old marks, e.g. in tests).
   */
  readonly version?: 1 | 2;
  /** Layout 1 only: frames per group holding one pattern sign (default: about one second of frames). */
  readonly groupFrames?: number;
  /** Called after each frame with the running count, the total when known and the rate. */
  readonly onProgress?: (progress: VideoProgress) => void;
}

export interface VideoProgress {
  readonly frames: number;
  readonly totalFrames?: number;
  /** Frames per second processed so far. */
  readonly fps: number;
}

export interface DetectVideoWatermarkOptions {
  /** Key the mark was made with. Default: the public key. */
  readonly key?: string | Uint8Array;
  /** Seconds of video analysed from the start (default 10). */
  readonly maxSeconds?: number;
  /** Start the analysis here (seconds; default 0). */
  readonly startSeconds?: number;
  /**
   * Layouts to look for, in this order (default `[2, 1]`: the current one, then marks written
   * before it). A registry scheme for one version asks for its own layout only.
   */
  readonly layouts?: ReadonlyArray<1 | 2>;
}

export interface VideoWatermarkDetection {
  readonly found: boolean;
  /** The embedded id, only when `found`. */
  readonly payload?: SoftBindingId;
  /** Score in [0, 1] (0.5 at the decision thresholds); `found` is the decision, not this number. */
  readonly confidence: number;
  /** Why nothing was found. */
  readonly reason?: string;
  /** Coded bits the error correction had to fix (of 258), when a decode was attempted. */
  readonly bitErrors?: number;
  /**
   * Layout 2: pilot peak z-score of the time-averaged frames (trusted from 4.5). Layout 1: RMS
   * per-frame pilot z-score (trusted from {@link VIDEO_PILOT_MIN}).
   */
  readonly pilotZ?: number;
  /** The layout the reported decode used (2 unless only a layout-1 mark was found). */
  readonly version?: 1 | 2;
  /** Frames analysed. */
  readonly frames?: number;
}

function pickVideo(streams: readonly VideoStreamInfo[]): VideoStreamInfo | undefined {
  return streams.find((s) => !s.attachedPicture) ?? undefined;
}

/**
 * Embed `payload` in a video and return the re-encoded file (MP4 for MP4/M4V input, MOV for MOV,
 * MKV otherwise) with every other stream copied and frame timing, rotation and colour
 * description kept.
 *
 * @throws UnsupportedFormatError (no video stream), MediaTooSmallError (short side under 144 px),
 *   CorruptMediaError (undecodable input, ffmpeg's stderr in details), FfmpegError (missing ffmpeg).
 * @example
 * ```ts
 * const marked = await embedVideoWatermark('clip.mp4', { payload: '0123456789abcdef', encoder: { crf: 20 } });
 * await writeFile('clip.marked.mp4', marked);
 * ```
 */
export async function embedVideoWatermark(
  input: MediaInput,
  options: EmbedVideoWatermarkOptions,
): Promise<Uint8Array> {
  if (typeof options !== 'object' || options === null) throw new TypeError('Expected an options object');
  const id = parseSoftBindingId(options.payload, 'payload');
  const strength = checkStrength(options.strength);
  const seed = deriveWatermarkSeed(options.key);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new TypeError('Expected a function for onProgress');
  }
  const version = options.version ?? 2;
  if (version !== 1 && version !== 2) {
    throw new RangeError(`Expected 1 or 2 for version but received ${String(options.version)}`);
  }
  if (
    options.groupFrames !== undefined &&
    (!Number.isInteger(options.groupFrames) || options.groupFrames < 1 || options.groupFrames > 10000)
  ) {
    throw new RangeError(
      `Expected an integer between 1 and 10000 for groupFrames but received ${String(options.groupFrames)}`,
    );
  }
  return withMediaFile(input, async (path) => {
    const probe = await probeMedia(path);
    const video = pickVideo(probe.video);
    if (!video) throw new UnsupportedFormatError('The input has no video stream', { details: { path } });
    const { width, height } = video;
    if (Math.min(width, height) < MIN_VIDEO_EMBED_SIDE) {
      throw new MediaTooSmallError(
        `Video is ${width}×${height}; watermarking needs at least ${MIN_VIDEO_EMBED_SIDE} px on the short side`,
        { details: { width, height, minSide: MIN_VIDEO_EMBED_SIDE } },
      );
    }
    const frameTimes = await probeFrameTimes(path, video.index);
    const payload = Uint8Array.from(Buffer.from(id, 'hex'));
    // Layout 2 holds one pattern in every frame; layout 1 flips its sign per group of frames.
    let offsetFor: (frame: number) => Int8Array;
    if (version === 2) {
      const field = planVideoMarkV2(seed, payload, width, height, strength);
      offsetFor = () => field;
    } else {
      const plan = planVideoMark(seed, payload, width, height, strength);
      const group = options.groupFrames ?? Math.max(8, Math.round(video.fps || 30));
      offsetFor = (i) => (plan.signOf(Math.floor(i / group)) > 0 ? plan.pattern : plan.negPattern);
    }
    const totalFrames = frameTimes.length > 0 ? frameTimes.length : video.frameCount;
    const onProgress = options.onProgress;
    const started = performance.now();

    async function* marked(): AsyncGenerator<Uint8Array> {
      let i = 0;
      for await (const frame of decodeVideoFrames(path, video!, { strict: true })) {
        addLumaOffset(frame, offsetFor(i));
        yield frame;
        i++;
        if (onProgress) {
          const secs = (performance.now() - started) / 1000;
          onProgress({ frames: i, ...(totalFrames ? { totalFrames } : {}), fps: secs > 0 ? i / secs : 0 });
        }
      }
      if (i === 0) throw new CorruptMediaError('No video frame could be decoded', { details: { path } });
    }

    const dir = await withTempDir();
    try {
      const ext = await outputExtension(path, probe.formatName);
      const output = `${dir}/marked.${ext}`;
      await encodeVideoWithStreams({
        source: path,
        video,
        frames: marked(),
        frameTimes,
        output,
        ...(options.encoder ? { settings: options.encoder } : {}),
      });
      const { readFile } = await import('node:fs/promises');
      const buf = await readFile(output);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } finally {
      const { rm } = await import('node:fs/promises');
      await rm(dir, { recursive: true, force: true });
    }
  });
}

/** Same container family as the input: QuickTime brand -> MOV, other ISO BMFF -> MP4, else MKV. */
async function outputExtension(path: string, formatName: string): Promise<'mov' | 'mp4' | 'mkv'> {
  if (!formatName.includes('mp4')) return 'mkv';
  const { open } = await import('node:fs/promises');
  const fh = await open(path, 'r');
  try {
    const head = new Uint8Array(12);
    await fh.read(head, 0, 12, 0);
    return Buffer.from(head.subarray(4, 12)).toString('latin1') === 'ftypqt  ' ? 'mov' : 'mp4';
  } finally {
    await fh.close();
  }
}

/**
 * Look for a video watermark in the first `maxSeconds` (default 10) of the video. Never throws
 * for bad or unmarked content: the result says `found: false` with a `reason`. Throws only for
 * misuse (bad options) and a missing ffmpeg.
 *
 * @example
 * ```ts
 * const r = await detectVideoWatermark('clip.mp4');
 * if (r.found) console.log(r.payload, r.confidence);
 * ```
 */
export async function detectVideoWatermark(
  input: MediaInput,
  options: DetectVideoWatermarkOptions = {},
): Promise<VideoWatermarkDetection> {
  if (typeof options !== 'object' || options === null) throw new TypeError('Expected an options object');
  const seed = deriveWatermarkSeed(options.key);
  const maxSeconds = options.maxSeconds ?? 10;
  if (typeof maxSeconds !== 'number' || !(maxSeconds > 0) || !Number.isFinite(maxSeconds)) {
    throw new RangeError(`Expected a positive number for maxSeconds but received ${String(maxSeconds)}`);
  }
  const startSeconds = options.startSeconds ?? 0;
  if (typeof startSeconds !== 'number' || !(startSeconds >= 0) || !Number.isFinite(startSeconds)) {
    throw new RangeError(
      `Expected a non-negative number for startSeconds but received ${String(startSeconds)}`,
    );
  }
  const layouts = options.layouts ?? [2, 1];
  if (
    !Array.isArray(layouts) ||
    layouts.length === 0 ||
    layouts.some((l) => l !== 1 && l !== 2) ||
    new Set(layouts).size !== layouts.length
  ) {
    throw new RangeError(`Expected distinct layouts from [1, 2] but received ${JSON.stringify(layouts)}`);
  }
  try {
    return await withMediaFile(input, (path) => detectFile(path, seed, startSeconds, maxSeconds, layouts));
  } catch (err) {
    return notFoundFromContentError(err);
  }
}

async function detectFile(
  path: string,
  seed: Uint8Array,
  startSeconds: number,
  maxSeconds: number,
  layouts: ReadonlyArray<1 | 2>,
): Promise<VideoWatermarkDetection> {
  const probe = await probeMedia(path);
  const video = pickVideo(probe.video);
  if (!video) return { found: false, confidence: 0, reason: 'no video stream' };
  if (Math.min(video.width, video.height) < MIN_VIDEO_DETECT_SIDE) {
    return {
      found: false,
      confidence: 0,
      reason: `video is ${video.width}×${video.height}, under the ${MIN_VIDEO_DETECT_SIDE} px minimum for detection`,
    };
  }
  let first: VideoWatermarkDetection | undefined;
  for (const layout of layouts) {
    // Layout 2: frames at twice its working resolution, averaged over time. Layout 1: frames at its
    // grid's working size for the decoded aspect (4 px per cell).
    const detector =
      layout === 2
        ? new VideoMarkDetectorV2(seed, video.width, video.height)
        : new VideoMarkDetectorV1(seed, video.width, video.height);
    const frames = decodeVideoFrames(path, video, {
      pixelFormat: 'gray',
      size: { width: detector.width, height: detector.height },
      maxSeconds,
      ...(startSeconds > 0 ? { startSeconds } : {}),
    });
    for await (const frame of frames) detector.addFrame(frame);
    if (detector.frames === 0) {
      return { found: false, confidence: 0, reason: 'no video frame could be decoded', frames: 0 };
    }
    const r = detector.finish();
    const result = {
      found: r.found,
      ...(r.found && r.payload ? { payload: Buffer.from(r.payload).toString('hex') } : {}),
      confidence: Math.round(r.confidence * 1e4) / 1e4,
      bitErrors: r.bitErrors,
      pilotZ: Math.round(r.pilotZ * 100) / 100,
      frames: r.frames,
      version: layout,
      ...(r.found ? {} : { reason: r.reason ?? 'no watermark found' }),
    };
    if (result.found) return result;
    first ??= result;
  }
  return first!;
}
