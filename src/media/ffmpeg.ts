/**
 * The ffmpeg adapter: the only module that spawns the system ffmpeg/ffprobe.
 *
 * Frames and samples travel over pipes (never temporary frame files): decoders are async
 * iterators that read ffmpeg's stdout only as fast as the caller consumes it (the pipe fills and
 * ffmpeg blocks — natural backpressure), encoders await `drain` before writing more.
 *
 * Raw video pipes carry no timestamps, so the encoder side receives frames wrapped in a minimal
 * Matroska stream (EBML, one cluster per frame, V_UNCOMPRESSED/I420) whose cluster timestamps
 * are the source's presentation times read by ffprobe from the packets: variable-frame-rate
 * phone footage keeps its exact frame timing (`-fps_mode passthrough`), without a temp file.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CorruptMediaError, FfmpegError, FileError, UnsupportedFormatError } from '../errors.js';
import type { MediaInput } from '../types.js';

/** Oldest ffmpeg major version supported (4.x: `-vsync passthrough`, `-noautorotate`, float PCM). */
export const MIN_FFMPEG_MAJOR = 4;

const INSTALL_HINT =
  'Install ffmpeg 4 or newer (Debian/Ubuntu: apt install ffmpeg; macOS: brew install ffmpeg; ' +
  'Windows: winget install ffmpeg) or set FFMPEG_PATH and FFPROBE_PATH to the executables.';

/** Keep at most this much of ffmpeg's stderr for error details. */
const STDERR_LIMIT = 32 * 1024;

export interface FfmpegInstall {
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
  /** Version string as printed by `ffmpeg -version`, e.g. "5.1.9-0+deb12u1". */
  readonly version: string;
  /** Major version, or undefined for builds from git that print no release number. */
  readonly major: number | undefined;
}

const installs = new Map<string, Promise<FfmpegInstall>>();

/**
 * Locate ffmpeg and ffprobe (FFMPEG_PATH / FFPROBE_PATH, else next to FFMPEG_PATH, else PATH) and
 * check the version. Cached per configuration.
 *
 * @throws FfmpegError `ERR_FFMPEG_MISSING` when missing or older than {@link MIN_FFMPEG_MAJOR}.
 * @example
 * ```ts
 * const { ffmpegPath, version } = await findFfmpeg();
 * ```
 */
export function findFfmpeg(): Promise<FfmpegInstall> {
  const ffmpegPath = process.env.FFMPEG_PATH || 'ffmpeg';
  let ffprobePath = process.env.FFPROBE_PATH || 'ffprobe';
  if (!process.env.FFPROBE_PATH && process.env.FFMPEG_PATH) {
    const sibling = join(
      dirname(process.env.FFMPEG_PATH),
      process.platform === 'win32' ? 'ffprobe.exe' : 'ffprobe',
    );
    if (existsSync(sibling)) ffprobePath = sibling;
  }
  const cacheKey = `${ffmpegPath}\0${ffprobePath}`;
  let found = installs.get(cacheKey);
  if (!found) {
    found = checkInstall(ffmpegPath, ffprobePath);
    installs.set(cacheKey, found);
    found.catch(() => installs.delete(cacheKey));
  }
  return found;
}

async function checkInstall(ffmpegPath: string, ffprobePath: string): Promise<FfmpegInstall> {
  const versionOf = async (exe: string, name: string): Promise<string> => {
    let out: Uint8Array;
    try {
      out = (await runProcess(exe, ['-hide_banner', '-version'], { missingName: name })).stdout;
    } catch (err) {
      if (err instanceof FfmpegError && err.code === 'ERR_FFMPEG_MISSING') throw err;
      throw new FfmpegError('ERR_FFMPEG_MISSING', `${name} at ${exe} does not run`, {
        hint: INSTALL_HINT,
        details: { path: exe },
        cause: err,
      });
    }
    const line = Buffer.from(out).toString('utf8').split('\n')[0] ?? '';
    const m = /version\s+(\S+)/.exec(line);
    if (!m) {
      throw new FfmpegError('ERR_FFMPEG_MISSING', `${exe} does not look like ${name}: ${line}`, {
        hint: INSTALL_HINT,
        details: { path: exe },
      });
    }
    return m[1]!;
  };
  const version = await versionOf(ffmpegPath, 'ffmpeg');
  await versionOf(ffprobePath, 'ffprobe');
  // Release builds print "5.1.9-…" or "n6.0"; git snapshots print "N-12345-g…" (newest: accept).
  const rel = /^n?(\d+)\.(\d+)/.exec(version);
  const major = rel ? Number(rel[1]) : undefined;
  if (major !== undefined && major < MIN_FFMPEG_MAJOR) {
    throw new FfmpegError(
      'ERR_FFMPEG_MISSING',
      `ffmpeg ${version} is too old; provmark needs ffmpeg ${MIN_FFMPEG_MAJOR} or newer`,
      { hint: INSTALL_HINT, details: { path: ffmpegPath, version } },
    );
  }
  return { ffmpegPath, ffprobePath, version, major };
}

