/**
 * A repository in PostgreSQL (`pg` Pool), for several machines sharing one repository. Same
 * tables and semantics as the SQLite one; concurrent puts of one id are settled by the unique
 * constraint (INSERT … ON CONFLICT DO NOTHING waits for the other transaction, then we compare).
 */
import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { RepositoryError, isProvmarkError } from '../errors.js';
import {
  asUint8Array,
  checkAlg,
  checkLimit,
  checkManifestId,
  checkMaxResults,
  normalizeBindingValue,
  normalizeRecord,
  parseCursor,
  sameContent,
} from './record.js';
import { SCHEMA_VERSION, VERSION_KEY, parseSchemaVersion, pendingMigrations } from './schema.js';
import type {
  BindingMatch,
  FindByBindingOptions,
  ListOptions,
  ListPage,
  ManifestRecord,
  ManifestRepository,
  NewManifestRecord,
  PutResult,
  SoftBinding,
} from './types.js';

export interface PostgresRepositoryOptions {
  /** `postgres://user:password@host:port/database` (or `postgresql://…`). */
  readonly connectionString?: string;
  /** An existing pool to use instead; it is not ended by `close()`. */
  readonly pool?: Pool;
  /** Keep the tables in this schema (created when missing) instead of the search path's first one. */
  readonly schema?: string;
  /** Most connections the pool opens (default 10). */
  readonly max?: number;
  /** How long to wait for a connection, in ms (default 10000). */
  readonly connectionTimeoutMs?: number;
}

interface ManifestRow {
  seq: string;
  manifest_id: string;
  store: Buffer;
  store_sha256: string;
  format: string | null;
  created_at: Date;
  bindings: SoftBinding[];
}

/**
 * Connect to PostgreSQL and create or migrate the repository tables.
 *
 * @example
 * ```ts
 * const repo = await openPostgresRepository({ connectionString: 'postgres://provmark@127.0.0.1:5432/provmark' });
 * const { created } = await repo.put({ manifestId, manifestStore, bindings });
 * await repo.close();
 * ```
 */
export async function openPostgresRepository(
  options: PostgresRepositoryOptions,
): Promise<PostgresRepository> {
  if (typeof options !== 'object' || options === null) throw new TypeError('Expected an options object');
  const { connectionString, schema } = options;
  if (
    options.pool === undefined &&
    (typeof connectionString !== 'string' || !/^postgres(?:ql)?:\/\//.test(connectionString))
  ) {
    throw new TypeError('Expected a postgres:// or postgresql:// URL for connectionString (or a pool)');
  }
  if (schema !== undefined && (typeof schema !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema))) {
    throw new RangeError(
      `Expected a plain SQL identifier (letters, digits, _) for schema but received ${JSON.stringify(schema)}`,
    );
  }
  const max = options.max ?? 10;
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw new RangeError(`Expected integer between 1 and 1000 for max but received ${max}`);
  }
  let pool = options.pool;
  const ownsPool = pool === undefined;
  if (pool === undefined) {
    let PgPool: typeof Pool;
    try {
      PgPool = (await import('pg')).default.Pool;
    } catch (err) {
      throw new RepositoryError('ERR_REPOSITORY', 'The PostgreSQL driver (pg) could not be loaded', {
        cause: err,
      });
    }
    pool = new PgPool({
      connectionString,
      max,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
      application_name: 'provmark',
    });
    // An idle client losing its connection emits 'error' on the pool; without a listener that
    // would crash the process. The next query gets a fresh connection and reports its own error.
    pool.on('error', () => undefined);
  }
  const where = redact(connectionString ?? 'pool') + (schema ? ` (schema ${schema})` : '');
  try {
    await migrate(pool, schema, where);
  } catch (err) {
    if (ownsPool) await pool.end().catch(() => undefined);
    throw toRepositoryError(err, `open ${where}`);
  }
  return new PostgresRepository(pool, ownsPool, schema, where);
}

function qualify(schema: string | undefined, table: string): string {
  return schema === undefined ? table : `"${schema}".${table}`;
}

