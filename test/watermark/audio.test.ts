import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  detectAudioWatermark,
  detectAudioWatermarkPcm,
  embedAudioWatermark,
  embedAudioWatermarkPcm,
  type AudioPcm,
} from '../../src/watermark/audio.js';
import { Resampler, resampleAudio } from '../../src/watermark/core/audio-resample.js';
import { AudioMarkEmbedder, embedAudioMark } from '../../src/watermark/core/audio.js';
import {
  encodePcm,
  ffmpegPipe,
  hasEspeak,
  musicLike,
  muxWithVideo,
  noiseLike,
  snrDb,
  speech,
  transcode,
  videoPacketsMd5,
} from './audio-signals.js';

const ID = '0123456789abcdef';
const RATE = 48000;

function probeStreams(bytes: Uint8Array): string[] {
  const r = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_type,codec_name,sample_rate,channels',
      '-of',
      'csv=p=0',
      '-i',
      'pipe:0',
    ],
    { input: bytes },
  );
  return r.stdout.toString().trim().split('\n');
}

function excerpt(pcm: AudioPcm, startSeconds: number, seconds: number): AudioPcm {
  const a = Math.round(startSeconds * pcm.sampleRate);
  const b = a + Math.round(seconds * pcm.sampleRate);
  return { sampleRate: pcm.sampleRate, channels: pcm.channels.map((c) => c.slice(a, b)) };
}

