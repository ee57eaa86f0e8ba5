/**
 * Audio adapter: decodes through src/media/ffmpeg/ to float PCM, runs the pure core
 * (core/audio.ts) and re-encodes in the input's container and codec (WAV at the same sample
 * format, MP3/M4A at a comparable bitrate, MP4/MOV with the video stream copied).
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CorruptMediaError,
  MediaTooLargeError,
  MediaTooSmallError,
  UnsupportedFormatError,
  WatermarkError,
} from '../errors.js';
import { decodeAudioPcm } from '../media/ffmpeg/decode.js';
import { withMediaFile, withTempDir } from '../media/ffmpeg/media-file.js';
import { probeMedia, type AudioStreamInfo } from '../media/ffmpeg/probe.js';
import { spawnFfmpegSink } from '../media/ffmpeg/run.js';
import { sniffFormat } from '../media/sniff.js';
import { checkStrength, notFoundFromContentError } from './options.js';
import type { MediaFormat, MediaInput } from '../types.js';
import {
  AUDIO_MIN_DETECT_SAMPLES,
  AUDIO_WORK_RATE,
  AUDIO_SCHEME_V1,
  AUDIO_SCHEME_V2,
  detectAudioMark,
  AudioMarkEmbedder,
  embedAudioMark,
  toWorkingMono,
} from './core/audio.js';
import { deriveWatermarkSeed } from './key.js';
import { parseSoftBindingId, type SoftBindingId } from './softbinding.js';

/** Planar float PCM: one Float32Array per channel, all the same length, nominally in [-1, 1]. */
export interface AudioPcm {
  readonly sampleRate: number;
  readonly channels: readonly Float32Array[];
}

/** Progress of a long embed: the stage and the program seconds it has covered. */
export interface AudioWatermarkProgress {
  readonly stage: 'decode' | 'mark' | 'encode';
  readonly secondsDone: number;
  readonly secondsTotal: number;
}

export interface EmbedAudioWatermarkOptions {
  /** The 64-bit soft-binding id to embed (16 hex digits). */
  readonly payload: SoftBindingId;
  /** Key for a private mark (string or bytes). Default: the public key. */
  readonly key?: string | Uint8Array;
  /**
   * Amplitude multiplier, 0.25–4 (default 1: the mark stays ≥ 30 dB under the program). The SNR
   * floor moves with it: strength 2 allows 24 dB.
   */
  readonly strength?: number;
  /** Called as decoding, marking and encoding progress. */
  readonly onProgress?: (progress: AudioWatermarkProgress) => void;
  /** Longest program accepted, in seconds (default 3600: one hour). */
  readonly maxSeconds?: number;
}

export interface DetectAudioWatermarkOptions {
  /** Key the mark was made with. Default: the public key. */
  readonly key?: string | Uint8Array;
  /** Seconds of audio analysed from the start (default 120; any 5 s of marked audio suffice). */
  readonly maxSeconds?: number;
  /** Read only this version of the mark (default: audio.2, then audio.1). */
  readonly version?: 1 | 2;
}

export interface AudioWatermarkDetection {
  readonly found: boolean;
  /** The embedded id, only when `found`. */
  readonly payload?: SoftBindingId;
  /** Score in [0, 1] (0.5 at the decision thresholds); `found` is the decision, not this number. */
  readonly confidence: number;
  /** Why nothing was found (too short, silent, undecodable input, no pattern, failed check). */
  readonly reason?: string;
  /** Coded bits (of 258) the error correction had to fix, when a decode was attempted. */
  readonly bitErrors?: number;
  /** Lattice synchronisation z-score (a decode is trusted from 5). */
  readonly syncZ?: number;
  /** Seconds analysed. */
  readonly seconds?: number;
  /** Where a block of the mark starts, in seconds from the start of the analysed audio. */
  readonly offsetSeconds?: number;
  /**
   * Version of the audio mark found: 2 (`org.provmark.watermark.audio.2`, what embedding writes,
   * readable through a telephone line) or 1 (audio.1, marks made before; its detector is kept).
   */
  readonly version?: 1 | 2;
}

export interface EmbedAudioPcmResult {
  readonly pcm: AudioPcm;
  /** Program-to-mark power ratio of what was added, in dB (Infinity for silence). */
  readonly snrDb: number;
}

const MIN_EMBED_RATE = 12000;