// ---------------------------------------------------------------------------------------------
// Processes

interface RunOptions {
  /** Bytes written to stdin. */
  readonly stdin?: Uint8Array;
  /** Program name for the "missing" message. */
  readonly missingName?: string;
}

interface RunResult {
  readonly stdout: Uint8Array;
  readonly stderr: string;
}

function appendCapped(acc: string, chunk: Buffer): string {
  const s = acc + chunk.toString('utf8');
  return s.length > STDERR_LIMIT ? s.slice(s.length - STDERR_LIMIT) : s;
}

function missingError(exe: string, name: string, cause: unknown): FfmpegError {
  return new FfmpegError('ERR_FFMPEG_MISSING', `${name} not found (${exe})`, {
    hint: INSTALL_HINT,
    details: { path: exe },
    cause,
  });
}

/** Run a process to completion, collecting stdout; non-zero exit -> ERR_FFMPEG_FAILED with stderr. */
function runProcess(exe: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(exe, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      reject(missingError(exe, opts.missingName ?? exe, err));
      return;
    }
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr = appendCapped(stderr, c)));
    child.stdin.on('error', () => undefined); // EPIPE when the process exits early: reported by 'close'
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT' || err.code === 'EACCES'
          ? missingError(exe, opts.missingName ?? exe, err)
          : new FfmpegError('ERR_FFMPEG_FAILED', `${exe} failed to start: ${err.message}`, { cause: err }),
      );
    });
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(chunks);
      if (code === 0)
        resolve({ stdout: new Uint8Array(stdout.buffer, stdout.byteOffset, stdout.byteLength), stderr });
      else
        reject(
          new FfmpegError('ERR_FFMPEG_FAILED', `${exe} exited with ${code ?? signal}: ${lastLine(stderr)}`, {
            details: { args: [...args], exitCode: code, signal, stderr },
          }),
        );
    });
    if (opts.stdin) child.stdin.end(opts.stdin);
    else child.stdin.end();
  });
}

function lastLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim() || '(no message)';
}

/**
 * Run ffmpeg with `args` (after `-hide_banner -nostdin`-style defaults) and collect stdout.
 * For tests, benchmarks and simple remuxes; use the streaming functions for frames and samples.
 *
 * @throws FfmpegError `ERR_FFMPEG_FAILED` (stderr in `details.stderr`) or `ERR_FFMPEG_MISSING`.
 * @example
 * ```ts
 * await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=d=2', '-y', 'clip.mp4']);
 * ```
 */
export async function runFfmpeg(
  args: readonly string[],
  options: { readonly stdin?: Uint8Array } = {},
): Promise<Uint8Array> {
  const { ffmpegPath } = await findFfmpeg();
  const res = await runProcess(ffmpegPath, ['-hide_banner', '-v', 'error', ...args], {
    stdin: options.stdin,
    missingName: 'ffmpeg',
  });
  return res.stdout;
}

/** Run ffprobe with `args` and collect stdout. */
export async function runFfprobe(args: readonly string[]): Promise<Uint8Array> {
  const { ffprobePath } = await findFfmpeg();
  return (await runProcess(ffprobePath, ['-hide_banner', '-v', 'error', ...args], { missingName: 'ffprobe' }))
    .stdout;
}

/**
 * A running ffmpeg with stdin open for streaming input. `write` resolves once the pipe can take
 * more (backpressure); `finish` closes stdin and waits for a clean exit.
 */
export interface FfmpegSink {
  write(chunk: Uint8Array): Promise<void>;
  finish(): Promise<void>;
  /** Kill the process (e.g. after an error elsewhere); safe to call twice. */
  abort(): void;
}