async function migrate(pool: Pool, schema: string | undefined, where: string): Promise<void> {
  const meta = qualify(schema, 'provmark_meta');
  const client = await pool.connect();
  try {
    // Read first, without writing anything, so a newer repository is refused untouched.
    const current = await readVersion(client, meta, where);
    if (pendingMigrations(current, where).length === 0) return;
    await client.query('BEGIN');
    try {
      // One migrator at a time across all clients of this database (transaction-scoped lock).
      const lockKey = createHash('sha256')
        .update(`provmark:${schema ?? ''}`)
        .digest()
        .readBigInt64BE(0);
      await client.query('SELECT pg_advisory_xact_lock($1)', [lockKey.toString()]);
      if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${meta} (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
      const now = await readVersion(client, meta, where);
      for (const m of pendingMigrations(now, where)) {
        for (const sql of m.postgres) {
          await client.query(
            sql.replace(
              /provmark_(manifests|bindings|likeness_persons|likeness_descriptors|likeness_signers)\b(?!_)/g,
              (t) => qualify(schema, t),
            ),
          );
        }
      }
      await client.query(
        `INSERT INTO ${meta} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
        [VERSION_KEY, String(SCHEMA_VERSION)],
      );
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    client.release();
  }
}

async function readVersion(client: PoolClient, meta: string, where: string): Promise<number> {
  const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [meta]);
  if (exists.rows[0]?.t == null) return 0;
  const row = await client.query<{ value: string }>(`SELECT value FROM ${meta} WHERE key = $1`, [
    VERSION_KEY,
  ]);
  return row.rows[0] === undefined ? 0 : parseSchemaVersion(row.rows[0].value, where);
}

const connections = new WeakMap<PostgresRepository, { pool: () => Pool; schema: string | undefined }>();

/**
 * @internal The pool and schema of a repository, for the likeness registry that keeps its tables next
 * to the manifests (src/repository/likeness.ts). `table` qualifies a table name with the schema.
 */
export function postgresConnectionOf(repo: PostgresRepository): {
  readonly pool: Pool;
  readonly table: (name: string) => string;
} {
  const c = connections.get(repo);
  if (c === undefined) throw new TypeError('Expected a repository opened with openPostgresRepository()');
  return { pool: c.pool(), table: (name) => qualify(c.schema, name) };
}

/** A {@link ManifestRepository} in PostgreSQL. Create it with {@link openPostgresRepository}. */
export class PostgresRepository implements ManifestRepository {
  #pool: Pool | undefined;
  readonly #ownsPool: boolean;
  readonly #where: string;
  readonly #m: string;
  readonly #b: string;
  readonly #tag: string;

  /** @internal use {@link openPostgresRepository} */
  constructor(pool: Pool, ownsPool: boolean, schema: string | undefined, where: string) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.#where = where;
    this.#m = qualify(schema, 'provmark_manifests');
    this.#b = qualify(schema, 'provmark_bindings');
    connections.set(this, { pool: () => this.#open(), schema });
    // Named (server-side prepared) statements are per connection; the tag keeps the names of two
    // repositories in different schemas on one pool apart.
    this.#tag = createHash('sha256')
      .update(schema ?? '')
      .digest('hex')
      .slice(0, 8);
  }

  async put(record: NewManifestRecord): Promise<PutResult> {
    const r = normalizeRecord(record);
    const client = await this.#connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const inserted = await client.query<{ seq: string; created_at: Date }>(
        `INSERT INTO ${this.#m} (manifest_id, store, store_sha256, format) VALUES ($1, $2, $3, $4)
         ON CONFLICT (manifest_id) DO NOTHING RETURNING seq, created_at`,
        [
          r.manifestId,
          Buffer.from(r.manifestStore.buffer, r.manifestStore.byteOffset, r.manifestStore.byteLength),
          r.storeSha256,
          r.format ?? null,
        ],
      );
      const row = inserted.rows[0];
      if (row !== undefined) {
        if (r.bindings.length > 0) {
          await client.query(
            `INSERT INTO ${this.#b} (alg, value, manifest_seq) SELECT a, v, $3 FROM unnest($1::text[], $2::text[]) AS t(a, v)`,
            [r.bindings.map((b) => b.alg), r.bindings.map((b) => b.value), row.seq],
          );
        }
        await client.query('COMMIT');
        return {
          created: true,
          record: {
            manifestId: r.manifestId,
            manifestStore: r.manifestStore,
            bindings: r.bindings,
            ...(r.format === undefined ? {} : { format: r.format }),
            createdAt: row.created_at,
          },
        };
      }
      // The id exists (possibly committed a moment ago by a concurrent put of the same record).
      const existing = await this.#selectById(client, r.manifestId);
      await client.query('COMMIT');
      if (existing === undefined)
        throw new RepositoryError('ERR_REPOSITORY', `Lost a concurrent write of ${r.manifestId}; retry`);
      const stored = toRecord(existing);
      if (
        !sameContent(
          {
            storeSha256: existing.store_sha256,
            format: existing.format ?? undefined,
            bindings: existing.bindings,
          },
          r,
        )
      ) {
        throw new RepositoryError(
          'ERR_CONFLICT',
          `A different manifest store or binding set is already stored under ${r.manifestId}`,
          {
            hint: 'Manifest labels are unique: sign again to get a new label instead of reusing one.',
            details: { manifestId: r.manifestId },
          },
        );
      }
      return { created: false, record: stored };
    } catch (err) {
      broken = brokenConnection(err);
      await client.query('ROLLBACK').catch(() => undefined);
      throw toRepositoryError(err, `store ${r.manifestId} in ${this.#where}`);
    } finally {
      client.release(broken);
    }
  }

  async getManifest(manifestId: string): Promise<ManifestRecord | undefined> {
    checkManifestId(manifestId);
    const pool = this.#open();
    try {
      const row = await this.#selectById(pool, manifestId);
      return row === undefined ? undefined : toRecord(row);
    } catch (err) {
      throw toRepositoryError(err, `read ${manifestId} from ${this.#where}`);
    }
  }

  async findByBinding(
    alg: string,
    value: string,
    options: FindByBindingOptions = {},
  ): Promise<BindingMatch[]> {
    checkAlg(alg);
    const v = normalizeBindingValue(value);
    const max = checkMaxResults(options.maxResults, 'options.maxResults');
    const pool = this.#open();
    try {
      const res = await pool.query<{ manifest_id: string }>({
        name: `provmark_find_${this.#tag}`,
        text: `SELECT m.manifest_id FROM ${this.#b} b JOIN ${this.#m} m ON m.seq = b.manifest_seq
               WHERE b.alg = $1 AND b.value = $2 ORDER BY b.manifest_seq DESC LIMIT $3`,
        values: [alg, v, max],
      });
      return res.rows.map((r) => ({ manifestId: r.manifest_id }));
    } catch (err) {
      throw toRepositoryError(err, `look up a binding in ${this.#where}`);
    }
  }

  async list(options: ListOptions = {}): Promise<ListPage> {
    const limit = checkLimit(options.limit, 'options.limit');
    const after = parseCursor(options.cursor, 'options.cursor');
    const pool = this.#open();
    try {
      const res = await pool.query<Omit<ManifestRow, 'store' | 'store_sha256'> & { size: number }>(
        `SELECT m.seq, m.manifest_id, m.format, m.created_at, octet_length(m.store) AS size, ${this.#bindingsJson('m')} AS bindings
         FROM ${this.#m} m WHERE m.seq > $1 ORDER BY m.seq LIMIT $2`,
        [after, limit + 1],
      );
      const page = res.rows.slice(0, limit);
      const items = page.map((r) => ({
        manifestId: r.manifest_id,
        bindings: r.bindings,
        ...(r.format === null ? {} : { format: r.format }),
        createdAt: r.created_at,
        size: r.size,
      }));
      const last = page[page.length - 1];
      return res.rows.length > limit && last !== undefined ? { items, next: String(last.seq) } : { items };
    } catch (err) {
      throw toRepositoryError(err, `list manifests in ${this.#where}`);
    }
  }

  async delete(manifestId: string): Promise<boolean> {
    checkManifestId(manifestId);
    const pool = this.#open();
    try {
      // One statement: the bindings go with it through ON DELETE CASCADE, atomically.
      const res = await pool.query(`DELETE FROM ${this.#m} WHERE manifest_id = $1`, [manifestId]);
      return (res.rowCount ?? 0) > 0;
    } catch (err) {
      throw toRepositoryError(err, `delete ${manifestId} from ${this.#where}`);
    }
  }

  /** Number of stored manifests. */
  async count(): Promise<number> {
    const pool = this.#open();
    try {
      const res = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.#m}`);
      return res.rows[0]?.n ?? 0;
    } catch (err) {
      throw toRepositoryError(err, `count manifests in ${this.#where}`);
    }
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool !== undefined && this.#ownsPool) await pool.end();
  }

  #bindingsJson(alias: string): string {
    return `coalesce((SELECT json_agg(json_build_object('alg', b.alg, 'value', b.value) ORDER BY b.alg, b.value)
            FROM ${this.#b} b WHERE b.manifest_seq = ${alias}.seq), '[]'::json)`;
  }

  async #selectById(q: Pool | PoolClient, manifestId: string): Promise<ManifestRow | undefined> {
    const res = await q.query<ManifestRow>(
      `SELECT m.seq, m.manifest_id, m.store, m.store_sha256, m.format, m.created_at, ${this.#bindingsJson('m')} AS bindings
       FROM ${this.#m} m WHERE m.manifest_id = $1`,
      [manifestId],
    );
    return res.rows[0];
  }

  #open(): Pool {
    if (this.#pool === undefined) {
      throw new RepositoryError('ERR_REPOSITORY', `The repository ${this.#where} is closed`, {
        hint: 'Open it again with openPostgresRepository().',
      });
    }
    return this.#pool;
  }

  async #connect(): Promise<PoolClient> {
    const pool = this.#open();
    try {
      return await pool.connect();
    } catch (err) {
      throw toRepositoryError(err, `connect to ${this.#where}`);
    }
  }
}

