/**
 * Encoding frames into a video file that keeps every other stream of its source.
 *
 * Raw video pipes carry no timestamps, so the encoder receives frames wrapped in a minimal
 * Matroska stream (matroska.ts) whose cluster timestamps are the source's presentation times read
 * by ffprobe from the packets: variable-frame-rate phone footage keeps its exact frame timing
 * (`-vsync passthrough`), without a temp file.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MatroskaRawWriter } from './matroska.js';
import { withTempDir } from './media-file.js';
import { copyTrackMatrix } from './mp4-matrix.js';
import { probeFile, type VideoStreamInfo } from './probe.js';
import { runFfmpeg, spawnFfmpegSink } from './run.js';

export interface VideoEncodeSettings {
  /** ffmpeg encoder name. Default: 'libx264' (H.264), or 'libx265' when the source is HEVC. */
  readonly codec?: string;
  /** Constant rate factor (x264/x265). Default 18: visually lossless, so the mark is not wasted. */
  readonly crf?: number;
  /** Encoder preset. Default 'medium'. */
  readonly preset?: string;
  /** Extra output arguments placed before the output path (advanced). */
  readonly extraArgs?: readonly string[];
}

export interface EncodeVideoOptions {
  /** The original file: its audio, subtitle and data streams are copied, its metadata kept. */
  readonly source: string;
  /** The video stream being replaced (size, rotation, colour, time base). */
  readonly video: VideoStreamInfo;
  /** Frames ({@link rawFrameFormat} layout, coded size) in presentation order. */
  readonly frames: AsyncIterable<Uint8Array>;
  /** Presentation time of frame i in seconds (from {@link probeFrameTimes}); beyond its end frames continue at `video.fps`. */
  readonly frameTimes: Float64Array;
  /** Output path; the container is chosen from the extension (.mp4, .mov, .mkv). */
  readonly output: string;
  readonly settings?: VideoEncodeSettings;
}

/**
 * Encode yuv420p frames into `output`, copying every other stream of `source` (audio tracks,
 * subtitles, data), its global metadata, the display rotation and the colour description; each
 * frame keeps its source presentation time (VFR preserved).
 *
 * @throws FfmpegError `ERR_FFMPEG_FAILED` with stderr in details.
 * @example
 * ```ts
 * await encodeVideoWithStreams({ source: 'in.mp4', video, frames, frameTimes, output: 'out.mp4' });
 * ```
 */
export async function encodeVideoWithStreams(opts: EncodeVideoOptions): Promise<void> {
  const { video, settings = {} } = opts;
  const codec = settings.codec ?? (video.codec === 'hevc' ? 'libx265' : 'libx264');
  const crf = settings.crf ?? 18;
  if (!Number.isFinite(crf) || crf < 0 || crf > 51) {
    throw new RangeError(`Expected a number between 0 and 51 for crf but received ${String(crf)}`);
  }
  const args: string[] = ['-f', 'matroska', '-i', 'pipe:0', '-i', opts.source];
  args.push('-map', '0:v:0');
  // Every stream of the source except the video being replaced. Data streams ffmpeg has no codec
  // for are copied only when the output container takes them (a QuickTime 'tmcd' timecode track
  // does; the 'mebx' metadata tracks of iPhone MOVs do not, and would fail the whole encode), which
  // a short stream-copy trial tells before any frame is decoded.
  const source = await probeFile(opts.source);
  args.push('-map', '1', '-map', `-1:${video.index}`);
  const opaque = source.other.filter((o) => o.codec === 'unknown').map((o) => o.index);
  if (opaque.length > 0 && !(await canCopyStreams(opts.source, opaque, opts.output))) {
    for (const i of opaque) args.push('-map', `-1:${i}`);
  }
  args.push('-map_metadata', '1', '-map_chapters', '1');
  args.push('-c', 'copy', '-c:v:0', codec, '-crf', String(crf), '-preset', settings.preset ?? 'medium');
  args.push('-pix_fmt', 'yuv420p', '-vsync', 'passthrough');
  const tb = /^1\/(\d+)$/.exec(video.timeBase);
  const ext = opts.output.toLowerCase().split('.').pop() ?? '';
  if (tb && (ext === 'mp4' || ext === 'mov' || ext === 'm4v')) args.push('-video_track_timescale', tb[1]!);
  if (codec === 'libx265') args.push('-tag:v:0', 'hvc1', '-x265-params', 'log-level=error');
  const c = video.colour;
  // Full-range frames stay full range: same samples, tagged 'pc' (x264's VUI full-range flag).
  const range = c.range ?? (video.pixelFormat === 'yuvj420p' ? 'pc' : undefined);
  if (range) args.push('-color_range', range);
  if (c.space) args.push('-colorspace', c.space);
  if (c.transfer) args.push('-color_trc', c.transfer);
  if (c.primaries) args.push('-color_primaries', c.primaries);
  if (ext === 'mp4' || ext === 'mov' || ext === 'm4v') args.push('-movflags', '+faststart');
  args.push(...(settings.extraArgs ?? []), '-y', opts.output);

  const sink = await spawnFfmpegSink(args);
  try {
    const mkv = new MatroskaRawWriter(video.width, video.height);
    await sink.write(mkv.header());
    let i = 0;
    const step = video.fps > 0 ? 1 / video.fps : 1 / 30;
    const last = opts.frameTimes.length > 0 ? opts.frameTimes[opts.frameTimes.length - 1]! : -step;
    for await (const frame of opts.frames) {
      const t =
        i < opts.frameTimes.length ? opts.frameTimes[i]! : last + (i - opts.frameTimes.length + 1) * step;
      await sink.write(mkv.frameHeader(frame.length, t));
      await sink.write(frame);
      i++;
    }
    await sink.finish();
  } catch (err) {
    sink.abort();
    throw err;
  }
  // ffmpeg 5 has no option to set a display matrix on an encoded stream (`-display_rotation`
  // arrived in 6.1 and the "rotate" tag is ignored since 5.0), so the source's track matrix is
  // copied into the output's track header in place (same size, nothing moves).
  if (video.rotation !== 0 && (ext === 'mp4' || ext === 'mov' || ext === 'm4v')) {
    await copyTrackMatrix(opts.source, opts.output);
  }
}

/** True when stream-copying `indices` of `source` into a container like `output`'s succeeds. */
async function canCopyStreams(source: string, indices: readonly number[], output: string): Promise<boolean> {
  const dir = await withTempDir();
  try {
    const trial = join(dir, `trial.${output.toLowerCase().split('.').pop() ?? 'mp4'}`);
    const maps = indices.flatMap((i) => ['-map', `0:${i}`]);
    await runFfmpeg(['-i', source, '-map', '0:v:0?', ...maps, '-c', 'copy', '-t', '0.5', '-y', trial]);
    return true;
  } catch {
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