/**
 * Spawn ffmpeg reading a stream from stdin (`-i pipe:0` must be among `args`).
 *
 * @example
 * ```ts
 * const sink = await spawnFfmpegSink(['-f', 'f32le', '-ar', '48000', '-ac', '2', '-i', 'pipe:0', '-y', 'out.wav']);
 * await sink.write(pcmBytes);
 * await sink.finish();
 * ```
 */
export async function spawnFfmpegSink(args: readonly string[]): Promise<FfmpegSink> {
  const { ffmpegPath } = await findFfmpeg();
  const fullArgs = ['-hide_banner', '-v', 'error', ...args];
  const child = spawn(ffmpegPath, fullArgs, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = appendCapped(stderr, c)));
  child.stdin.on('error', () => undefined);
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? missingError(ffmpegPath, 'ffmpeg', err)
          : new FfmpegError('ERR_FFMPEG_FAILED', err.message, { cause: err }),
      ),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new FfmpegError('ERR_FFMPEG_FAILED', `ffmpeg exited with ${code ?? signal}: ${lastLine(stderr)}`, {
            details: { args: fullArgs, exitCode: code, signal, stderr },
          }),
        );
    });
  });
  exited.catch(() => undefined); // observed through write/finish
  let dead = false;
  void exited.finally(() => (dead = true)).catch(() => undefined);
  return {
    async write(chunk) {
      if (dead) {
        await exited;
        throw new FfmpegError('ERR_FFMPEG_FAILED', 'ffmpeg exited before its input ended', {
          details: { args: fullArgs, stderr },
        });
      }
      if (!child.stdin.write(chunk)) {
        await Promise.race([
          new Promise<void>((r) => child.stdin.once('drain', r)),
          exited.then(
            () => undefined,
            () => undefined,
          ),
        ]);
      }
    },
    async finish() {
      child.stdin.end();
      await exited;
    },
    abort() {
      if (!dead) child.kill('SIGKILL');
    },
  };
}

/**
 * Spawn ffmpeg writing to stdout and yield fixed-size records (a raw frame, a block of samples).
 * Reading is pull-based, so a slow consumer stalls ffmpeg instead of buffering in memory.
 * The final partial record (if any) is yielded too. On non-zero exit the iterator throws
 * ERR_FFMPEG_FAILED (or CorruptMediaError when stderr says the input is damaged).
 */
async function* readRecords(args: readonly string[], recordBytes: number): AsyncGenerator<Uint8Array> {
  const { ffmpegPath } = await findFfmpeg();
  const fullArgs = ['-hide_banner', '-nostdin', '-v', 'error', ...args];
  const child = spawn(ffmpegPath, fullArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = appendCapped(stderr, c)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? missingError(ffmpegPath, 'ffmpeg', err) : err),
    );
    child.on('close', (code) => resolve(code));
  });
  exited.catch(() => undefined);
  let finished = false;
  try {
    let buf = new Uint8Array(recordBytes);
    let fill = 0;
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(recordBytes - fill, chunk.length - off);
        buf.set(chunk.subarray(off, off + n), fill);
        fill += n;
        off += n;
        if (fill === recordBytes) {
          yield buf;
          buf = new Uint8Array(recordBytes);
          fill = 0;
        }
      }
    }
    const code = await exited;
    finished = true;
    if (code !== 0) throw failure(fullArgs, code, stderr);
    if (fill > 0) yield buf.subarray(0, fill);
  } finally {
    if (!finished) {
      child.kill('SIGKILL');
      await exited.catch(() => undefined);
    }
  }
}

const CORRUPT_PATTERNS =
  /Invalid data found|moov atom not found|partial file|Truncat|corrupt|error while decoding|EBML header parsing failed|could not find codec parameters|Invalid NAL|non-existing PPS|no frame!|End of file/i;

function failure(args: readonly string[], code: number | null, stderr: string): Error {
  if (CORRUPT_PATTERNS.test(stderr)) {
    return new CorruptMediaError(`The media cannot be decoded: ${lastLine(stderr)}`, {
      details: { args: [...args], exitCode: code, stderr },
    });
  }
  return new FfmpegError('ERR_FFMPEG_FAILED', `ffmpeg exited with ${code}: ${lastLine(stderr)}`, {
    details: { args: [...args], exitCode: code, stderr },
  });
}

// ---------------------------------------------------------------------------------------------
// Inputs

/**
 * Give ffmpeg a file for `input`: a path is used in place (checked to exist); bytes are written
 * to a private temporary directory removed afterwards (MP4 needs a seekable input: its index may
 * sit at the end of the file).
 */