/**
 * Shortest audio the mark is embedded in, and read from: one 2.048 s block plus one 64 ms cell
 * column of alignment slack (2.112 s). One limit for both, so nothing is marked that cannot be read.
 */
export const AUDIO_MIN_SECONDS = AUDIO_MIN_DETECT_SAMPLES / AUDIO_WORK_RATE;

/** The error for audio under {@link AUDIO_MIN_SECONDS}: thrown by embed, reported by detect. */
function audioTooShort(seconds: number): MediaTooSmallError {
  return new MediaTooSmallError(
    `Audio is ${seconds.toFixed(2)} s long, under the ${AUDIO_MIN_SECONDS.toFixed(3)} s minimum of the audio watermark (embedding and detection)`,
    { details: { seconds, minSeconds: AUDIO_MIN_SECONDS } },
  );
}
/**
 * One hour. The embed streams (measured: a 40-minute M4A marked in 31.5 s with 138 MiB peak RSS),
 * so the cap is set by the output, which is returned in memory: an hour of 16-bit 48 kHz stereo WAV
 * is 659 MiB, still under what sign()/protect() can take (768 MiB, see c2pa/engine.ts).
 */
const DEFAULT_MAX_EMBED_SECONDS = 3600;
const DEFAULT_MAX_DETECT_SECONDS = 120;

function checkOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('Expected an options object');
}

function checkSeconds(v: number | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new RangeError(`Expected a positive number of seconds for ${name} but received ${String(v)}`);
  }
  return v;
}

function checkPcm(pcm: AudioPcm): void {
  if (typeof pcm !== 'object' || pcm === null) throw new TypeError('Expected an AudioPcm object for pcm');
  const { sampleRate, channels } = pcm;
  if (typeof sampleRate !== 'number' || !Number.isFinite(sampleRate) || sampleRate <= 0) {
    throw new RangeError(
      `Expected a positive sample rate for pcm.sampleRate but received ${String(sampleRate)}`,
    );
  }
  if (!Array.isArray(channels) || channels.length === 0) {
    throw new TypeError('Expected a non-empty array of Float32Array for pcm.channels');
  }
  const len = (channels[0] as unknown) instanceof Float32Array ? channels[0]!.length : -1;
  for (const ch of channels) {
    if (!(ch instanceof Float32Array)) throw new TypeError('Expected Float32Array channels in pcm.channels');
    if (ch.length !== len) throw new RangeError('Expected all pcm.channels to have the same length');
  }
}

/**
 * Embed `payload` in planar float PCM (pure: no IO). Used by {@link embedAudioWatermark} and by
 * the video pipeline for soundtracks.
 *
 * @throws MediaTooSmallError under {@link AUDIO_MIN_SECONDS} (2.112 s); WatermarkError under 12 kHz sample rate.
 * @example
 * ```ts
 * const { pcm: marked, snrDb } = embedAudioWatermarkPcm({ sampleRate: 48000, channels: [left, right] }, {
 *   payload: '0123456789abcdef',
 * });
 * ```
 */
export function embedAudioWatermarkPcm(
  pcm: AudioPcm,
  options: Omit<EmbedAudioWatermarkOptions, 'onProgress' | 'maxSeconds'>,
): EmbedAudioPcmResult {
  checkOptions(options);
  checkPcm(pcm);
  const id = parseSoftBindingId(options.payload, 'payload');
  const strength = checkStrength(options.strength);
  const seed = deriveWatermarkSeed(options.key);
  checkRate(pcm.sampleRate);
  const seconds = pcm.channels[0]!.length / pcm.sampleRate;
  if (seconds < AUDIO_MIN_SECONDS) throw audioTooShort(seconds);
  const payload = Uint8Array.from(Buffer.from(id, 'hex'));
  const r = embedAudioMark(pcm.channels, pcm.sampleRate, { seed, payload, strength });
  return { pcm: { sampleRate: pcm.sampleRate, channels: r.channels }, snrDb: r.snrDb };
}

/**
 * Look for the mark in planar float PCM (pure: no IO). Never throws for content: the result says
 * `found: false` with a `reason` (too short, silent, no pattern, failed check).
 *
 * @example
 * ```ts
 * const r = detectAudioWatermarkPcm({ sampleRate: 44100, channels: [mono] });
 * if (r.found) console.log(r.payload);
 * ```
 */