describe('audio watermark on PCM', () => {
  const music: AudioPcm = { sampleRate: RATE, channels: musicLike(12, RATE, 7) };

  it('round-trips on music, ≥ 30 dB SNR, from any 5-second excerpt', () => {
    const { pcm, snrDb: reported } = embedAudioWatermarkPcm(music, { payload: ID });
    const measured = snrDb(music.channels, pcm.channels);
    expect(measured).toBeGreaterThanOrEqual(30);
    expect(Math.abs(measured - reported)).toBeLessThan(0.5);
    for (const start of [0, 0.77, 3.31, 6.9]) {
      const r = detectAudioWatermarkPcm(excerpt(pcm, start, 5));
      expect(r.found, `excerpt at ${start} s: ${r.reason}`).toBe(true);
      expect(r.payload).toBe(ID);
    }
  });

  it('decodes an excerpt that holds no whole block: every bit is complete inside some span', () => {
    const { pcm } = embedAudioWatermarkPcm(music, { payload: ID });
    // Blocks start at 0, 2.048, 4.096 … s: [1.0, 3.75) straddles one boundary and contains no whole
    // block, yet (2.75 s ≥ one block + one 0.512 s span) it holds every span of the block once.
    const r = detectAudioWatermarkPcm(excerpt(pcm, 1.0, 2.75));
    expect(r.found, r.reason).toBe(true);
    expect(r.payload).toBe(ID);
  });

  it('survives stereo→mono, volume ×0.5 and 48→44.1 kHz resampling', () => {
    const { pcm } = embedAudioWatermarkPcm(music, { payload: ID });
    const mono = new Float32Array(pcm.channels[0]!.length);
    for (let i = 0; i < mono.length; i++) mono[i] = (pcm.channels[0]![i]! + pcm.channels[1]![i]!) / 2;
    const half = pcm.channels.map((c) => c.map((v) => v * 0.5));
    const resampled = pcm.channels.map((c) => resampleAudio(c, RATE, 44100));
    for (const [name, attacked] of [
      ['mono', { sampleRate: RATE, channels: [mono] }],
      ['volume', { sampleRate: RATE, channels: half }],
      ['44.1k', { sampleRate: 44100, channels: resampled }],
    ] as const) {
      const r = detectAudioWatermarkPcm(excerpt(attacked, 1.1, 6));
      expect(r.found, `${name}: ${r.reason}`).toBe(true);
      expect(r.payload).toBe(ID);
    }
  });

  it('streams: any split of the input gives the same marked samples as one piece', () => {
    const params = { seed: new Uint8Array(32).fill(7), payload: new Uint8Array(8).fill(0x5a), strength: 1 };
    for (const rate of [RATE, 44100]) {
      const prog = musicLike(7.3, rate, 3);
      const whole = embedAudioMark(prog, rate, params);
      const emb = new AudioMarkEmbedder(2, rate, params);
      const parts: Float32Array[][] = [];
      const sizes = [1, 4095, 70000, 333, 100000];
      for (let at = 0, k = 0; at < prog[0]!.length; k++) {
        const n = Math.min(sizes[k % sizes.length]!, prog[0]!.length - at);
        parts.push(emb.push(prog.map((c) => c.subarray(at, at + n))));
        at += n;
      }
      parts.push(emb.end());
      for (let c = 0; c < 2; c++) {
        const got = new Float32Array(prog[0]!.length);
        let o = 0;
        for (const p of parts) {
          got.set(p[c]!, o);
          o += p[c]!.length;
        }
        expect(o).toBe(prog[0]!.length);
        let maxDiff = 0;
        for (let i = 0; i < got.length; i++)
          maxDiff = Math.max(maxDiff, Math.abs(got[i]! - whole.channels[c]![i]!));
        expect(maxDiff).toBeLessThan(1e-6);
      }
      expect(Math.abs(emb.snrDb - whole.snrDb)).toBeLessThan(1e-6);
    }
  });

  it('resamples in pieces exactly as in one call', () => {
    const x = musicLike(1, 44100, 5)[0]!;
    for (const [from, to] of [
      [44100, 16000],
      [16000, 48000],
      [22050, 16000],
    ] as const) {
      const src = from === 44100 ? x : resampleAudio(x, 44100, from);
      const whole = resampleAudio(src, from, to);
      const r = new Resampler(from, to);
      const got = new Float32Array(whole.length);
      let done = 0;
      for (const n of [7, 1000, 20000, src.length]) {
        const ready = n >= src.length ? whole.length : r.outputsReady(n);
        r.process(src, 0, n >= src.length ? src.length : n, done, ready, got, done);
        done = ready;
      }
      expect(Array.from(got)).toEqual(Array.from(whole));
    }
  });

  it('adds nothing to digital silence and reports found:false on it', () => {
    const silence: AudioPcm = { sampleRate: RATE, channels: [new Float32Array(RATE * 6)] };
    const { pcm } = embedAudioWatermarkPcm(silence, { payload: ID });
    expect(pcm.channels[0]!.every((v) => v === 0)).toBe(true);
    const r = detectAudioWatermarkPcm(pcm);
    expect(r.found).toBe(false);
    expect(r.reason).toMatch(/silent/);
  });

  it('keeps ≥ 30 dB SNR on noise-like programs', () => {
    for (const white of [false, true]) {
      const noise: AudioPcm = { sampleRate: RATE, channels: noiseLike(6, RATE, 3, 2, white) };
      const { pcm } = embedAudioWatermarkPcm(noise, { payload: ID });
      expect(snrDb(noise.channels, pcm.channels)).toBeGreaterThanOrEqual(30);
    }
  });

  it('never reports a payload with the wrong key', () => {
    const { pcm } = embedAudioWatermarkPcm(music, { payload: ID, key: 'secret-a' });
    expect(detectAudioWatermarkPcm(pcm, { key: 'secret-a' }).payload).toBe(ID);
    for (const key of ['secret-b', undefined]) {
      const r = detectAudioWatermarkPcm(pcm, key === undefined ? {} : { key });
      expect(r.found).toBe(false);
      expect(r.payload).toBeUndefined();
    }
  });

  it('never reports a payload on unmarked audio (bounded loop)', () => {
    const programs: AudioPcm[] = [];
    for (let seed = 1; seed <= 6; seed++)
      programs.push({ sampleRate: RATE, channels: musicLike(6, RATE, seed) });
    programs.push({ sampleRate: RATE, channels: noiseLike(6, RATE, 11) });
    programs.push({ sampleRate: RATE, channels: noiseLike(6, RATE, 12, 1, true) });
    const sine = new Float32Array(RATE * 6).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 1000 * i) / RATE));
    programs.push({ sampleRate: RATE, channels: [sine] });
    const sp = speech();
    if (sp) programs.push(sp);
    let attempts = 0;
    for (const p of programs) {
      for (const key of [undefined, 'other-key']) {
        const r = detectAudioWatermarkPcm(p, key === undefined ? {} : { key });
        attempts++;
        expect(r.found).toBe(false);
        expect(r.payload).toBeUndefined();
      }
    }
    expect(attempts).toBeGreaterThanOrEqual(18);
    // 20 detections, each reading audio.2 (96 column shifts) and then audio.1: slow on a loaded machine.
  }, 180_000);

  it('rejects misuse with TypeError/RangeError and short or low-rate audio with coded errors', () => {
    expect(() => embedAudioWatermarkPcm(music, { payload: 'xyz' })).toThrow(RangeError);
    expect(() => embedAudioWatermarkPcm(music, { payload: ID, strength: 9 })).toThrow(RangeError);
    expect(() => embedAudioWatermarkPcm({ sampleRate: RATE, channels: [] }, { payload: ID })).toThrow(
      TypeError,
    );
    expect(() =>
      embedAudioWatermarkPcm(
        { sampleRate: RATE, channels: [new Float32Array(10), new Float32Array(11)] },
        { payload: ID },
      ),
    ).toThrow(RangeError);
    expect(() => embedAudioWatermarkPcm(excerpt(music, 0, 1), { payload: ID })).toThrow(
      expect.objectContaining({ code: 'ERR_MEDIA_TOO_SMALL' }),
    );
    expect(() =>
      embedAudioWatermarkPcm({ sampleRate: 8000, channels: [new Float32Array(8000 * 4)] }, { payload: ID }),
    ).toThrow(expect.objectContaining({ code: 'ERR_WATERMARK' }));
    const short = detectAudioWatermarkPcm(excerpt(music, 0, 1));
    expect(short.found).toBe(false);
    expect(short.reason).toMatch(/minimum/);
  });
});

