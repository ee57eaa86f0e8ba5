import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioPcm, decodeVideoFrames } from '../../src/media/ffmpeg/decode.js';
import { encodeVideoWithStreams } from '../../src/media/ffmpeg/encode.js';
import { findFfmpeg } from '../../src/media/ffmpeg/install.js';
import { probeFrameTimes, probeMedia, type MediaProbe } from '../../src/media/ffmpeg/probe.js';
import { runFfmpeg } from '../../src/media/ffmpeg/run.js';
import { makeClip } from '../helpers/video.js';

let dir: string;
const p = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'provmark-ffmpeg-test-'));
  await Promise.all([
    makeClip(p('av.mp4'), {
      extra: [
        '-color_primaries',
        'bt709',
        '-color_trc',
        'bt709',
        '-colorspace',
        'bt709',
        '-color_range',
        'tv',
      ],
    }),
    makeClip(p('vfr.mp4'), { vfr: true, seconds: 2 }),
    makeClip(p('silent.mp4'), { audioTracks: 0, variant: 1 }),
    makeClip(p('two-audio.mp4'), { audioTracks: 2, variant: 2 }),
  ]);
  // ffmpeg 5 writes a display matrix from the legacy tag only on stream copy.
  await runFfmpeg([
    '-i',
    p('av.mp4'),
    '-map',
    '0',
    '-c',
    'copy',
    '-metadata:s:v:0',
    'rotate=90',
    '-y',
    p('rotated.mp4'),
  ]);
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=f=440:sample_rate=48000:d=1',
    '-ac',
    '2',
    '-c:a',
    'pcm_s16le',
    '-y',
    p('tone.wav'),
  ]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Decode `src` and re-encode it unchanged through the pipes, returning the output's probe. */
async function passthrough(src: string, out: string): Promise<MediaProbe> {
  const info = await probeMedia(src);
  const video = info.video[0]!;
  await encodeVideoWithStreams({
    source: src,
    video,
    frames: decodeVideoFrames(src, video),
    frameTimes: await probeFrameTimes(src, video.index),
    output: out,
    settings: { preset: 'ultrafast' },
  });
  return probeMedia(out);
}