export function detectAudioWatermarkPcm(
  pcm: AudioPcm,
  options: DetectAudioWatermarkOptions = {},
): AudioWatermarkDetection {
  checkOptions(options);
  checkPcm(pcm);
  const seed = deriveWatermarkSeed(options.key);
  return detectWorking(toWorkingMono(pcm.channels, pcm.sampleRate), seed, checkVersion(options.version));
}

function checkVersion(v: unknown): 1 | 2 | undefined {
  if (v === undefined || v === 1 || v === 2) return v;
  throw new RangeError(`Expected 1 or 2 for version but received ${String(v)}`);
}

function detectWorking(mono16: Float32Array, seed: Uint8Array, version?: 1 | 2): AudioWatermarkDetection {
  const seconds = round(mono16.length / AUDIO_WORK_RATE, 3);
  if (mono16.length < AUDIO_MIN_DETECT_SAMPLES) {
    return { ...notFoundFromContentError(audioTooShort(mono16.length / AUDIO_WORK_RATE)), seconds };
  }
  // audio.2 first (what embedding writes), then audio.1 for marks made before it.
  const powers = new Map<string, Float64Array>();
  const scheme = version === 1 ? AUDIO_SCHEME_V1 : AUDIO_SCHEME_V2;
  let r = detectAudioMark(mono16, { seed, scheme, powers });
  if (!r.found && version === undefined) {
    const v1 = detectAudioMark(mono16, { seed, scheme: AUDIO_SCHEME_V1, powers });
    if (v1.found) r = v1;
  }
  const common = {
    confidence: round(r.confidence, 4),
    bitErrors: r.bitErrors,
    syncZ: round(r.syncZ, 2),
    seconds,
    offsetSeconds: round(r.offset / AUDIO_WORK_RATE, 4),
  };
  if (r.found && r.payload)
    return { found: true, payload: Buffer.from(r.payload).toString('hex'), ...common, version: r.version };
  return { found: false, ...common, reason: r.reason ?? 'not found' };
}

const AUDIO_CONTAINERS: ReadonlySet<MediaFormat> = new Set(['wav', 'mp3', 'm4a', 'mp4', 'mov']);

/** The format of `bytes` when it is a container the audio watermark handles; coded error otherwise. */
function sniffAudioContainer(bytes: Uint8Array): MediaFormat {
  const format = sniffFormat(bytes).format;
  if (!AUDIO_CONTAINERS.has(format)) {
    throw new UnsupportedFormatError(
      `Audio watermarking supports WAV, MP3, M4A, MP4 and MOV, not ${format}`,
      { details: { format } },
    );
  }
  return format;
}

/** The first bytes of a file, enough for format sniffing (a path input is never read whole). */
async function readHead(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Embed `payload` as an inaudible watermark in an audio file (WAV, MP3, M4A) or in the first
 * audio track of a video (MP4, MOV), and return the re-encoded file: WAV keeps its sample format,
 * MP3 and AAC are re-encoded at the source's bitrate (at least 128 kb/s), the video stream and
 * other tracks are copied untouched, metadata is carried over.
 *
 * @throws UnsupportedFormatError for other formats or no audio track; MediaTooSmallError under
 *   {@link AUDIO_MIN_SECONDS} (2.112 s); MediaTooLargeError over `maxSeconds`; CorruptMediaError for undecodable input;
 *   FfmpegError when ffmpeg is missing.
 * @example
 * ```ts
 * const marked = await embedAudioWatermark('voice.wav', { payload: '0123456789abcdef' });
 * await writeFile('voice.marked.wav', marked);
 * ```
 */
export async function embedAudioWatermark(
  input: MediaInput,
  options: EmbedAudioWatermarkOptions,
): Promise<Uint8Array> {
  checkOptions(options);
  const id = parseSoftBindingId(options.payload, 'payload');
  const strength = checkStrength(options.strength);
  const maxSeconds = checkSeconds(options.maxSeconds, 'maxSeconds', DEFAULT_MAX_EMBED_SECONDS);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new TypeError('Expected a function for onProgress');
  }
  const seed = deriveWatermarkSeed(options.key); // validates the key before any work
  const payload = Uint8Array.from(Buffer.from(id, 'hex'));
  // Bytes are sniffed before anything is written; a path only has its head read.
  const known = input instanceof Uint8Array ? sniffAudioContainer(input) : undefined;
  return withMediaFile(input, async (path) => {
    const format = known ?? sniffAudioContainer(await readHead(path));
    const probe = await probeMedia(path);
    const stream = probe.audio[0];
    if (!stream) throw new UnsupportedFormatError('The input has no audio track to watermark');
    const total = stream.durationSeconds ?? probe.durationSeconds ?? 0;
    if (total > maxSeconds) {
      throw new MediaTooLargeError(`Audio is ${total.toFixed(1)} s long, over the ${maxSeconds} s limit`, {
        details: { seconds: total, maxSeconds },
      });
    }
    const progress = (stage: AudioWatermarkProgress['stage'], done: number): void =>
      options.onProgress?.({ stage, secondsDone: done, secondsTotal: total });
    return streamMark(path, format, stream, maxSeconds, { seed, payload, strength }, progress);
  });
}

