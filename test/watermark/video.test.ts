import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeFrameTimes, probeMedia } from '../../src/media/ffmpeg/probe.js';
import { runFfmpeg } from '../../src/media/ffmpeg/run.js';
import { detectVideoWatermark, embedVideoWatermark } from '../../src/watermark/video.js';
import { makeClip } from '../helpers/video.js';

const PAYLOAD = '5ca1ab1e0ddba11f';
let dir: string;
const p = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'provmark-video-wm-test-'));
  // 480×270, 4 s, 30 fps, texture + motion + grain + AAC audio.
  await makeClip(p('src.mp4'), { width: 480, height: 270, seconds: 4 });
  const progress: number[] = [];
  const marked = await embedVideoWatermark(p('src.mp4'), {
    payload: PAYLOAD,
    encoder: { preset: 'veryfast' },
    onProgress: (pr) => progress.push(pr.frames),
  });
  writeFileSync(p('marked.mp4'), marked);
  expect(progress.at(-1)).toBe(120);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function reencode(
  input: string,
  out: string,
  args: readonly string[],
  pre: readonly string[] = [],
): Promise<string> {
  await runFfmpeg([...pre, '-i', input, ...args, '-an', '-y', p(out)]);
  return p(out);
}

describe('video watermark', () => {
  it('round trip: the payload comes back and the file keeps its streams and frames', async () => {
    const r = await detectVideoWatermark(p('marked.mp4'));
    expect(r).toMatchObject({ found: true, payload: PAYLOAD });
    expect(r.confidence).toBeGreaterThan(0.9);
    const [a, b] = await Promise.all([probeMedia(p('src.mp4')), probeMedia(p('marked.mp4'))]);
    expect(b.video[0]).toMatchObject({ width: 480, height: 270, codec: 'h264' });
    expect(b.audio).toHaveLength(1);
    expect((await probeFrameTimes(p('marked.mp4'), 0)).length).toBe(
      (await probeFrameTimes(p('src.mp4'), 0)).length,
    );
    expect(Math.abs(b.durationSeconds! - a.durationSeconds!)).toBeLessThan(0.1);
    // Bytes in, bytes out.
    const again = await detectVideoWatermark(readFileSync(p('marked.mp4')), { maxSeconds: 2 });
    expect(again.payload).toBe(PAYLOAD);
  });

  it('the mark alone costs at most 40 dB luma PSNR (lossless output)', async () => {
    const lossless = await embedVideoWatermark(p('src.mp4'), {
      payload: PAYLOAD,
      encoder: { crf: 0, preset: 'ultrafast' },
    });
    writeFileSync(p('lossless.mp4'), lossless);
    const log = p('psnr.log');
    await runFfmpeg([
      '-i',
      p('lossless.mp4'),
      '-i',
      p('src.mp4'),
      '-lavfi',
      `psnr=stats_file=${log}`,
      '-f',
      'null',
      '-',
    ]);
    const mse = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => Number(/mse_y:([\d.]+)/.exec(l)![1]));
    const psnr = 10 * Math.log10((255 * 255) / (mse.reduce((s, x) => s + x, 0) / mse.length));
    expect(psnr).toBeGreaterThanOrEqual(40);
    expect(psnr).toBeLessThan(60); // the mark is really there
  });

  it('survives H.264 CRF 28, a downscale to 2/3 size, a 2-second cut from the middle and a quarter turn', async () => {
    const enc = ['-c:v', 'libx264', '-preset', 'veryfast'];
    const crf28 = await reencode(p('marked.mp4'), 'crf28.mp4', [...enc, '-crf', '28']);
    const half = await reencode(p('marked.mp4'), 'half.mp4', ['-vf', 'scale=320:180', ...enc, '-crf', '23']);
    const cut = await reencode(p('marked.mp4'), 'cut.mp4', ['-t', '2', ...enc, '-crf', '23'], ['-ss', '1']);
    expect((await probeMedia(cut)).durationSeconds).toBeLessThan(2.1);
    // An autorotating re-encoder bakes a phone clip's rotation into the pixels.
    const turned = await reencode(p('marked.mp4'), 'turned.mp4', [
      '-vf',
      'transpose=1',
      ...enc,
      '-crf',
      '23',
    ]);
    for (const f of [crf28, half, cut, turned]) {
      const r = await detectVideoWatermark(f);
      expect({ file: f, found: r.found, payload: r.payload }).toEqual({
        file: f,
        found: true,
        payload: PAYLOAD,
      });
    }
  });

  it('finds nothing in unmarked video, or with the wrong key', async () => {
    const plain = await detectVideoWatermark(p('src.mp4'));
    expect(plain.found).toBe(false);
    expect(plain.payload).toBeUndefined();
    expect(plain.reason).toBeTruthy();
    const wrongKey = await detectVideoWatermark(p('marked.mp4'), { key: 'someone-else' });
    expect(wrongKey.found).toBe(false);
  });

  it('bad content is a result, bad arguments are errors', async () => {
    const junk = new Uint8Array(2000).fill(7);
    const r = await detectVideoWatermark(junk);
    expect(r).toMatchObject({ found: false, confidence: 0 });
    expect(r.reason).toMatch(/ERR_CORRUPT_MEDIA/);
    await expect(embedVideoWatermark(junk, { payload: PAYLOAD })).rejects.toMatchObject({
      code: 'ERR_CORRUPT_MEDIA',
    });
    const bytes = readFileSync(p('src.mp4'));
    await expect(
      embedVideoWatermark(bytes.subarray(0, bytes.length >> 1), { payload: PAYLOAD }),
    ).rejects.toMatchObject({
      code: 'ERR_CORRUPT_MEDIA',
    });
    await runFfmpeg(['-f', 'lavfi', '-i', 'sine=d=1', '-y', p('audio-only.wav')]);
    await expect(embedVideoWatermark(p('audio-only.wav'), { payload: PAYLOAD })).rejects.toMatchObject({
      code: 'ERR_UNSUPPORTED_FORMAT',
    });
    expect(await detectVideoWatermark(p('audio-only.wav'))).toMatchObject({
      found: false,
      reason: 'no video stream',
    });
    await expect(embedVideoWatermark(p('src.mp4'), { payload: 'xyz' })).rejects.toBeInstanceOf(RangeError);
    await expect(embedVideoWatermark(p('src.mp4'), { payload: PAYLOAD, strength: 9 })).rejects.toBeInstanceOf(
      RangeError,
    );
    await expect(detectVideoWatermark(p('src.mp4'), { maxSeconds: -1 })).rejects.toBeInstanceOf(RangeError);
  });

  it('reports a missing ffmpeg as ERR_FFMPEG_MISSING', async () => {
    const saved = process.env.FFMPEG_PATH;
    process.env.FFMPEG_PATH = join(dir, 'nope', 'ffmpeg');
    try {
      await expect(embedVideoWatermark(p('src.mp4'), { payload: PAYLOAD })).rejects.toMatchObject({
        code: 'ERR_FFMPEG_MISSING',
      });
      await expect(detectVideoWatermark(p('src.mp4'))).rejects.toMatchObject({ code: 'ERR_FFMPEG_MISSING' });
    } finally {
      if (saved === undefined) delete process.env.FFMPEG_PATH;
      else process.env.FFMPEG_PATH = saved;
    }
  });
});