describe.skipIf(!hasEspeak())('audio watermark on espeak-ng speech', () => {
  it('round-trips on speech (22.05 kHz) and survives AAC 128 kb/s and MP3 128 kb/s', async () => {
    const sp = speech()!;
    const { pcm } = embedAudioWatermarkPcm(sp, { payload: ID });
    expect(snrDb(sp.channels, pcm.channels)).toBeGreaterThanOrEqual(30);
    const direct = detectAudioWatermarkPcm(pcm);
    expect(direct.payload, direct.reason).toBe(ID);
    const wav = encodePcm(pcm.channels, pcm.sampleRate, ['-c:a', 'pcm_s16le', '-f', 'wav']);
    for (const [name, args, ext] of [
      ['aac', ['-c:a', 'aac', '-b:a', '128k'], 'm4a'],
      ['mp3', ['-c:a', 'libmp3lame', '-b:a', '128k'], 'mp3'],
    ] as const) {
      const r = await detectAudioWatermark(transcode(wav, args, ext));
      expect(r.found, `${name}: ${r.reason}`).toBe(true);
      expect(r.payload).toBe(ID);
    }
  });
});

describe('audio watermark on files', () => {
  let wav: Uint8Array;
  let marked: Uint8Array;

  beforeAll(async () => {
    wav = encodePcm(musicLike(9, RATE, 21), RATE, ['-c:a', 'pcm_s16le', '-f', 'wav']);
    marked = await embedAudioWatermark(wav, { payload: ID });
  });

  it('keeps WAV at the same sample format, rate, channels and length', async () => {
    expect(probeStreams(marked)).toEqual(probeStreams(wav));
    const a = ffmpegPipe(wav, [], []);
    const b = ffmpegPipe(marked, [], []);
    expect(b.length).toBe(a.length);
    const r = await detectAudioWatermark(marked);
    expect(r.payload).toBe(ID);
  });

  it('survives each attack on the file: AAC, MP3, 44.1 kHz, mono, volume ×0.5, 5-second cut', async () => {
    const attacks: [string, readonly string[], string][] = [
      ['aac 128k', ['-c:a', 'aac', '-b:a', '128k'], 'm4a'],
      ['mp3 128k', ['-c:a', 'libmp3lame', '-b:a', '128k'], 'mp3'],
      ['resample 44.1k', ['-ar', '44100', '-c:a', 'pcm_s16le'], 'wav'],
      ['stereo→mono', ['-ac', '1', '-c:a', 'pcm_s16le'], 'wav'],
      ['volume ×0.5', ['-af', 'volume=0.5', '-c:a', 'pcm_s16le'], 'wav'],
      ['5 s cut', ['-ss', '2.3', '-t', '5', '-c:a', 'pcm_s16le'], 'wav'],
    ];
    for (const [name, args, ext] of attacks) {
      const r = await detectAudioWatermark(transcode(marked, args, ext));
      expect(r.found, `${name}: ${r.reason}`).toBe(true);
      expect(r.payload).toBe(ID);
    }
  });

  it('streams the file: progress rises through the program and ends at its length', async () => {
    const events: { stage: string; secondsDone: number }[] = [];
    const out = await embedAudioWatermark(wav, { payload: ID, onProgress: (p) => events.push(p) });
    expect(events[0]!.stage).toBe('decode');
    const marks = events.filter((e) => e.stage === 'mark').map((e) => e.secondsDone);
    // Marked samples reach the encoder while decoding goes on: several steps, not one at the end.
    expect(marks.length).toBeGreaterThan(1);
    for (let i = 1; i < marks.length; i++) expect(marks[i]!).toBeGreaterThanOrEqual(marks[i - 1]!);
    expect(marks[marks.length - 1]).toBeCloseTo(9, 3);
    expect(events[events.length - 1]!.stage).toBe('encode');
    expect((await detectAudioWatermark(out)).payload).toBe(ID);
  });

  it('keeps MP3 as MP3 and M4A as AAC in M4A', async () => {
    const mp3 = transcode(wav, ['-c:a', 'libmp3lame', '-b:a', '192k'], 'mp3');
    const m4a = transcode(wav, ['-c:a', 'aac', '-b:a', '128k'], 'm4a');
    for (const [src, codec] of [
      [mp3, 'mp3'],
      [m4a, 'aac'],
    ] as const) {
      const out = await embedAudioWatermark(src, { payload: ID });
      expect(probeStreams(out)[0]).toMatch(new RegExp(`^${codec},audio,48000,2`));
      const r = await detectAudioWatermark(out);
      expect(r.payload, r.reason).toBe(ID);
    }
  });

  it('marks the audio track of an MP4 and copies its video stream bit for bit', async () => {
    const mp4 = muxWithVideo(transcode(wav, ['-c:a', 'aac', '-b:a', '128k'], 'm4a'), 9);
    const out = await embedAudioWatermark(mp4, { payload: ID });
    expect(probeStreams(out).map((l) => l.split(',')[1])).toEqual(['video', 'audio']);
    expect(videoPacketsMd5(out)).toBe(videoPacketsMd5(mp4));
    const r = await detectAudioWatermark(out);
    expect(r.payload, r.reason).toBe(ID);
  });

  it('bad input: coded errors for embed, found:false with a reason for detect', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    const truncated = wav.slice(0, 2000);
    const short = encodePcm(musicLike(1, RATE, 3), RATE, ['-c:a', 'pcm_s16le', '-f', 'wav']);
    const cases: [Uint8Array, string][] = [
      [new Uint8Array(0), 'ERR_CORRUPT_MEDIA'],
      [png, 'ERR_UNSUPPORTED_FORMAT'],
      [short, 'ERR_MEDIA_TOO_SMALL'],
      [truncated, 'ERR_MEDIA_TOO_SMALL'],
    ];
    for (const [bytes, code] of cases) {
      await expect(embedAudioWatermark(bytes, { payload: ID })).rejects.toMatchObject({ code });
      const r = await detectAudioWatermark(bytes);
      expect(r.found).toBe(false);
      expect(r.reason).toBeTruthy();
    }
    const garbage = new Uint8Array(4000);
    garbage.set(new TextEncoder().encode('RIFF\0\0\0\0WAVEfmt '));
    const r = await detectAudioWatermark(garbage);
    expect(r.found).toBe(false);
    await expect(embedAudioWatermark(garbage, { payload: ID })).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_/),
    });
    await expect(embedAudioWatermark(wav, { payload: ID, maxSeconds: 3 })).rejects.toMatchObject({
      code: 'ERR_MEDIA_TOO_LARGE',
    });
    await expect(embedAudioWatermark('/nonexistent/x.wav', { payload: ID })).rejects.toMatchObject({
      code: 'ERR_FILE_NOT_FOUND',
    });
    await expect(detectAudioWatermark('/nonexistent/x.wav')).rejects.toMatchObject({
      code: 'ERR_FILE_NOT_FOUND',
    });
  });
});
