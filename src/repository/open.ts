import { homedir } from 'node:os';
import { openPostgresRepository, type PostgresRepository } from './postgres.js';
import { createHttpRepository, type HttpRepository } from './http.js';
import { defaultRepositoryPath, openSqliteRepository, type SqliteRepository } from './sqlite.js';

export interface OpenRepositoryOptions {
  /** Bearer token for an http(s) resolver's write endpoints. */
  readonly token?: string;
  /** Open an SQLite repository without writing to it. */
  readonly readonly?: boolean;
}

/**
 * Open a repository from a URL-like string, as given to `--db`:
 * - `sqlite:PATH`, `sqlite://PATH` or a plain path: the embedded SQLite repository (`~` expands);
 * - `postgres://…` / `postgresql://…`: PostgreSQL;
 * - `http://…` / `https://…`: a remote Soft Binding Resolution API (read-only without a token);
 * - undefined or empty: the default embedded repository, `~/.provmark/repository.db`.
 *
 * @example
 * ```ts
 * const repo = await openRepository(process.env.PROVMARK_DB ?? 'sqlite:./provenance.db');
 * try { console.log(await repo.findByBinding(SOFT_BINDING_ALG, value)); } finally { await repo.close(); }
 * ```
 */
export async function openRepository(
  url?: string,
  options: OpenRepositoryOptions = {},
): Promise<SqliteRepository | PostgresRepository | HttpRepository> {
  if (url !== undefined && typeof url !== 'string') throw new TypeError('Expected a string for url');
  const u = (url ?? '').trim();
  if (u === '')
    return openSqliteRepository({ path: defaultRepositoryPath(), readonly: options.readonly === true });
  if (/^postgres(?:ql)?:\/\//i.test(u)) return openPostgresRepository({ connectionString: u });
  if (/^https?:\/\//i.test(u)) {
    return createHttpRepository({ url: u, ...(options.token === undefined ? {} : { token: options.token }) });
  }
  let path = u;
  if (/^sqlite:/i.test(path)) path = path.slice('sqlite:'.length).replace(/^\/\/(?=\/|~|\.)/, '');
  else if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(path)) {
    throw new RangeError(
      `Expected sqlite:PATH, a path, postgres://…, or http(s)://… for url but received ${JSON.stringify(u)}`,
    );
  }
  if (path === '') throw new RangeError('Expected a path after sqlite: in url');
  if (path === '~' || path.startsWith('~/')) path = homedir() + path.slice(1);
  return openSqliteRepository({ path, readonly: options.readonly === true });
}