function toRecord(row: ManifestRow): ManifestRecord {
  return {
    manifestId: row.manifest_id,
    manifestStore: asUint8Array(row.store),
    bindings: row.bindings,
    ...(row.format === null ? {} : { format: row.format }),
    createdAt: row.created_at,
  };
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/, '$1:***@');
}

function toRepositoryError(err: unknown, action: string): Error {
  if (isProvmarkError(err) || err instanceof TypeError || err instanceof RangeError) return err as Error;
  const code = (err as { code?: unknown }).code;
  const pgCode = typeof code === 'string' ? code : undefined;
  const hint =
    pgCode === 'ECONNREFUSED' || pgCode === 'ENOTFOUND' || pgCode === 'ETIMEDOUT'
      ? 'Check that PostgreSQL is running and reachable at that host and port.'
      : pgCode === '28P01' || pgCode === '28000'
        ? 'Check the user name and password in the URL.'
        : pgCode === '3D000'
          ? 'Create the database first (createdb).'
          : pgCode === '42501'
            ? 'The user lacks privileges on this database or schema.'
            : undefined;
  return new RepositoryError('ERR_REPOSITORY', `Cannot ${action}: ${(err as Error).message}`, {
    ...(hint === undefined ? {} : { hint }),
    details: { pgCode },
    cause: err,
  });
}

/**
 * The error to release a client with after `err`: a SQL error (five-character SQLSTATE) or a provmark check
 * leaves the connection usable after ROLLBACK; anything else (socket closed, timeout) means the connection must
 * not go back to the pool.
 */
function brokenConnection(err: unknown): Error | undefined {
  const sqlState = (err as { code?: unknown }).code;
  if ((typeof sqlState === 'string' && /^[0-9A-Z]{5}$/.test(sqlState)) || isProvmarkError(err))
    return undefined;
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Run `work` in one transaction on a client of `pool`: BEGIN, then COMMIT when it resolves; on any error ROLLBACK,
 * release the client (discarding a broken connection) and rethrow the error as it is, for the caller to word.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const out = await work(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    broken = brokenConnection(err);
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release(broken);
  }
}