export async function withMediaFile<T>(input: MediaInput, fn: (path: string) => Promise<T>): Promise<T> {
  if (typeof input === 'string') {
    if (input.length === 0) throw new TypeError('Expected a non-empty file path for input');
    try {
      const st = await stat(input);
      if (!st.isFile())
        throw new FileError('ERR_FILE_IO', `Expected a file but ${input} is not one`, {
          details: { path: input },
        });
    } catch (err) {
      if (err instanceof FileError) throw err;
      throw new FileError('ERR_FILE_NOT_FOUND', `No such file: ${input}`, {
        hint: 'Check the path.',
        details: { path: input },
        cause: err,
      });
    }
    return fn(input);
  }
  if (!(input instanceof Uint8Array)) {
    throw new TypeError(
      `Expected Uint8Array or file path for input but received ${input === null ? 'null' : typeof input}`,
    );
  }
  if (input.length === 0) throw new CorruptMediaError('The input is empty (0 bytes)');
  const dir = await withTempDir();
  try {
    const path = join(dir, 'input');
    await writeFile(path, input);
    return await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A fresh private temporary directory (caller removes it). */
export function withTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'provmark-ff-'));
}

// ---------------------------------------------------------------------------------------------
// Probe

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

async function probeFile(path: string): Promise<MediaProbe> {
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

// ---------------------------------------------------------------------------------------------
// Decoding

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

// ---------------------------------------------------------------------------------------------
// Encoding

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

// ---------------------------------------------------------------------------------------------
// ISO BMFF track matrix (rotation)

interface BoxRef {
  readonly type: string;
  /** Offset of the box start in the buffer/file. */
  readonly start: number;
  /** Offset of the payload. */
  readonly body: number;
  readonly end: number;
}

function* boxes(buf: Uint8Array, from: number, to: number, base = 0): Generator<BoxRef> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = from;
  while (off + 8 <= to) {
    let size = dv.getUint32(off);
    const type = String.fromCharCode(buf[off + 4]!, buf[off + 5]!, buf[off + 6]!, buf[off + 7]!);
    let body = off + 8;
    if (size === 1) {
      if (off + 16 > to) return;
      size = Number(dv.getBigUint64(off + 8));
      body = off + 16;
    } else if (size === 0) size = to - off;
    if (size < body - off || off + size > to) return;
    yield { type, start: base + off, body: base + body, end: base + off + size };
    off += size;
  }
}

/** Read the top-level 'moov' box of an ISO BMFF file (wherever it sits) and its file offset. */
async function readMoov(path: string): Promise<{ moov: Uint8Array; offset: number } | undefined> {
  const { open } = await import('node:fs/promises');
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    let off = 0;
    const head = new Uint8Array(16);
    while (off + 8 <= size) {
      await fh.read(head, 0, 16, off);
      const dv = new DataView(head.buffer);
      let boxSize = dv.getUint32(0);
      if (boxSize === 1) boxSize = Number(dv.getBigUint64(8));
      else if (boxSize === 0) boxSize = size - off;
      if (boxSize < 8) return undefined;
      const type = String.fromCharCode(head[4]!, head[5]!, head[6]!, head[7]!);
      if (type === 'moov') {
        if (boxSize > 256 * 1024 * 1024) return undefined;
        const moov = new Uint8Array(boxSize);
        await fh.read(moov, 0, boxSize, off);
        return { moov, offset: off };
      }
      off += boxSize;
    }
    return undefined;
  } finally {
    await fh.close();
  }
}

/** Offset (within moov) of the 36-byte matrix in the first video track's 'tkhd'. */
function videoMatrixOffset(moov: Uint8Array): number | undefined {
  const top = boxes(moov, 0, moov.length).next().value;
  if (!top) return undefined;
  for (const trak of boxes(moov, top.body, top.end)) {
    if (trak.type !== 'trak') continue;
    let tkhd: BoxRef | undefined;
    let isVideo = false;
    for (const child of boxes(moov, trak.body, trak.end)) {
      if (child.type === 'tkhd') tkhd = child;
      if (child.type === 'mdia') {
        for (const m of boxes(moov, child.body, child.end)) {
          // hdlr: version/flags(4) pre_defined(4) handler_type(4)
          if (m.type === 'hdlr' && m.body + 12 <= m.end) {
            isVideo = String.fromCharCode(...moov.subarray(m.body + 8, m.body + 12)) === 'vide';
          }
        }
      }
    }
    if (isVideo && tkhd) {
      const version = moov[tkhd.body]!;
      // version 0: 4+4+4+4+4 bytes of times/ids/duration, version 1: 8+8+4+4+8; then
      // reserved(8) layer(2) alternate_group(2) volume(2) reserved(2) before the matrix.
      const matrix = tkhd.body + 4 + (version === 1 ? 32 : 20) + 16;
      return matrix + 36 <= tkhd.end ? matrix : undefined;
    }
  }
  return undefined;
}