/**
 * Decode → mark → encode as one stream: ffmpeg decodes into a pipe, the core marks a chunk at a
 * time ({@link AudioMarkEmbedder}) and the marked samples go straight into the encoding ffmpeg, so
 * the decoder, the mark and the encoder (the slowest part for AAC and MP3) run at the same time on
 * different cores instead of one after the other, and memory stays bounded.
 */
async function streamMark(
  path: string,
  format: MediaFormat,
  stream: AudioStreamInfo,
  maxSeconds: number,
  params: { seed: Uint8Array; payload: Uint8Array; strength: number },
  progress: (stage: AudioWatermarkProgress['stage'], done: number) => void,
): Promise<Uint8Array> {
  const nch = stream.channels;
  const rate = stream.sampleRate;
  if (!(nch >= 1) || !(rate > 0)) {
    throw new CorruptMediaError('The audio track has no usable sample rate or channel count', {
      details: { sampleRate: rate, channels: nch },
    });
  }
  checkRate(rate);
  const embedder = new AudioMarkEmbedder(nch, rate, params);
  const dir = await withTempDir();
  try {
    const output = join(dir, `marked.${containerExt(format)}`);
    const sink = await spawnFfmpegSink(encodeArgs(path, format, stream, nch, rate, output));
    let written = 0;
    const write = async (planar: Float32Array[]): Promise<void> => {
      const n = planar[0]!.length;
      if (n === 0) return;
      await sink.write(interleave(planar));
      written += n;
      progress('mark', written / rate);
    };
    try {
      progress('decode', 0);
      // 16384-sample blocks (≈ 0.34 s at 48 kHz): small enough that the encoder is fed early.
      const blocks = decodeAudioPcm(path, { streamIndex: stream.index, channels: nch, blockFrames: 16384 });
      for await (const block of blocks) {
        const n = block.length / nch;
        if (embedder.samplesIn + n > (maxSeconds + 1) * rate) {
          throw new MediaTooLargeError(`Audio is longer than the ${maxSeconds} s limit`, {
            details: { maxSeconds },
          });
        }
        await write(embedder.push(deinterleave(block, nch)));
      }
      const seconds = embedder.samplesIn / rate;
      if (seconds < AUDIO_MIN_SECONDS) throw audioTooShort(seconds);
      await write(embedder.end());
      progress('encode', seconds);
      await sink.finish();
    } catch (err) {
      sink.abort();
      throw err;
    }
    const out = await readFile(output);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function checkRate(rate: number): void {
  if (rate < MIN_EMBED_RATE) {
    throw new WatermarkError(
      `Sample rate ${rate} Hz is too low: the audio mark needs at least ${MIN_EMBED_RATE} Hz (it lives in 0.75–7 kHz)`,
      { details: { sampleRate: rate } },
    );
  }
}

function deinterleave(block: Float32Array, nch: number): Float32Array[] {
  if (nch === 1) return [block];
  const n = block.length / nch;
  const out = Array.from({ length: nch }, () => new Float32Array(n));
  for (let i = 0; i < n; i++) for (let c = 0; c < nch; c++) out[c]![i] = block[i * nch + c]!;
  return out;
}

function interleave(planar: readonly Float32Array[]): Uint8Array {
  const nch = planar.length;
  if (nch === 1) return new Uint8Array(planar[0]!.buffer, planar[0]!.byteOffset, planar[0]!.byteLength);
  const n = planar[0]!.length;
  const buf = new Float32Array(n * nch);
  for (let c = 0; c < nch; c++) {
    const ch = planar[c]!;
    for (let i = 0; i < n; i++) buf[i * nch + c] = ch[i]!;
  }
  return new Uint8Array(buf.buffer);
}

/**
 * Look for the watermark in an audio or video file (first audio track). Never throws for bad or
 * unmarked content: the result says `found: false` with a `reason`. Throws only for misuse (bad
 * options), unreadable paths, or a missing ffmpeg.
 *
 * @example
 * ```ts
 * const r = await detectAudioWatermark('clip.m4a');
 * if (r.found) console.log(r.payload, r.confidence);
 * ```
 */
export async function detectAudioWatermark(
  input: MediaInput,
  options: DetectAudioWatermarkOptions = {},
): Promise<AudioWatermarkDetection> {
  checkOptions(options);
  const seed = deriveWatermarkSeed(options.key);
  const maxSeconds = checkSeconds(options.maxSeconds, 'maxSeconds', DEFAULT_MAX_DETECT_SECONDS);
  const version = checkVersion(options.version);
  try {
    const mono16 = await withMediaFile(input, async (path) => {
      const format = sniffFormat(input instanceof Uint8Array ? input : await readHead(path)).format;
      if (!AUDIO_CONTAINERS.has(format)) {
        throw new UnsupportedFormatError(`${format} has no audio track`, { details: { format } });
      }
      const parts: Float32Array[] = [];
      let n = 0;
      for await (const block of decodeAudioPcm(path, {
        sampleRate: AUDIO_WORK_RATE,
        channels: 1,
        maxSeconds,
      })) {
        parts.push(block);
        n += block.length;
      }
      return concat(parts, n);
    });
    return detectWorking(mono16, seed, version);
  } catch (err) {
    // Unreadable paths and a missing ffmpeg are the caller's problem; anything about the content
    // is a verdict.
    return notFoundFromContentError(err);
  }
}

/** Standard MP3/AAC bitrate at or above the source's (at least 128 kb/s), in kb/s. */
function bitrateFor(stream: AudioStreamInfo): number {
  const src = stream.bitRate ? stream.bitRate / 1000 : 128;
  const steps = [128, 160, 192, 224, 256, 320];
  return steps.find((s) => s >= src - 4) ?? 320;
}

function containerExt(format: MediaFormat): string {
  return format === 'wav' || format === 'mp3' || format === 'mov' || format === 'm4a' ? format : 'mp4';
}

/** ffmpeg arguments that encode f32le PCM from stdin into the input's container/codec, copying every other stream and the metadata. */
function encodeArgs(
  source: string,
  format: MediaFormat,
  stream: AudioStreamInfo,
  nch: number,
  rate: number,
  output: string,
): string[] {
  // With two inputs ffmpeg reads each in its own thread through a queue of 8 packets by default;
  // small raw-PCM packets then trickle (60 s of WAV took 1.5 s instead of 0.2 s): a deep queue
  // removes the stall, and lets ffmpeg take marked samples as fast as they come.
  const queue = ['-thread_queue_size', '4096'];
  const args = [...queue, '-f', 'f32le', '-ar', String(rate), '-ac', String(nch), '-i', 'pipe:0'];
  args.push(...queue, '-i', source);
  if (format === 'wav') {
    // Same sample format as the source (pcm_s16le, pcm_s24le, pcm_f32le…); ffmpeg saturates on
    // conversion to integers.
    const codec = stream.codec.startsWith('pcm_') ? stream.codec : 'pcm_s16le';
    args.push('-map', '0:a:0', '-map_metadata', '1', '-c:a', codec);
  } else if (format === 'mp3') {
    args.push('-map', '0:a:0', '-map_metadata', '1', '-c:a', 'libmp3lame', '-b:a', `${bitrateFor(stream)}k`);
    args.push('-id3v2_version', '3');
  } else {
    // M4A/MP4/MOV: the marked track first, then every other stream of the source, copied.
    args.push('-map', '1:v?', '-map', '0:a:0', '-map', '1:a?', '-map', `-1:${stream.index}`, '-map', '1:s?');
    args.push('-map_metadata', '1', '-c', 'copy');
    const codec =
      stream.codec === 'aac' || format === 'm4a' ? 'aac' : stream.codec === 'mp3' ? 'libmp3lame' : 'aac';
    args.push(`-c:a:0`, codec, `-b:a:0`, `${bitrateFor(stream)}k`, '-movflags', '+faststart');
  }
  args.push('-y', output);
  return args;
}

function concat(parts: readonly Float32Array[], n: number): Float32Array {
  const out = new Float32Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
