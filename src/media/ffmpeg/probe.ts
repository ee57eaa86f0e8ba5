/** ffprobe: container, duration and typed stream information; a video stream's frame times. */
import { CorruptMediaError, FfmpegError, UnsupportedFormatError } from '../../errors.js';
import type { MediaInput } from '../../types.js';
import { withMediaFile } from './media-file.js';
import { lastLine } from './process.js';
import { runFfprobe } from './run.js';

export interface ColourInfo {
  /** e.g. 'tv' | 'pc' */
  readonly range?: string;
  /** Matrix coefficients, e.g. 'bt709'. */
  readonly space?: string;
  readonly transfer?: string;
  readonly primaries?: string;
}

export interface VideoStreamInfo {
  readonly kind: 'video';
  /** Absolute stream index in the container. */
  readonly index: number;
  readonly codec: string;
  /** Coded (stored) size: frames decode at this size before rotation. */
  readonly width: number;
  readonly height: number;
  readonly pixelFormat: string;
  /** Average frame rate (frames / duration); the nominal rate when that is unknown. */
  readonly fps: number;
  /** The container's nominal rate (r_frame_rate) as "num/den". */
  readonly nominalFrameRate: string;
  /** Stream time base as "num/den". */
  readonly timeBase: string;
  /** Frame count when the container states it. */
  readonly frameCount?: number;
  readonly durationSeconds?: number;
  /** Display rotation in degrees counter-clockwise (display matrix), 0 when none. */
  readonly rotation: number;
  readonly colour: ColourInfo;
  /** True when the nominal and average rates disagree (a hint; timestamps are authoritative). */
  readonly variableFrameRate: boolean;
  readonly bitRate?: number;
  /** An attached picture (cover art), not a real video track. */
  readonly attachedPicture: boolean;
}

export interface AudioStreamInfo {
  readonly kind: 'audio';
  readonly index: number;
  readonly codec: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly channelLayout?: string;
  readonly durationSeconds?: number;
  readonly bitRate?: number;
}

export interface OtherStreamInfo {
  readonly kind: 'subtitle' | 'data' | 'attachment' | 'unknown';
  readonly index: number;
  readonly codec: string;
}

export interface MediaProbe {
  /** Demuxer name(s), e.g. 'mov,mp4,m4a,3gp,3g2,mj2', 'wav', 'mp3'. */
  readonly formatName: string;
  readonly durationSeconds?: number;
  readonly sizeBytes?: number;
  readonly video: readonly VideoStreamInfo[];
  readonly audio: readonly AudioStreamInfo[];
  readonly other: readonly OtherStreamInfo[];
}

interface RawProbe {
  format?: { format_name?: string; duration?: string; size?: string };
  streams?: Array<Record<string, unknown>>;
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' && v !== 'N/A' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function ratio(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const [a, b] = v.split('/').map(Number);
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 || a === 0)
    return undefined;
  return a / b;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' && v !== 'unknown' ? v : undefined;
}

function rotationOf(s: Record<string, unknown>): number {
  const sideData = Array.isArray(s.side_data_list)
    ? (s.side_data_list as Array<Record<string, unknown>>)
    : [];
  for (const sd of sideData) {
    const r = num(sd.rotation);
    if (r !== undefined) return normaliseRotation(r);
  }
  const tags = (s.tags ?? {}) as Record<string, unknown>;
  const r = num(tags.rotate);
  // The legacy "rotate" tag is clockwise; the display matrix (our convention) counter-clockwise.
  return r === undefined ? 0 : normaliseRotation(-r);
}

function normaliseRotation(r: number): number {
  let d = Math.round(r) % 360;
  if (d > 180) d -= 360;
  if (d <= -180) d += 360;
  return d;
}

/**
 * Probe a media file: container, duration and typed stream information.
 *
 * @throws CorruptMediaError when ffprobe cannot parse the input (truncated/damaged, details.stderr),
 *   UnsupportedFormatError when it has no audio or video stream, FfmpegError when ffprobe is missing.
 * @example
 * ```ts
 * const info = await probeMedia('clip.mp4');
 * console.log(info.video[0]?.width, info.audio.length);
 * ```
 */
export function probeMedia(input: MediaInput): Promise<MediaProbe> {
  return withMediaFile(input, probeFile);
}

