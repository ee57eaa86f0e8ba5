/**
 * Generated test programs for the audio watermark (no fixtures): music-like chords with envelopes,
 * noise-like textures, and speech from espeak-ng when it is installed. Shared by the tests and
 * bench/audio.ts; ffmpeg is spawned here only to make and attack test files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Deterministic pseudo-random generator. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * Music-like program: a chord every half second (4 notes with 8 harmonics, 10 ms attack,
 * exponential decay, panned), a bass note, and a short noise burst like a hi-hat.
 */
export function musicLike(seconds: number, rate: number, seed = 1, channels = 2): Float32Array[] {
  const r = lcg(seed);
  const n = Math.round(seconds * rate);
  const out = Array.from({ length: channels }, () => new Float32Array(n));
  const beat = 0.5;
  for (let t0 = 0; t0 < seconds; t0 += beat) {
    const root = 110 * 2 ** (Math.floor(r() * 12) / 12);
    const chord = [1, 1.26, 1.5, 2].map((m) => root * 2 * m);
    const s0 = Math.round(t0 * rate);
    const len = Math.round(beat * 1.5 * rate);
    for (const [ci, f] of chord.entries()) {
      const pan = (ci + 0.5) / chord.length;
      const amp = 0.08 * (0.6 + 0.4 * r());
      for (let i = 0; i < len && s0 + i < n; i++) {
        const tt = i / rate;
        const env = Math.min(1, tt / 0.01) * Math.exp(-tt * 3);
        let v = 0;
        for (let h = 1; h <= 8; h++) v += Math.sin(2 * Math.PI * f * h * tt) / h ** 1.3;
        v *= amp * env;
        out[0]![s0 + i]! += v * (1.3 - pan);
        if (channels > 1) out[1]![s0 + i]! += v * (pan + 0.3);
      }
    }
    for (let i = 0; i < Math.round(beat * rate) && s0 + i < n; i++) {
      const tt = i / rate;
      const v = 0.25 * Math.sin(Math.PI * root * tt) * Math.exp(-tt * 2);
      for (const ch of out) ch[s0 + i]! += v;
    }
    for (let i = 0; i < Math.round(0.05 * rate) && s0 + i < n; i++) {
      const v = 0.05 * (r() - 0.5) * Math.exp((-i / rate) * 80);
      for (const ch of out) ch[s0 + i]! += v;
    }
  }
  return out;
}

/** Noise-like program: pink-ish (Voss-style filtered) or white noise with a slow swell. */
export function noiseLike(
  seconds: number,
  rate: number,
  seed = 2,
  channels = 2,
  white = false,
): Float32Array[] {
  const r = lcg(seed);
  const n = Math.round(seconds * rate);
  return Array.from({ length: channels }, () => {
    const x = new Float32Array(n);
    let b0 = 0;
    let b1 = 0;
    let b2 = 0;
    for (let i = 0; i < n; i++) {
      const w = r() * 2 - 1;
      let v = w;
      if (!white) {
        b0 = 0.99765 * b0 + w * 0.099046;
        b1 = 0.963 * b1 + w * 0.2965164;
        b2 = 0.57 * b2 + w * 1.0526913;
        v = (b0 + b1 + b2 + w * 0.1848) * 0.25;
      }
      x[i] = 0.2 * v * (0.7 + 0.3 * Math.sin((i / rate) * 2));
    }
    return x;
  });
}

export const SPEECH_TEXT =
  'Provenance matters because voice clones cost companies real money. This sentence is long ' +
  'enough to give several seconds of speech, with pauses, plosives and fricatives. The quick ' +
  'brown fox jumps over the lazy dog near the riverbank at dawn.';