describe('ffmpeg adapter', () => {
  it('finds ffmpeg and reads its version', async () => {
    const ff = await findFfmpeg();
    expect(ff.version).toMatch(/\d/);
    if (ff.major !== undefined) expect(ff.major).toBeGreaterThanOrEqual(4);
  });

  it('probes a generated clip into typed stream info', async () => {
    const info = await probeMedia(p('av.mp4'));
    expect(info.formatName).toContain('mp4');
    expect(info.durationSeconds).toBeGreaterThan(1.9);
    expect(info.durationSeconds).toBeLessThan(2.2);
    const v = info.video[0]!;
    expect(v).toMatchObject({ kind: 'video', codec: 'h264', width: 320, height: 180, rotation: 0 });
    expect(v.fps).toBeCloseTo(30, 3);
    expect(v.variableFrameRate).toBe(false);
    expect(v.colour).toMatchObject({ primaries: 'bt709', transfer: 'bt709', space: 'bt709', range: 'tv' });
    expect(info.audio).toHaveLength(1);
    expect(info.audio[0]).toMatchObject({ kind: 'audio', codec: 'aac', sampleRate: 48000, channels: 1 });
    // Bytes work as well as paths.
    const fromBytes = await probeMedia(readFileSync(p('av.mp4')));
    expect(fromBytes.video[0]!.width).toBe(320);
  });

  it('decodes frames over a pipe: one per packet, luma-only or I420, optionally rescaled', async () => {
    const info = await probeMedia(p('av.mp4'));
    const v = info.video[0]!;
    const times = await probeFrameTimes(p('av.mp4'), v.index);
    expect(times.length).toBe(60);
    let n = 0;
    for await (const f of decodeVideoFrames(p('av.mp4'), v, {
      pixelFormat: 'gray',
      size: { width: 160, height: 90 },
    })) {
      expect(f.length).toBe(160 * 90);
      n++;
    }
    expect(n).toBe(60);
    let m = 0;
    for await (const f of decodeVideoFrames(p('av.mp4'), v, { maxSeconds: 1 })) {
      expect(f.length).toBe(320 * 180 * 1.5);
      m++;
    }
    expect(m).toBe(30);
  });

  it('decodes audio to float32 PCM with the exact sample count', async () => {
    let samples = 0;
    let peak = 0;
    for await (const block of decodeAudioPcm(p('tone.wav'), { blockFrames: 10000 })) {
      expect(block.length % 2).toBe(0);
      samples += block.length / 2;
      for (const s of block) peak = Math.max(peak, Math.abs(s));
    }
    expect(samples).toBe(48000);
    expect(peak).toBeGreaterThan(0.05);
    expect(peak).toBeLessThanOrEqual(1);
  });

  it('decode -> encode keeps a VFR clip frame count and every frame time', async () => {
    const src = p('vfr.mp4');
    const before = await probeFrameTimes(src, 0);
    const info = await probeMedia(src);
    expect(info.video[0]!.variableFrameRate).toBe(true);
    const out = await passthrough(src, p('vfr.out.mp4'));
    const after = await probeFrameTimes(p('vfr.out.mp4'), out.video[0]!.index);
    expect(after.length).toBe(before.length);
    for (let i = 0; i < before.length; i++) expect(Math.abs(after[i]! - before[i]!)).toBeLessThan(1e-4);
    // A pause of 0.1 s every 10 frames is really there (not resampled to a constant rate).
    expect(before[10]! - before[9]!).toBeGreaterThan(0.12);
    expect(out.audio).toHaveLength(1);
    expect(out.audio[0]!.codec).toBe('aac');
  });

  it('keeps full-range (yuvj420p) samples as they are', async () => {
    await runFfmpeg([
      '-i',
      p('av.mp4'),
      '-an',
      '-vf',
      'format=yuvj420p',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-crf',
      '0',
      '-y',
      p('full.mp4'),
    ]);
    const out = await passthrough(p('full.mp4'), p('full.out.mp4'));
    expect(out.video[0]!.colour.range).toBe('pc');
    const meanLuma = async (file: string): Promise<number> => {
      const info = await probeMedia(file);
      for await (const f of decodeVideoFrames(file, info.video[0]!, {
        pixelFormat: 'gray',
        maxSeconds: 0.1,
      })) {
        return f.reduce((s, v) => s + v, 0) / f.length;
      }
      return NaN;
    };
    const [a, b] = [await meanLuma(p('full.mp4')), await meanLuma(p('full.out.mp4'))];
    expect(Math.abs(a - b)).toBeLessThan(1);
  });

  it('keeps rotation, colour description and the audio streams (none, one, two)', async () => {
    const rot = await passthrough(p('rotated.mp4'), p('rotated.out.mp4'));
    const srcRot = (await probeMedia(p('rotated.mp4'))).video[0]!.rotation;
    expect(srcRot).not.toBe(0);
    expect(rot.video[0]!.rotation).toBe(srcRot);
    expect(rot.video[0]!.colour).toMatchObject({ primaries: 'bt709', transfer: 'bt709', space: 'bt709' });

    const silent = await passthrough(p('silent.mp4'), p('silent.out.mp4'));
    expect(silent.audio).toHaveLength(0);
    expect(silent.video).toHaveLength(1);

    const two = await passthrough(p('two-audio.mp4'), p('two-audio.out.mp4'));
    expect(two.audio).toHaveLength(2);
    expect(two.audio.map((a) => a.codec)).toEqual(['aac', 'aac']);
  });

  it('copies a timecode data track where the container takes it, drops it where not', async () => {
    await runFfmpeg(['-i', p('av.mp4'), '-c', 'copy', '-timecode', '01:00:00:00', '-y', p('tc.mov')]);
    const mov = await passthrough(p('tc.mov'), p('tc.out.mov'));
    expect(mov.other.map((o) => o.kind)).toEqual(['data']);
    expect(mov.audio).toHaveLength(1);
    const mkv = await passthrough(p('tc.mov'), p('tc.out.mkv'));
    expect(mkv.other).toHaveLength(0);
    expect(mkv.audio).toHaveLength(1);
  });

  it('gives coded errors for corrupt and truncated input, with stderr in details', async () => {
    const junk = new Uint8Array(4096).map((_, i) => (i * 7919) & 0xff);
    await expect(probeMedia(junk)).rejects.toMatchObject({ code: 'ERR_CORRUPT_MEDIA' });
    // Index at the end, file cut in half: nothing to parse.
    const bytes = readFileSync(p('av.mp4'));
    const cut = bytes.subarray(0, bytes.length >> 1);
    const err = await probeMedia(cut).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_CORRUPT_MEDIA' });
    expect(String((err as { details?: { stderr?: unknown } }).details?.stderr)).toMatch(/moov|Invalid/);
    // Index first, media data cut: parses, then decoding fails (strict).
    await runFfmpeg(['-i', p('av.mp4'), '-c', 'copy', '-movflags', '+faststart', '-y', p('faststart.mp4')]);
    const fs = readFileSync(p('faststart.mp4'));
    writeFileSync(p('trunc.mp4'), fs.subarray(0, Math.floor(fs.length * 0.6)));
    const info = await probeMedia(p('trunc.mp4'));
    const decodeAll = async (): Promise<void> => {
      for await (const _ of decodeVideoFrames(p('trunc.mp4'), info.video[0]!, { strict: true })) void _;
    };
    await expect(decodeAll()).rejects.toMatchObject({ code: 'ERR_CORRUPT_MEDIA' });
    await expect(probeMedia(p('missing.mp4'))).rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND' });
  });

  it('reports a missing ffmpeg as ERR_FFMPEG_MISSING with install advice', async () => {
    const saved = { ff: process.env.FFMPEG_PATH, fp: process.env.FFPROBE_PATH };
    process.env.FFMPEG_PATH = join(dir, 'no-such-dir', 'ffmpeg');
    delete process.env.FFPROBE_PATH;
    try {
      const err = await findFfmpeg().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_FFMPEG_MISSING' });
      expect((err as { hint?: string }).hint).toMatch(/apt install ffmpeg/);
      await expect(probeMedia(p('av.mp4'))).rejects.toMatchObject({ code: 'ERR_FFMPEG_MISSING' });
    } finally {
      if (saved.ff === undefined) delete process.env.FFMPEG_PATH;
      else process.env.FFMPEG_PATH = saved.ff;
      if (saved.fp !== undefined) process.env.FFPROBE_PATH = saved.fp;
    }
  });

  it('reports an ffmpeg older than 4 as ERR_FFMPEG_MISSING', async () => {
    const fake = join(dir, 'old-ffmpeg');
    writeFileSync(fake, '#!/bin/sh\necho "ffmpeg version 3.4.8 Copyright (c) 2000-2020"\n', { mode: 0o755 });
    const saved = { ff: process.env.FFMPEG_PATH, fp: process.env.FFPROBE_PATH };
    process.env.FFMPEG_PATH = fake;
    process.env.FFPROBE_PATH = fake;
    try {
      const err = await findFfmpeg().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_FFMPEG_MISSING' });
      expect((err as Error).message).toMatch(/too old/);
    } finally {
      if (saved.ff === undefined) delete process.env.FFMPEG_PATH;
      else process.env.FFMPEG_PATH = saved.ff;
      if (saved.fp === undefined) delete process.env.FFPROBE_PATH;
      else process.env.FFPROBE_PATH = saved.fp;
    }
  });
});
