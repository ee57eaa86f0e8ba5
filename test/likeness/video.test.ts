/**
 * Likeness check on video: frames sampled at least twice a second plus scene changes, over ffmpeg
 * pipes; a registered person on screen for 2.5 s of a 10 s 640×360 clip is found with the times they
 * appear. Videos are made here with ffmpeg from the face fixtures (skipped when either is absent).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkLikeness,
  detectVideoFaces,
  enrollLikeness,
  openLikenessRegistry,
  type LikenessRegistry,
} from '../../src/likeness/index.js';
import { yuv420ToRgb } from '../../src/likeness/video.js';
import { runFfmpeg } from '../../src/media/ffmpeg/run.js';
import { openSqliteRepository, type SqliteRepository } from '../../src/repository/index.js';
import { hasFfmpeg } from '../helpers/media.js';
import { faceVideo } from './ad.js';

const faces = resolve(__dirname, '../../../shared/fixtures/faces');
const present = existsSync(resolve(faces, 'sheldon/sheldon1.png'));
const ffmpeg = await hasFfmpeg();
const chip = (name: string) =>
  new Uint8Array(readFileSync(resolve(faces, name.replace(/[0-9]+$/, ''), `${name}.png`)));

describe('yuv420ToRgb', () => {
  // BT.709 limited range: pure red is Y=63, Cb=102, Cr=240; white Y=235; black Y=16 (chroma 128).
  const frame = (y: number, u: number, v: number) => Uint8Array.from([y, y, y, y, u, v]);
  const bt709 = { full: false, kr: 0.2126, kb: 0.0722 };
  it('maps BT.709 limited-range red, white and black to RGB', () => {
    const red = yuv420ToRgb(frame(63, 102, 240), 2, 2, bt709).data;
    expect(Math.abs(red[0]! - 255)).toBeLessThanOrEqual(3);
    expect(red[1]!).toBeLessThanOrEqual(3);
    expect(red[2]!).toBeLessThanOrEqual(3);
    expect([...yuv420ToRgb(frame(235, 128, 128), 2, 2, bt709).data.subarray(0, 3)]).toEqual([255, 255, 255]);
    expect([...yuv420ToRgb(frame(16, 128, 128), 2, 2, bt709).data.subarray(0, 3)]).toEqual([0, 0, 0]);
  });
});

describe.skipIf(!ffmpeg)('video frame sampling', () => {
  it('samples at least 2 frames per second and every hard cut, at the cut time', async () => {
    // 10 s at 25 fps; a full-frame cut from red to blue at 3.28 s (frame 82), between two grid samples.
    const mp4 = await runFfmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=c=red:s=320x180:r=25:d=10',
      '-f',
      'lavfi',
      '-i',
      'color=c=blue:s=320x180:r=25:d=10',
      '-filter_complex',
      "[0][1]overlay=enable='gte(t,3.28)',format=yuv420p[v]",
      '-map',
      '[v]',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-f',
      'mp4',
      '-movflags',
      'frag_keyframe+empty_moov',
      'pipe:1',
    ]);
    const v = await detectVideoFaces(mp4);
    expect(v.width).toBe(320);
    const grid = v.frames.filter((f) => f.reason === 'interval').map((f) => f.time);
    expect(grid.length).toBe(20);
    for (let i = 1; i < grid.length; i++) expect(grid[i]! - grid[i - 1]!).toBeLessThanOrEqual(0.56);
    const cuts = v.frames.filter((f) => f.reason === 'scene-change');
    expect(cuts.map((f) => f.time)).toEqual([3.28]);
    expect(v.frames.every((f) => f.faces.length === 0)).toBe(true);
  }, 120_000);
});

describe.skipIf(!present || !ffmpeg)('likeness check on video', () => {
  let repo: SqliteRepository;
  let registry: LikenessRegistry;
  beforeAll(async () => {
    repo = await openSqliteRepository({ path: ':memory:' });
    registry = await openLikenessRegistry(repo);
    await enrollLikeness({
      registry,
      person: 'sheldon',
      images: [chip('sheldon1'), chip('sheldon2'), chip('sheldon3')],
    });
  }, 120_000);
  afterAll(async () => {
    await registry?.close();
    await repo?.close();
  });

  it('finds a registered person shown for 2.5 s of a 10 s 640x360 video, with the times; unsigned -> unauthorized', async () => {
    const mp4 = await faceVideo({ face: chip('sheldon5'), other: chip('penny1'), from: 4, to: 6.5 });
    const r = await checkLikeness(mp4, { registry });
    expect(r.decision).toBe('unauthorized');
    expect(r.video?.durationSeconds).toBeCloseTo(10, 0);
    expect(r.video!.framesSampled).toBeGreaterThanOrEqual(20);
    expect(r.persons.map((m) => m.person)).toEqual(['sheldon']);
    const times = r.persons[0]!.appearances.map((a) => a.time!);
    expect(times.length).toBeGreaterThanOrEqual(4);
    for (const t of times) {
      expect(t).toBeGreaterThanOrEqual(4);
      expect(t).toBeLessThanOrEqual(6.5);
    }
    expect(r.summary).toMatch(/at 4(\.0)?–6(\.[0-9])? s/);
  }, 180_000);

  it('turns frames of a rotated phone-style video upright before looking (as players do)', async () => {
    // Stored turned 90° clockwise with a display rotation that turns it back: sideways, no face is found.
    const upright = await faceVideo({ face: chip('sheldon5'), from: 0, to: 10, seconds: 3 });
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'likeness-rot-'));
    try {
      await writeFile(join(dir, 'up.mp4'), upright);
      await runFfmpeg([
        '-i',
        join(dir, 'up.mp4'),
        '-vf',
        'transpose=1',
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-y',
        join(dir, 'cw.mp4'),
      ]);
      await runFfmpeg([
        '-i',
        join(dir, 'cw.mp4'),
        '-c',
        'copy',
        '-metadata:s:v:0',
        'rotate=90',
        '-y',
        join(dir, 'tagged.mp4'),
      ]);
      const sideways = await detectVideoFaces(join(dir, 'cw.mp4'));
      expect(sideways.frames.every((f) => f.faces.length === 0)).toBe(true);
      const r = await checkLikeness(join(dir, 'tagged.mp4'), { registry });
      expect(r.video?.framesSampled).toBe(6);
      expect(r.persons.map((m) => m.person)).toEqual(['sheldon']);
      expect(r.persons[0]!.appearances.length).toBe(6);
      // Boxes are in the displayed (landscape) grid.
      expect(
        r.persons[0]!.appearances[0]!.box.x + r.persons[0]!.appearances[0]!.box.width,
      ).toBeLessThanOrEqual(640);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('no-registered-person for a video of someone else only', async () => {
    const mp4 = await faceVideo({ face: chip('penny2'), from: 0, to: 10 });
    const r = await checkLikeness(mp4, { registry });
    expect(r.faces).toBe(1);
    expect(r.decision).toBe('no-registered-person');
  }, 180_000);
});