/** Copy the first video track's display matrix from `source` to `output` (both ISO BMFF). */
async function copyTrackMatrix(source: string, output: string): Promise<void> {
  const src = await readMoov(source);
  const dst = await readMoov(output);
  if (!src || !dst) return;
  const from = videoMatrixOffset(src.moov);
  const to = videoMatrixOffset(dst.moov);
  if (from === undefined || to === undefined) return;
  const { open } = await import('node:fs/promises');
  const fh = await open(output, 'r+');
  try {
    await fh.write(src.moov.subarray(from, from + 36), 0, 36, dst.offset + to);
  } finally {
    await fh.close();
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

/**
 * Minimal Matroska muxer for raw I420 frames: EBML header, a Segment of unknown size, Info,
 * one video track, then one Cluster (timestamp + SimpleBlock) per frame. Timestamps in
 * microseconds (TimestampScale 1000 ns), enough to restore any container time base exactly.
 */
class MatroskaRawWriter {
  constructor(
    private readonly width: number,
    private readonly height: number,
  ) {}

  header(): Uint8Array {
    const ebml = el(0x1a45dfa3, [
      el(0x4286, uint(1)), // EBMLVersion
      el(0x42f7, uint(1)), // EBMLReadVersion
      el(0x42f2, uint(4)), // EBMLMaxIDLength
      el(0x42f3, uint(8)), // EBMLMaxSizeLength
      el(0x4282, ascii('matroska')), // DocType
      el(0x4287, uint(4)), // DocTypeVersion
      el(0x4285, uint(2)), // DocTypeReadVersion
    ]);
    const info = el(0x1549a966, [
      el(0x2ad7b1, uint(1000)),
      el(0x4d80, ascii('provmark')),
      el(0x5741, ascii('provmark')),
    ]);
    const track = el(0xae, [
      el(0xd7, uint(1)), // TrackNumber
      el(0x73c5, uint(1)), // TrackUID
      el(0x83, uint(1)), // TrackType: video
      el(0x86, ascii('V_UNCOMPRESSED')),
      el(0xe0, [el(0xb0, uint(this.width)), el(0xba, uint(this.height)), el(0x2eb524, ascii('I420'))]),
    ]);
    const tracks = el(0x1654ae6b, [track]);
    // Segment with "unknown size" (all ones): we stream, so the length is not known in advance.
    const segmentHead = concat([
      idBytes(0x18538067),
      Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    ]);
    return concat([ebml, segmentHead, info, tracks]);
  }

  /** Bytes preceding a frame's data (the data is written after it, uncopied). */
  frameHeader(dataBytes: number, seconds: number): Uint8Array {
    const micros = Math.max(0, Math.round(seconds * 1e6));
    const blockHead = Uint8Array.of(0x81, 0, 0, 0x80); // track 1, relative time 0, keyframe
    const simpleBlockSize = blockHead.length + dataBytes;
    const timestamp = el(0xe7, uint(micros));
    const sbHeader = concat([idBytes(0xa3), sizeBytes(simpleBlockSize), blockHead]);
    const clusterBody = timestamp.length + sbHeader.length + dataBytes;
    return concat([idBytes(0x1f43b675), sizeBytes(clusterBody), timestamp, sbHeader]);
  }
}

function idBytes(id: number): Uint8Array {
  const out: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return Uint8Array.from(out);
}

/** EBML size as an 8-byte vint (always valid, simple). */
function sizeBytes(n: number): Uint8Array {
  const out = new Uint8Array(8);
  out[0] = 0x01;
  let v = n;
  for (let i = 7; i >= 1; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

function uint(n: number): Uint8Array {
  const out: number[] = [];
  let v = n;
  do {
    out.unshift(v % 256);
    v = Math.floor(v / 256);
  } while (v > 0);
  return Uint8Array.from(out);
}

function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function el(id: number, body: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const payload = body instanceof Uint8Array ? body : concat(body);
  return concat([idBytes(id), sizeBytes(payload.length), payload]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
