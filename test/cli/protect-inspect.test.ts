import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { inInputOrder, jsonLines, runCli } from '../helpers/cli.js';
import { photoLike } from '../helpers/photo.js';

let dir: string;
let env: NodeJS.ProcessEnv;
const k = (f: string) => join(dir, 'keys', f);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'provmark-cli-protect-'));
  env = { PROVMARK_HOME: join(dir, 'home'), PROVMARK_DB: `sqlite:${join(dir, 'repo.db')}` };
  await writeFile(join(dir, 'photo.jpg'), await photoLike(900, 600, 31));
  expect((await runCli(['keygen', '--out', join(dir, 'keys')])).code).toBe(0);
});

describe('provmark protect / inspect', () => {
  it('protect, then inspect the file (verified) and a stripped re-encode (recovered)', async () => {
    const p = await runCli(
      [
        'protect',
        join(dir, 'photo.jpg'),
        '-o',
        join(dir, 'protected.jpg'),
        '--key',
        k('signer.key.pem'),
        '--cert',
        k('chain.pem'),
        '--title',
        'CLI test',
        '--json',
      ],
      { env },
    );
    expect(p.code, p.stderr).toBe(0);
    const [out] = jsonLines(p.stdout) as [{ manifestId: string; softBindingId: string; stored: string }];
    expect(out.softBindingId).toMatch(/^[0-9a-f]{16}$/);
    expect(out.stored).toBe('created');

    await writeFile(
      join(dir, 'shared.jpg'),
      await sharp(await readFile(join(dir, 'protected.jpg')))
        .resize(700)
        .jpeg({ quality: 80 })
        .toBuffer(),
    );
    const r = await runCli(
      ['inspect', join(dir, 'protected.jpg'), join(dir, 'shared.jpg'), '--trust', k('ca.cert.pem'), '--json'],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    const [a, b] = inInputOrder(jsonLines(r.stdout)) as {
      file: string;
      verdict: string;
      manifestId: string;
      softBindingId: string;
      summary: string;
    }[];
    expect(a).toMatchObject({
      file: join(dir, 'protected.jpg'),
      verdict: 'verified',
      manifestId: out.manifestId,
      softBindingId: out.softBindingId,
    });
    expect(b).toMatchObject({
      file: join(dir, 'shared.jpg'),
      verdict: 'recovered',
      manifestId: out.manifestId,
      softBindingId: out.softBindingId,
    });
    expect(typeof b!.summary).toBe('string');
    expect(b!.summary.length).toBeGreaterThan(40);
  });

  it('exit codes: tampered 1, no provenance 3, input error 2', async () => {
    const bytes = await readFile(join(dir, 'protected.jpg'));
    bytes[bytes.length - 300] = bytes[bytes.length - 300]! ^ 0x08;
    await writeFile(join(dir, 'tampered.jpg'), bytes);
    const t = await runCli(['inspect', join(dir, 'tampered.jpg'), '--trust', k('ca.cert.pem')], { env });
    expect(t.code).toBe(1);
    expect(t.stdout).toContain('TAMPERED');
    const none = await runCli(['inspect', join(dir, 'photo.jpg'), '--no-detector', '--json'], { env });
    expect(none.code).toBe(3);
    expect(jsonLines(none.stdout)[0]).toMatchObject({
      verdict: 'no-provenance',
      manifestId: null,
      softBindingId: null,
    });
    const missing = await runCli(['inspect', join(dir, 'nope.jpg')], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^provmark: ERR_FILE_NOT_FOUND/);
    const untrusted = await runCli(['inspect', join(dir, 'protected.jpg'), '--require-trusted'], { env });
    expect(untrusted.code).toBe(1);
  });
});

/** `--key` is the signing key; `--watermark-key` the watermark key (protect, inspect, watermark embed/detect). */
const WM = 'cli-secret-2b';

describe('--key is the signing key, --watermark-key the watermark key', () => {
  it('protect and inspect with --watermark-key; without it the mark is not read', async () => {
    const p = await runCli(
      [
        'protect',
        join(dir, 'photo.jpg'),
        '-o',
        join(dir, 'protected-wm.jpg'),
        '--key',
        k('signer.key.pem'),
        '--cert',
        k('chain.pem'),
        '--watermark-key',
        WM,
        '--json',
      ],
      { env },
    );
    expect(p.code, p.stderr).toBe(0);
    const [out] = jsonLines(p.stdout) as [{ softBindingId: string }];
    await writeFile(
      join(dir, 'shared-wm.jpg'),
      await sharp(await readFile(join(dir, 'protected-wm.jpg')))
        .resize(700)
        .jpeg({ quality: 80 })
        .toBuffer(),
    );
    const shared = join(dir, 'shared-wm.jpg');
    const withKey = await runCli(['inspect', shared, '--watermark-key', WM, '--no-detector', '--json'], {
      env,
    });
    expect(jsonLines(withKey.stdout)[0]).toMatchObject({
      verdict: 'recovered',
      softBindingId: out.softBindingId,
    });
    const without = await runCli(['inspect', shared, '--no-detector', '--json'], { env });
    expect(without.code).toBe(3);
    expect(jsonLines(without.stdout)[0]).toMatchObject({ verdict: 'no-provenance', softBindingId: null });

    const detect = await runCli(['watermark', 'detect', shared, '--watermark-key', WM, '--json'], { env });
    expect(detect.code, detect.stderr).toBe(0);
    expect(jsonLines(detect.stdout)[0]).toMatchObject({ found: true, payload: out.softBindingId });
    expect(detect.stderr).not.toMatch(/deprecated/);
  });

  it('watermark embed/detect: the old --key still names the watermark key, with a one-line warning', async () => {
    const marked = join(dir, 'marked.png');
    const embed = await runCli(
      [
        'watermark',
        'embed',
        join(dir, 'photo.jpg'),
        '-o',
        marked,
        '--payload',
        '0123456789abcdef',
        '--key',
        WM,
      ],
      { env },
    );
    expect(embed.code, embed.stderr).toBe(0);
    expect(embed.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/--key is deprecated.*--watermark-key/),
    ]);
    const detect = await runCli(['watermark', 'detect', marked, '--watermark-key', WM, '--json'], { env });
    expect(jsonLines(detect.stdout)[0]).toMatchObject({ found: true, payload: '0123456789abcdef' });
    const both = await runCli(['watermark', 'detect', marked, '--watermark-key', WM, '--key', WM], { env });
    expect(both.code).toBe(2);
  });
});
