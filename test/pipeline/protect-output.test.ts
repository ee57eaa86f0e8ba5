/**
 * protect() with an output path: the file is written (temp file in the same folder + rename) before
 * the repository row is committed, and any failure leaves nothing behind: no row, no temp file, no
 * partial or missing output. The CLI opens the repository only once there is something to commit.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProvmarkError } from '../../src/errors.js';
import { openSqliteRepository, type SqliteRepository } from '../../src/repository/index.js';
import type { ManifestRepository } from '../../src/repository/types.js';
import { protect } from '../../src/flows/protect.js';
import { runCli } from '../helpers/cli.js';
import { devSigner } from '../helpers/credentials.js';
import { makeImage } from '../helpers/media.js';

let dir: string;
let repo: SqliteRepository;
let photo: Uint8Array;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'provmark-protect-output-'));
  repo = await openSqliteRepository({ path: join(dir, 'repo.db') });
  photo = await makeImage('jpeg', 480, 360, 99);
});
afterAll(async () => {
  await repo?.close();
});

async function rows(r: ManifestRepository): Promise<number> {
  return (await r.list({ limit: 1000 })).items.length;
}

async function rejection(p: Promise<unknown>): Promise<ProvmarkError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProvmarkError);
  return err as ProvmarkError;
}

/** Files in `folder` that are not `keep` (temp files would show up here). */
const leftovers = (folder: string, keep: readonly string[] = []) =>
  readdirSync(folder).filter((f) => !keep.includes(f));

describe('protect({ output })', () => {
  it('writes the output and registers the manifest', async () => {
    const { signer } = await devSigner();
    const out = join(dir, 'ok', 'protected.jpg');
    mkdirSync(join(dir, 'ok'));
    const before = await rows(repo);
    const r = await protect(photo, { signer, repository: repo, output: out });
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(r.bytes))).toBe(true);
    expect(await rows(repo)).toBe(before + 1);
    expect(await repo.getManifest(r.manifestId)).toBeDefined();
    expect(leftovers(join(dir, 'ok'))).toEqual(['protected.jpg']);
  });

  it('leaves no row when the output folder does not exist', async () => {
    const { signer } = await devSigner();
    const before = await rows(repo);
    const err = await rejection(
      protect(photo, { signer, repository: repo, output: join(dir, 'missing', 'out.jpg') }),
    );
    expect(err.code).toBe('ERR_FILE_IO');
    expect(err.message).toContain(join(dir, 'missing', 'out.jpg'));
    expect(await rows(repo)).toBe(before);
  });

  it('leaves no row and no temp file when the output cannot be renamed into place', async () => {
    const { signer } = await devSigner();
    const folder = join(dir, 'isdir');
    mkdirSync(join(folder, 'out.jpg'), { recursive: true }); // the output path is a folder
    const before = await rows(repo);
    const err = await rejection(
      protect(photo, { signer, repository: repo, output: join(folder, 'out.jpg') }),
    );
    expect(err.code).toBe('ERR_FILE_IO');
    expect(await rows(repo)).toBe(before);
    expect(leftovers(folder)).toEqual(['out.jpg']);
  });

  it('removes the new output (and keeps an earlier file) when the repository refuses the row', async () => {
    const { signer } = await devSigner();
    const failing: ManifestRepository = {
      put: () => Promise.reject(new Error('disk I/O error')),
      getManifest: (id) => repo.getManifest(id),
      findByBinding: (alg, value, o) => repo.findByBinding(alg, value, o),
      list: (o) => repo.list(o),
      delete: (id) => repo.delete(id),
      close: () => Promise.resolve(),
    };
    const folder = join(dir, 'repo-fails');
    mkdirSync(folder);
    const fresh = join(folder, 'fresh.jpg');
    const err = await rejection(protect(photo, { signer, repository: failing, output: fresh }));
    expect(err.code).toBe('ERR_REPOSITORY');
    expect(existsSync(fresh)).toBe(false);
    const earlier = join(folder, 'earlier.jpg');
    writeFileSync(earlier, 'the earlier file');
    await rejection(protect(photo, { signer, repository: failing, output: earlier }));
    expect(readFileSync(earlier, 'utf8')).toBe('the earlier file');
    expect(leftovers(folder)).toEqual(['earlier.jpg']);
  });

  it('opens a lazily given repository only when there is a row to commit', async () => {
    const { signer } = await devSigner();
    let opened = 0;
    const open = () => {
      opened++;
      return Promise.resolve(repo);
    };
    await rejection(protect(new TextEncoder().encode('not media'), { signer, repository: open }));
    await rejection(protect(photo, { signer, repository: open, output: join(dir, 'nope', 'x.jpg') }));
    expect(opened).toBe(0);
    const r = await protect(photo, { signer, repository: open, output: join(dir, 'lazy.jpg') });
    expect(opened).toBe(1);
    expect(await repo.getManifest(r.manifestId)).toBeDefined();
  });
});

describe('provmark protect (CLI)', () => {
  it('creates no database for an invalid input, and no row for an unwritable output', async () => {
    const { creds } = await devSigner();
    const cli = join(dir, 'cli');
    mkdirSync(cli);
    writeFileSync(join(cli, 'key.pem'), creds.signerKeyPem);
    writeFileSync(join(cli, 'chain.pem'), creds.chainPem);
    writeFileSync(join(cli, 'notes.txt'), 'not an image');
    writeFileSync(join(cli, 'photo.jpg'), photo);
    const db = join(cli, 'repo.db');
    const args = ['--key', join(cli, 'key.pem'), '--cert', join(cli, 'chain.pem'), '--db', `sqlite:${db}`];

    const bad = await runCli(['protect', join(cli, 'notes.txt'), '-o', join(cli, 'out.jpg'), ...args]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ERR_UNSUPPORTED_FORMAT/);
    expect(existsSync(db)).toBe(false);

    const unwritable = await runCli([
      'protect',
      join(cli, 'photo.jpg'),
      '-o',
      join(cli, 'no', 'out.jpg'),
      ...args,
    ]);
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toMatch(/ERR_FILE_IO/);
    if (existsSync(db)) {
      const check = await openSqliteRepository({ path: db });
      expect(await rows(check)).toBe(0);
      await check.close();
    }
    expect(leftovers(cli).sort()).toEqual(['chain.pem', 'key.pem', 'notes.txt', 'photo.jpg']);

    const ok = await runCli([
      'protect',
      join(cli, 'photo.jpg'),
      '-o',
      join(cli, 'out.jpg'),
      '--json',
      ...args,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const check = await openSqliteRepository({ path: db });
    expect(await rows(check)).toBe(1);
    await check.close();
  });
});
