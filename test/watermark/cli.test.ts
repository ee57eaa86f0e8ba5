import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inInputOrder, jsonLines, runCli } from '../helpers/cli.js';
import { image } from './helpers.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'provmark-wm-cli-'));
  await writeFile(join(dir, 'photo.png'), await image('photo-like', 640, 480, { seed: 2 }));
  await writeFile(join(dir, 'photo.jpg'), await image('photo-like', 640, 480, { seed: 3, format: 'jpeg' }));
  await writeFile(join(dir, 'junk.jpg'), 'not an image');
});

describe('provmark watermark embed | detect', () => {
  it('embeds, then detect --json reports { file, found, payload, confidence } and exits 0', async () => {
    const out = join(dir, 'marked.jpg');
    const e = await runCli([
      'watermark',
      'embed',
      join(dir, 'photo.jpg'),
      '-o',
      out,
      '--payload',
      'ABCDEF0123456789',
    ]);
    expect(e.code, e.stderr).toBe(0);
    const d = await runCli(['watermark', 'detect', out, '--json']);
    expect(d.code, d.stderr).toBe(0);
    const [line] = jsonLines(d.stdout);
    expect(line).toMatchObject({ file: out, found: true, payload: 'abcdef0123456789' });
    expect(line!.payload).toMatch(/^[0-9a-f]{16}$/);
    expect(typeof line!.confidence).toBe('number');
    expect(line!.confidence as number).toBeGreaterThan(0.5);
  });

  it('exits 3 when a file has no mark (one JSON line per file, payload null)', async () => {
    const marked = join(dir, 'marked.png');
    const e = await runCli([
      'watermark',
      'embed',
      join(dir, 'photo.png'),
      '-o',
      marked,
      '--payload',
      '0011223344556677',
      '--strength',
      '1.5',
    ]);
    expect(e.code, e.stderr).toBe(0);
    const d = await runCli([
      'watermark',
      'detect',
      marked,
      join(dir, 'photo.png'),
      join(dir, 'junk.jpg'),
      '--json',
    ]);
    expect(d.code).toBe(3);
    const lines = inInputOrder(jsonLines(d.stdout));
    expect(lines.map((l) => [l.file, l.found, l.payload])).toEqual([
      [marked, true, '0011223344556677'],
      [join(dir, 'photo.png'), false, null],
      [join(dir, 'junk.jpg'), false, null],
    ]);
    expect(lines[2]!.reason).toMatch(/ERR_UNSUPPORTED_FORMAT/);
    const text = await runCli(['watermark', 'detect', join(dir, 'photo.png')]);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/no watermark/);
  });

  it('exits 2 with a coded message on bad payloads, small images and missing files', async () => {
    const bad = await runCli([
      'watermark',
      'embed',
      join(dir, 'photo.png'),
      '-o',
      join(dir, 'x.png'),
      '--payload',
      'xyz',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^provmark: ERR_USAGE: .*16 hex digits/);
    await writeFile(join(dir, 'small.png'), await image('textured', 200, 200));
    const small = await runCli([
      'watermark',
      'embed',
      join(dir, 'small.png'),
      '-o',
      join(dir, 'y.png'),
      '--payload',
      '0123456789abcdef',
    ]);
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(/^provmark: ERR_MEDIA_TOO_SMALL/);
    const missing = await runCli(['watermark', 'detect', join(dir, 'nope.png'), '--json']);
    expect(missing.code).toBe(2);
    // With --json the error is the file's NDJSON line.
    expect(jsonLines(missing.stdout)).toMatchObject([
      { file: join(dir, 'nope.png'), error: { code: 'ERR_FILE_NOT_FOUND' } },
    ]);
    const noPayload = await runCli(['watermark', 'embed', join(dir, 'photo.png'), '-o', join(dir, 'z.png')]);
    expect(noPayload.code).toBe(2);
  });
});