export async function probeFile(path: string): Promise<MediaProbe> {
  let out: Uint8Array;
  try {
    out = await runFfprobe(['-print_format', 'json', '-show_format', '-show_streams', '-i', path]);
  } catch (err) {
    if (err instanceof FfmpegError && err.code === 'ERR_FFMPEG_FAILED') {
      const stderr = String(err.details?.stderr ?? '');
      throw new CorruptMediaError(`The media cannot be parsed: ${lastLine(stderr)}`, {
        details: { path, stderr },
        cause: err,
      });
    }
    throw err;
  }
  const raw = JSON.parse(Buffer.from(out).toString('utf8')) as RawProbe;
  const video: VideoStreamInfo[] = [];
  const audio: AudioStreamInfo[] = [];
  const other: OtherStreamInfo[] = [];
  for (const s of raw.streams ?? []) {
    const index = num(s.index) ?? 0;
    const codec = str(s.codec_name) ?? 'unknown';
    const type = s.codec_type;
    if (type === 'video') {
      const width = num(s.width) ?? 0;
      const height = num(s.height) ?? 0;
      const avg = ratio(s.avg_frame_rate);
      const nominal = ratio(s.r_frame_rate);
      const disposition = (s.disposition ?? {}) as Record<string, unknown>;
      video.push({
        kind: 'video',
        index,
        codec,
        width,
        height,
        pixelFormat: str(s.pix_fmt) ?? 'unknown',
        fps: avg ?? nominal ?? 0,
        nominalFrameRate: typeof s.r_frame_rate === 'string' ? s.r_frame_rate : '0/0',
        timeBase: typeof s.time_base === 'string' ? s.time_base : '1/90000',
        ...(num(s.nb_frames) !== undefined ? { frameCount: num(s.nb_frames)! } : {}),
        ...(num(s.duration) !== undefined ? { durationSeconds: num(s.duration)! } : {}),
        rotation: rotationOf(s),
        colour: {
          ...(str(s.color_range) ? { range: str(s.color_range)! } : {}),
          ...(str(s.color_space) ? { space: str(s.color_space)! } : {}),
          ...(str(s.color_transfer) ? { transfer: str(s.color_transfer)! } : {}),
          ...(str(s.color_primaries) ? { primaries: str(s.color_primaries)! } : {}),
        },
        variableFrameRate:
          avg !== undefined && nominal !== undefined && Math.abs(avg - nominal) / nominal > 0.01,
        ...(num(s.bit_rate) !== undefined ? { bitRate: num(s.bit_rate)! } : {}),
        attachedPicture: disposition.attached_pic === 1,
      });
    } else if (type === 'audio') {
      audio.push({
        kind: 'audio',
        index,
        codec,
        sampleRate: num(s.sample_rate) ?? 0,
        channels: num(s.channels) ?? 0,
        ...(str(s.channel_layout) ? { channelLayout: str(s.channel_layout)! } : {}),
        ...(num(s.duration) !== undefined ? { durationSeconds: num(s.duration)! } : {}),
        ...(num(s.bit_rate) !== undefined ? { bitRate: num(s.bit_rate)! } : {}),
      });
    } else {
      other.push({
        kind: type === 'subtitle' || type === 'data' || type === 'attachment' ? type : 'unknown',
        index,
        codec,
      });
    }
  }
  if (video.length === 0 && audio.length === 0) {
    throw new UnsupportedFormatError('The input has no audio or video stream', { details: { path } });
  }
  return {
    formatName: raw.format?.format_name ?? 'unknown',
    ...(num(raw.format?.duration) !== undefined ? { durationSeconds: num(raw.format?.duration)! } : {}),
    ...(num(raw.format?.size) !== undefined ? { sizeBytes: num(raw.format?.size)! } : {}),
    video,
    audio,
    other,
  };
}

/**
 * Presentation timestamps (seconds, ascending) of every frame of a video stream, read from the
 * packets (demux only, no decoding). Frames decoded with `fps_mode passthrough` come out in this
 * order, one per packet.
 */
export async function probeFrameTimes(path: string, streamIndex: number): Promise<Float64Array> {
  const out = await runFfprobe([
    '-select_streams',
    String(streamIndex),
    '-show_entries',
    'packet=pts_time,dts_time',
    '-of',
    'csv=p=0',
    '-i',
    path,
  ]);
  const times: number[] = [];
  for (const line of Buffer.from(out).toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    const [pts, dts] = line.split(',');
    const t = num(pts) ?? num(dts);
    if (t !== undefined) times.push(t);
  }
  times.sort((a, b) => a - b);
  return Float64Array.from(times);
}
