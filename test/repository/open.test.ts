import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpRepository } from '../../src/repository/http.js';
import { openRepository } from '../../src/repository/open.js';
import { SqliteRepository } from '../../src/repository/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'provmark-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openRepository', () => {
  it('opens sqlite:PATH, sqlite://PATH and plain paths as SQLite files', async () => {
    for (const [url, file] of [
      [`sqlite:${join(dir, 'a.db')}`, 'a.db'],
      [`sqlite://${join(dir, 'b.db')}`, 'b.db'],
      [join(dir, 'c', 'c.db'), 'c/c.db'],
    ] as const) {
      const repo = await openRepository(url);
      expect(repo).toBeInstanceOf(SqliteRepository);
      expect((repo as SqliteRepository).path).toBe(join(dir, file));
      expect(existsSync(join(dir, file))).toBe(true);
      await repo.close();
    }
    const mem = await openRepository('sqlite::memory:');
    expect((mem as SqliteRepository).path).toBe(':memory:');
    await mem.close();
  });

  it('opens http(s) URLs as resolver clients', async () => {
    const repo = await openRepository('https://resolver.example.org/v1');
    expect(repo).toBeInstanceOf(HttpRepository);
    expect((repo as HttpRepository).url).toBe('https://resolver.example.org/v1/');
  });

  it('refuses other schemes and bad types', async () => {
    await expect(openRepository('mysql://x/y')).rejects.toBeInstanceOf(RangeError);
    await expect(openRepository('sqlite:')).rejects.toBeInstanceOf(RangeError);
    await expect(openRepository(42 as unknown as string)).rejects.toBeInstanceOf(TypeError);
  });

  it('reports an unreachable PostgreSQL as ERR_REPOSITORY', async () => {
    await expect(openRepository('postgres://u:p@127.0.0.1:1/db')).rejects.toMatchObject({
      code: 'ERR_REPOSITORY',
    });
  });
});
