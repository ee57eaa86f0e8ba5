import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'provmark-keygen-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** One ERR_FILE_IO line naming the path, never ERR_INTERNAL. */
function expectFileError(r: { code: number | null; stderr: string }, path: string, reason: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr).not.toMatch(/ERR_INTERNAL|report this as a bug/);
  expect(r.stderr).toMatch(/^provmark: ERR_FILE_IO: /);
  expect(r.stderr).toContain(path);
  expect(r.stderr).toMatch(reason);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
}

describe('provmark keygen --out', () => {
  it('writes the credentials into a new folder', async () => {
    const out = join(root, 'new', 'creds');
    const r = await runCli(['keygen', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(
      ['README.txt', 'ca.cert.pem', 'ca.key.pem', 'chain.pem', 'signer.cert.pem', 'signer.key.pem'].sort(),
    );
  });

  it('refuses an existing file with ERR_FILE_IO naming the path and the reason', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a folder');
    expectFileError(await runCli(['keygen', '--out', file]), file, /not a folder|EEXIST|ENOTDIR/);
    expectFileError(await runCli(['keygen', '--out', file, '--force']), file, /not a folder|EEXIST|ENOTDIR/);
  });

  it('refuses a folder it cannot create with ERR_FILE_IO naming the path and the OS reason', async () => {
    const file = join(root, 'b-file');
    writeFileSync(file, 'x');
    const out = join(file, 'creds');
    expectFileError(await runCli(['keygen', '--out', out]), out, /ENOTDIR|not a directory/);
  });

  it.skipIf(process.getuid?.() === 0)('refuses an unwritable folder with ERR_FILE_IO', async () => {
    const dir = join(root, 'read-only');
    mkdirSync(dir);
    chmodSync(dir, 0o500);
    try {
      expectFileError(await runCli(['keygen', '--out', dir]), dir, /EACCES|permission denied/i);
    } finally {
      chmodSync(dir, 0o700);
    }
  });
});