/** True when espeak-ng is on PATH. */
export function hasEspeak(): boolean {
  return spawnSync('espeak-ng', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Speech from espeak-ng as mono PCM at its native 22,050 Hz (undefined when it is missing). */
export function speech(text = SPEECH_TEXT): { sampleRate: number; channels: Float32Array[] } | undefined {
  const wav = spawnSync('espeak-ng', ['-s', '150', '--stdout', text], { maxBuffer: 1 << 28 });
  if (wav.status !== 0 || !wav.stdout?.length) return undefined;
  const pcm = ffmpegPipe(wav.stdout, [], ['-ac', '1', '-ar', '22050']);
  return { sampleRate: 22050, channels: [pcm] };
}

/** Interleave planar channels to f32le bytes. */
export function interleave(channels: readonly Float32Array[]): Buffer {
  const n = channels[0]!.length;
  const c = channels.length;
  const out = new Float32Array(n * c);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) out[i * c + k] = channels[k]![i]!;
  return Buffer.from(out.buffer);
}

/** Run ffmpeg on `input` bytes (format guessed, or `inArgs`), decode to mono/any f32le with `outArgs`. */
export function ffmpegPipe(
  input: Uint8Array,
  inArgs: readonly string[],
  outArgs: readonly string[],
): Float32Array {
  const r = spawnSync(
    'ffmpeg',
    ['-v', 'error', ...inArgs, '-i', 'pipe:0', ...outArgs, '-f', 'f32le', '-c:a', 'pcm_f32le', 'pipe:1'],
    { input, maxBuffer: 1 << 30 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
  const b = Buffer.from(r.stdout);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

/** Encode planar PCM with ffmpeg output args (e.g. ['-c:a', 'pcm_s16le', '-f', 'wav']) to bytes. */
export function encodePcm(
  channels: readonly Float32Array[],
  rate: number,
  outArgs: readonly string[],
): Uint8Array {
  const r = spawnSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-f',
      'f32le',
      '-ar',
      String(rate),
      '-ac',
      String(channels.length),
      '-i',
      'pipe:0',
      ...outArgs,
      'pipe:1',
    ],
    { input: interleave(channels), maxBuffer: 1 << 30 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
  return new Uint8Array(r.stdout);
}

/**
 * Transcode bytes with ffmpeg (an attack) into a file of extension `ext` (the container follows
 * from it: m4a/mp4 need a seekable output), returning the new file's bytes.
 */
export function transcode(input: Uint8Array, outArgs: readonly string[], ext: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'provmark-audio-test-'));
  try {
    // A file, not a pipe: MP4/M4A inputs keep their index at the end and cannot be read from a pipe.
    const src = join(dir, 'in');
    writeFileSync(src, input);
    const out = join(dir, `out.${ext}`);
    const r = spawnSync('ffmpeg', ['-v', 'error', '-i', src, ...outArgs, '-y', out], { maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Program-to-difference power ratio in dB over all channels. */
export function snrDb(original: readonly Float32Array[], marked: readonly Float32Array[]): number {
  let s = 0;
  let d = 0;
  for (let c = 0; c < original.length; c++) {
    const a = original[c]!;
    const b = marked[c]!;
    for (let i = 0; i < a.length; i++) {
      s += a[i]! * a[i]!;
      d += (b[i]! - a[i]!) ** 2;
    }
  }
  return 10 * Math.log10(s / d);
}

/** An MP4 with a generated H.264 video track (160×120, 15 fps) and `audio` (an M4A) as its sound. */
export function muxWithVideo(audioM4a: Uint8Array, seconds: number): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'provmark-audio-test-'));
  try {
    writeFileSync(join(dir, 'a.m4a'), audioM4a);
    const out = join(dir, 'v.mp4');
    const r = spawnSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=s=160x120:r=15:d=${seconds}`,
      '-i',
      join(dir, 'a.m4a'),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'copy',
      '-shortest',
      '-y',
      out,
    ]);
    if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** MD5 of a file's video packets (ffmpeg's md5 muxer over a stream copy). */
export function videoPacketsMd5(mp4: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'provmark-audio-test-'));
  try {
    writeFileSync(join(dir, 'v.mp4'), mp4);
    const r = spawnSync('ffmpeg', [
      '-v',
      'error',
      '-i',
      join(dir, 'v.mp4'),
      '-map',
      '0:v',
      '-c',
      'copy',
      '-f',
      'md5',
      '-',
    ]);
    if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
    return r.stdout.toString().trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
