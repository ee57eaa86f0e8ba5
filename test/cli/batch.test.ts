import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../helpers/cli.js';
import { photoLike } from '../helpers/photo.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'provmark-cli-batch-'));
});

/** A folder of tiny JPEGs (fast to judge) plus one photo-like image that makes the detector load its model. */
async function manyFiles(count: number, folderName: string): Promise<string[]> {
  const folder = join(dir, folderName);
  await mkdir(folder, { recursive: true });
  const tiny = await sharp({ create: { width: 48, height: 32, channels: 3, background: '#408020' } })
    .jpeg()
    .toBuffer();
  const paths = [join(folder, 'photo.jpg')];
  await writeFile(paths[0]!, await photoLike(640, 480, 5));
  for (let i = 0; i < count - 1; i++) {
    const p = join(folder, `tiny-${String(i).padStart(5, '0')}.jpg`);
    await writeFile(p, tiny);
    paths.push(p);
  }
  return paths;
}

function expectOneLinePerFile(lines: Record<string, unknown>[], paths: readonly string[]): void {
  expect(lines).toHaveLength(paths.length);
  expect(new Set(lines.map((l) => l.file))).toEqual(new Set(paths));
  // Lines come in completion order; `index` is the input position, each exactly once.
  expect(lines.map((l) => l.index as number).sort((a, b) => a - b)).toEqual(paths.map((_, i) => i));
  for (const l of lines) expect(l.file).toBe(paths[l.index as number]);
}

describe('provmark on thousands of paths (issue 15: the detector used to crash with a large argv)', () => {
  it('detect and inspect with 2,001 ~100-character paths on the command line print one line per file', async () => {
    // ~100-character paths: the size at which the native runtime overflowed its stack while loading the model.
    const paths = await manyFiles(2001, `${'long-folder-name-'.repeat(3)}x`);
    expect(paths.reduce((n, p) => n + p.length, 0)).toBeGreaterThan(2001 * 80);

    const d = await runCli(['detect', ...paths, '--json', '--jobs', '2']);
    expect(d.code, d.stderr).toBe(0);
    const dl = jsonLines(d.stdout);
    expectOneLinePerFile(dl, paths);
    // The model did load and run: the photo-like image has a model score.
    expect(typeof dl.find((l) => l.file === paths[0])!.score).toBe('number');
    expect(d.stderr).toMatch(/provmark: 2001 files in .* inconclusive \d+.*; 0 errors/);

    const i = await runCli(['inspect', ...paths, '--json', '--jobs', '2'], {
      env: { PROVMARK_HOME: join(dir, 'home'), PROVMARK_DB: '' },
    });
    expect(i.code, i.stderr).toBe(3); // no provenance anywhere
    const il = jsonLines(i.stdout);
    expectOneLinePerFile(il, paths);
    expect(il.every((l) => l.verdict === 'no-provenance')).toBe(true);
    const photo = il.find((l) => l.file === paths[0]) as { detection?: { score: unknown } };
    expect(typeof photo.detection?.score).toBe('number');
  }, 300_000);
});

