import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ProvmarkError } from '../../src/errors.js';
import { openSqliteRepository } from '../../src/repository/sqlite.js';
import {
  makeRecord,
  repositoryContract,
  type CountingRepository,
  type RepositoryHarness,
} from './contract.js';
import { sqliteRawAccess } from './sqlite-raw.js';

const root = mkdtempSync(join(tmpdir(), 'provmark-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

async function sqliteHarness(): Promise<RepositoryHarness> {
  const path = join(root, `repo-${++n}`, 'repository.db');
  const handles: CountingRepository[] = [];
  return {
    async open() {
      const repo = await openSqliteRepository({ path });
      handles.push(repo);
      return repo;
    },
    ...sqliteRawAccess(path),
    async dispose() {
      for (const h of handles) await h.close();
    },
  };
}

repositoryContract('sqlite', sqliteHarness);

describe('sqlite repository', () => {
  it('creates the directory, uses WAL and a busy timeout', async () => {
    const path = join(root, 'deep', 'er', 'x.db');
    const repo = await openSqliteRepository({ path, busyTimeoutMs: 1234 });
    expect(existsSync(path)).toBe(true);
    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    await repo.close();
  });

  it('takes 50 concurrent puts from 5 processes into one new file: 50 rows, all findable', async () => {
    // The file does not exist yet: the five processes also race to create the schema.
    const path = join(root, 'multi.db');
    const worker = resolve(import.meta.dirname, 'fixtures/put-worker.ts');
    const start = Date.now() + 4000;
    const outputs = await Promise.all(
      [0, 1, 2, 3, 4].map(() =>
        promisify(execFile)(process.execPath, ['--import', 'tsx', worker, path, '10', String(start)], {
          cwd: resolve(import.meta.dirname, '../..'),
        }),
      ),
    );
    const rows = outputs.flatMap(
      (o) =>
        JSON.parse(o.stdout) as Array<{
          id: string;
          created: boolean;
          binding: { alg: string; value: string };
        }>,
    );
    expect(rows).toHaveLength(50);
    expect(rows.every((r) => r.created)).toBe(true);
    const repo = await openSqliteRepository({ path });
    expect(await repo.count()).toBe(50);
    for (const r of rows)
      expect(await repo.findByBinding(r.binding.alg, r.binding.value)).toEqual([{ manifestId: r.id }]);
    await repo.close();
  });

  it('refuses a file that is not a SQLite database with ERR_REPOSITORY', async () => {
    const path = join(root, 'not-a-db.db');
    writeFileSync(path, Buffer.alloc(4096, 7));
    const err = await openSqliteRepository({ path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvmarkError);
    expect((err as ProvmarkError).code).toBe('ERR_REPOSITORY');
  });

  it('opens read-only without creating anything, and refuses a missing file', async () => {
    const missing = join(root, 'missing', 'r.db');
    const err = await openSqliteRepository({ path: missing, readonly: true }).catch((e: unknown) => e);
    expect((err as ProvmarkError).code).toBe('ERR_REPOSITORY');
    expect(existsSync(join(root, 'missing'))).toBe(false);
    const path = join(root, 'ro.db');
    const rw = await openSqliteRepository({ path });
    const rec = makeRecord();
    await rw.put(rec);
    await rw.close();
    const ro = await openSqliteRepository({ path, readonly: true });
    expect((await ro.getManifest(rec.manifestId))?.manifestId).toBe(rec.manifestId);
    expect(((await ro.put(makeRecord()).catch((e: unknown) => e)) as ProvmarkError).code).toBe(
      'ERR_REPOSITORY',
    );
    await ro.close();
  });

  it('works in memory', async () => {
    const repo = await openSqliteRepository({ path: ':memory:' });
    const rec = makeRecord();
    await repo.put(rec);
    expect(await repo.count()).toBe(1);
    await repo.close();
  });

  it('validates its options', async () => {
    await expect(openSqliteRepository({ busyTimeoutMs: -1 })).rejects.toThrow(/busyTimeoutMs/);
    await expect(openSqliteRepository({ path: '' })).rejects.toBeInstanceOf(TypeError);
  });
});