describe('batch inputs: directories, globs, stdin', () => {
  let tree: string;
  beforeAll(async () => {
    tree = join(dir, 'tree');
    const png = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#123456' } })
      .png()
      .toBuffer();
    for (const rel of [
      'a.png',
      'b.jpg',
      'sub/c.png',
      'sub/deep/d.png',
      'skip/e.png',
      '.hidden/f.png',
      '.g.png',
    ])
      await mkdir(join(tree, rel, '..'), { recursive: true }).then(() => writeFile(join(tree, rel), png));
  });

  it('walks a directory recursively with --include and --exclude, skipping dot-files', async () => {
    const r = await runCli([
      'watermark',
      'detect',
      tree,
      '--include',
      '*.png',
      '--exclude',
      'skip',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(3); // nothing is marked
    const files = jsonLines(r.stdout).map((l) => l.file as string);
    expect(files.sort()).toEqual(['a.png', 'sub/c.png', 'sub/deep/d.png'].map((f) => join(tree, f)));
  });

  it('--hidden walks dot-files too; "**" patterns match across folders', async () => {
    const r = await runCli(['watermark', 'detect', tree, '--hidden', '--include', 'sub/**/*.png', '--json']);
    const files = jsonLines(r.stdout).map((l) => l.file as string);
    expect(files.sort()).toEqual(['sub/c.png', 'sub/deep/d.png'].map((f) => join(tree, f)));
    const all = await runCli(['watermark', 'detect', tree, '--hidden', '--json', '--jobs', '1']);
    expect(jsonLines(all.stdout)).toHaveLength(7);
  });

  it('"-" reads paths from stdin, one per line (blank lines ignored, directories walked)', async () => {
    const input = `${join(tree, 'a.png')}\n\n${join(tree, 'sub')}\n`;
    const r = await runCli(['watermark', 'detect', '-', '--json'], { input });
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => l.file as string).sort()).toEqual(
      ['a.png', 'sub/c.png', 'sub/deep/d.png'].map((f) => join(tree, f)),
    );
    expect(r.stderr).toMatch(/3 files in/);
  });

  it('a file that cannot be read gets an error line and the batch goes on (exit 2)', async () => {
    const missing = join(tree, 'missing.png');
    const r = await runCli([
      'watermark',
      'detect',
      join(tree, 'a.png'),
      missing,
      join(tree, 'b.jpg'),
      '--json',
    ]);
    expect(r.code).toBe(2);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(3);
    const bad = lines.find((l) => l.file === missing)!;
    expect(bad).toMatchObject({ index: 1, error: { code: 'ERR_FILE_NOT_FOUND' } });
    expect(String((bad.error as { message: string }).message)).toContain(missing);
    expect(lines.filter((l) => 'found' in l)).toHaveLength(2);
    expect(r.stderr).toMatch(/not-found 2; 1 error/);
  });

  it('without --json, an unreadable file is one line on stderr with its code and path', async () => {
    const missing = join(tree, 'nope.png');
    const r = await runCli(['watermark', 'detect', join(tree, 'a.png'), missing, '--jobs', '1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${join(tree, 'a.png')}: no watermark`);
    expect(r.stderr).toContain(`provmark: ERR_FILE_NOT_FOUND:`);
    expect(r.stderr).toContain(missing);
  });

  it('--resume skips files already in the output and appends the rest after a torn last line', async () => {
    const out = join(dir, 'resume.ndjson');
    const a = join(tree, 'a.png');
    await writeFile(
      out,
      `${JSON.stringify({ file: a, index: 0, found: false })}\n{"file":"${join(tree, 'sub')}`,
    );
    const r = await runCli(['watermark', 'detect', tree, '--include', '*.png', '--resume', out]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/1 skipped/);
    const text = await readFile(out, 'utf8');
    const parsed = text
      .split('\n')
      .filter((l) => l.trim())
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as { file: string }];
        } catch {
          return [];
        }
      });
    const files = parsed.map((l) => l.file);
    expect(files.filter((f) => f === a)).toHaveLength(1);
    expect(new Set(files)).toEqual(
      new Set(['a.png', 'sub/c.png', 'sub/deep/d.png', 'skip/e.png'].map((f) => join(tree, f))),
    );
    expect(files).toHaveLength(4);
    // Run again: everything is done, nothing is appended.
    const again = await runCli(['watermark', 'detect', tree, '--include', '*.png', '--resume', out]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/0 files .*; 4 skipped/);
    expect(await readFile(out, 'utf8')).toBe(text);
  });

  it('rejects a bad --jobs value as a usage error', async () => {
    const r = await runCli(['detect', tree, '--jobs', 'two']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Expected integer between 0 and 256 for --jobs but received "two"');
  });
});

describe('CLI faults (issue 15)', () => {
  it('detect on a missing file exits 2 (input error), as the README says', async () => {
    const r = await runCli(['detect', join(dir, 'does-not-exist.jpg')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ERR_FILE_NOT_FOUND');
  });

  it('detect on a directory walks it', async () => {
    const folder = join(dir, 'detect-dir');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'x.jpg'), await photoLike(320, 240, 9));
    const r = await runCli(['detect', folder, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(jsonLines(r.stdout)).toMatchObject([{ file: join(folder, 'x.jpg'), index: 0 }]);
  });

  it('watermark embed on a directory is ERR_FILE_IO naming the path, not an internal error', async () => {
    const r = await runCli([
      'watermark',
      'embed',
      dir,
      '-o',
      join(dir, 'out.jpg'),
      '--payload',
      '0123456789abcdef',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`provmark: ERR_FILE_IO: Cannot read ${dir}: is a directory`);
    expect(r.stderr).not.toContain('ERR_INTERNAL');
  });
});

describe('the summary line', () => {
  it('counts a walked file that is not media as an error, with its code, and exits 2', async () => {
    const folder = join(dir, 'mixed');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'photo.jpg'), await photoLike(320, 240, 9));
    await writeFile(join(folder, 'notes.txt'), 'not media at all\n');
    const r = await runCli(['inspect', folder, '--no-progress', '--jobs', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /provmark: 2 files in .*: no-provenance 1; 1 error \(ERR_UNSUPPORTED_FORMAT 1\)/,
    );
  });
});
