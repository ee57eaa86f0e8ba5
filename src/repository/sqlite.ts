/**
 * The embedded repository: one SQLite file (better-sqlite3) in WAL mode, so readers never wait
 * for the writer and several processes can share the file; writers queue on the busy timeout.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
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
  type NormalizedRecord,
} from './record.js';
import { SCHEMA_VERSION, VERSION_KEY, parseSchemaVersion, pendingMigrations } from './schema.js';
import type {
  BindingMatch,
  FindByBindingOptions,
  ListOptions,
  ListPage,
  ManifestRecord,
  ManifestRepository,
  StoredManifestSummary,
  NewManifestRecord,
  PutResult,
  SoftBinding,
} from './types.js';

type Database = BetterSqlite3.Database;

export interface SqliteRepositoryOptions {
  /** Database file; default {@link defaultRepositoryPath}. `':memory:'` gives a private in-memory database. */
  readonly path?: string;
  /** How long a write waits for another writer's lock before failing, in ms (default 5000). */
  readonly busyTimeoutMs?: number;
  /** Open an existing repository without writing to it (no migrations, no WAL switch). */
  readonly readonly?: boolean;
}

/** `~/.provmark/repository.db`: the embedded repository that protect and inspect share by default. */
export function defaultRepositoryPath(): string {
  // PROVMARK_HOME moves every per-user file (repository, trust cache) at once.
  return join(process.env.PROVMARK_HOME ?? join(homedir(), '.provmark'), 'repository.db');
}

interface ManifestRow {
  seq: number;
  manifest_id: string;
  store: Buffer;
  store_sha256: string;
  format: string | null;
  created_at: number;
}

/**
 * Open (creating it and its directory when needed) an embedded SQLite repository.
 *
 * @example
 * ```ts
 * const repo = await openSqliteRepository({ path: '/var/lib/app/provenance.db' });
 * await repo.put({ manifestId, manifestStore, bindings: [{ alg: SOFT_BINDING_ALG, value }] });
 * const matches = await repo.findByBinding(SOFT_BINDING_ALG, value);
 * await repo.close();
 * ```
 */
export async function openSqliteRepository(options: SqliteRepositoryOptions = {}): Promise<SqliteRepository> {
  if (typeof options !== 'object' || options === null) throw new TypeError('Expected an options object');
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0 || busyTimeoutMs > 600_000) {
    throw new RangeError(
      `Expected integer between 0 and 600000 for busyTimeoutMs but received ${busyTimeoutMs}`,
    );
  }
  if (options.path !== undefined && (typeof options.path !== 'string' || options.path.length === 0)) {
    throw new TypeError('Expected a non-empty string for path');
  }
  const memory = options.path === ':memory:';
  const path = memory ? ':memory:' : resolve(options.path ?? defaultRepositoryPath());
  const readonly = options.readonly === true;

  let Driver: typeof BetterSqlite3;
  try {
    Driver = (await import('better-sqlite3')).default;
  } catch (err) {
    throw new RepositoryError('ERR_REPOSITORY', 'The SQLite driver (better-sqlite3) could not be loaded', {
      hint: 'Reinstall provmark so that the better-sqlite3 native module is built for this Node version.',
      cause: err,
    });
  }
  let db: Database;
  try {
    if (!memory && !readonly) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    db = new Driver(path, { timeout: busyTimeoutMs, readonly, fileMustExist: readonly });
  } catch (err) {
    // The driver reports a missing directory or file as a TypeError; the options were checked
    // above, so whatever fails here is about the file system.
    throw toRepositoryError(err, `open ${path}`, true);
  }
  try {
    db.pragma('foreign_keys = ON');
    migrate(db, path, readonly);
  } catch (err) {
    db.close();
    throw toRepositoryError(err, `open ${path}`);
  }
  return new SqliteRepository(db, path);
}

/** Read the version first without writing, so a newer database is refused untouched. */
function migrate(db: Database, where: string, readonly: boolean): void {
  const current = readVersion(db, where);
  const pending = pendingMigrations(current, where);
  if (readonly) {
    if (pending.length > 0) {
      throw new RepositoryError(
        'ERR_REPOSITORY_VERSION',
        current === 0
          ? `${where} is not a provmark repository`
          : `The repository ${where} has schema version ${current} and needs migrating to ${SCHEMA_VERSION}`,
        { hint: 'Open it once without readonly so that provmark can create or migrate it.' },
      );
    }
    return;
  }
  // WAL: readers do not block the writer and the reverse (https://sqlite.org/wal.html). FULL
  // syncs the WAL at each commit, so a put that resolved survives a power cut.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  if (pending.length === 0) return;
  // IMMEDIATE takes the write lock first; a second process migrating at the same time waits,
  // then sees the new version and runs nothing.
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS provmark_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const now = readVersion(db, where);
    for (const m of pendingMigrations(now, where)) for (const sql of m.sqlite) db.exec(sql);
    db.prepare('INSERT OR REPLACE INTO provmark_meta (key, value) VALUES (?, ?)').run(
      VERSION_KEY,
      String(SCHEMA_VERSION),
    );
  }).immediate();
}

function readVersion(db: Database, where: string): number {
  const hasMeta = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'provmark_meta'")
    .pluck()
    .get();
  if (!hasMeta) return 0;
  const value = db.prepare('SELECT value FROM provmark_meta WHERE key = ?').pluck().get(VERSION_KEY);
  return value === undefined ? 0 : parseSchemaVersion(value, where);
}

const connections = new WeakMap<SqliteRepository, () => Database>();

/**
 * @internal The open connection of a repository, for the likeness registry that keeps its tables in
 * the same file (src/repository/likeness.ts). Throws ERR_REPOSITORY once the repository is closed.
 */
export function sqliteConnectionOf(repo: SqliteRepository): Database {
  const get = connections.get(repo);
  if (get === undefined) throw new TypeError('Expected a repository opened with openSqliteRepository()');
  return get();
}

/** A {@link ManifestRepository} in one SQLite file. Create it with {@link openSqliteRepository}. */
export class SqliteRepository implements ManifestRepository {
  /** The database file (or `:memory:`). */
  readonly path: string;
  #db: Database | undefined;
  readonly #stmt: ReturnType<typeof prepareStatements>;

  /** @internal use {@link openSqliteRepository} */
  constructor(db: Database, path: string) {
    this.#db = db;
    this.path = path;
    this.#stmt = prepareStatements(db);
    connections.set(this, () => this.#open());
  }

  async put(record: NewManifestRecord): Promise<PutResult> {
    const n = normalizeRecord(record);
    const db = this.#open();
    const s = this.#stmt;
    const tx = db.transaction((r: NormalizedRecord): PutResult => {
      const existing = s.byId.get(r.manifestId) as ManifestRow | undefined;
      if (existing) {
        const stored = this.#toRecord(existing);
        if (!sameContent({ ...stored, storeSha256: existing.store_sha256, format: stored.format }, r)) {
          throw conflict(r.manifestId);
        }
        return { created: false, record: stored };
      }
      const createdAt = Date.now();
      const info = s.insertManifest.run(
        r.manifestId,
        r.manifestStore,
        r.storeSha256,
        r.format ?? null,
        createdAt,
      );
      for (const b of r.bindings) s.insertBinding.run(b.alg, b.value, info.lastInsertRowid);
      return {
        created: true,
        record: {
          manifestId: r.manifestId,
          manifestStore: r.manifestStore,
          bindings: r.bindings,
          ...(r.format === undefined ? {} : { format: r.format }),
          createdAt: new Date(createdAt),
        },
      };
    });
    try {
      // IMMEDIATE: take the write lock before reading, so two processes putting the same id
      // cannot both see "absent" (a deferred transaction would fail with SQLITE_BUSY instead).
      return tx.immediate(n);
    } catch (err) {
      throw toRepositoryError(err, `store ${n.manifestId}`);
    }
  }

  async getManifest(manifestId: string): Promise<ManifestRecord | undefined> {
    checkManifestId(manifestId);
    this.#open();
    try {
      const row = this.#stmt.byId.get(manifestId) as ManifestRow | undefined;
      return row === undefined ? undefined : this.#toRecord(row);
    } catch (err) {
      throw toRepositoryError(err, `read ${manifestId}`);
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
    this.#open();
    try {
      const ids = this.#stmt.findByBinding.all(alg, v, max) as string[];
      return ids.map((manifestId) => ({ manifestId }));
    } catch (err) {
      throw toRepositoryError(err, 'look up a binding');
    }
  }

  async list(options: ListOptions = {}): Promise<ListPage> {
    const limit = checkLimit(options.limit, 'options.limit');
    const after = parseCursor(options.cursor, 'options.cursor');
    this.#open();
    try {
      const rows = this.#stmt.list.all(after, limit + 1) as Array<
        Omit<ManifestRow, 'store'> & { size: number }
      >;
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const bindings = new Map<number, SoftBinding[]>();
      if (last !== undefined) {
        const first = page[0]?.seq ?? last.seq;
        for (const b of this.#stmt.bindingsInRange.all(first, last.seq) as Array<
          SoftBinding & { manifest_seq: number }
        >) {
          const list = bindings.get(b.manifest_seq) ?? [];
          list.push({ alg: b.alg, value: b.value });
          bindings.set(b.manifest_seq, list);
        }
      }
      const items: StoredManifestSummary[] = page.map((r) => ({
        manifestId: r.manifest_id,
        bindings: bindings.get(r.seq) ?? [],
        ...(r.format === null ? {} : { format: r.format }),
        createdAt: new Date(r.created_at),
        size: r.size,
      }));
      return rows.length > limit && last !== undefined ? { items, next: String(last.seq) } : { items };
    } catch (err) {
      throw toRepositoryError(err, 'list manifests');
    }
  }

  async delete(manifestId: string): Promise<boolean> {
    checkManifestId(manifestId);
    const db = this.#open();
    const s = this.#stmt;
    try {
      return db
        .transaction((id: string) => {
          const seq = s.seqById.get(id) as number | undefined;
          if (seq === undefined) return false;
          s.deleteBindings.run(seq);
          s.deleteManifest.run(seq);
          return true;
        })
        .immediate(manifestId);
    } catch (err) {
      throw toRepositoryError(err, `delete ${manifestId}`);
    }
  }

  /** Number of stored manifests. */
  async count(): Promise<number> {
    this.#open();
    return this.#stmt.count.get() as number;
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    if (db?.open) db.close();
  }

  #open(): Database {
    if (this.#db === undefined) {
      throw new RepositoryError('ERR_REPOSITORY', `The repository ${this.path} is closed`, {
        hint: 'Open it again with openSqliteRepository().',
      });
    }
    return this.#db;
  }

  #toRecord(row: ManifestRow): ManifestRecord & { format: string | undefined } {
    const bindings = this.#stmt.bindingsOf.all(row.seq) as SoftBinding[];
    return {
      manifestId: row.manifest_id,
      manifestStore: asUint8Array(row.store),
      bindings: bindings.map((b) => ({ alg: b.alg, value: b.value })),
      format: row.format ?? undefined,
      createdAt: new Date(row.created_at),
    };
  }
}

function prepareStatements(db: Database) {
  return {
    byId: db.prepare('SELECT * FROM provmark_manifests WHERE manifest_id = ?'),
    seqById: db.prepare('SELECT seq FROM provmark_manifests WHERE manifest_id = ?').pluck(),
    bindingsOf: db.prepare(
      'SELECT alg, value FROM provmark_bindings WHERE manifest_seq = ? ORDER BY alg, value',
    ),
    bindingsInRange: db.prepare(
      'SELECT manifest_seq, alg, value FROM provmark_bindings WHERE manifest_seq BETWEEN ? AND ? ORDER BY alg, value',
    ),
    insertManifest: db.prepare(
      'INSERT INTO provmark_manifests (manifest_id, store, store_sha256, format, created_at) VALUES (?, ?, ?, ?, ?)',
    ),
    insertBinding: db.prepare('INSERT INTO provmark_bindings (alg, value, manifest_seq) VALUES (?, ?, ?)'),
    findByBinding: db
      .prepare(
        `SELECT m.manifest_id FROM provmark_bindings b JOIN provmark_manifests m ON m.seq = b.manifest_seq
         WHERE b.alg = ? AND b.value = ? ORDER BY b.manifest_seq DESC LIMIT ?`,
      )
      .pluck(),
    list: db.prepare(
      `SELECT seq, manifest_id, store_sha256, format, created_at, length(store) AS size
       FROM provmark_manifests WHERE seq > ? ORDER BY seq LIMIT ?`,
    ),
    deleteBindings: db.prepare('DELETE FROM provmark_bindings WHERE manifest_seq = ?'),
    deleteManifest: db.prepare('DELETE FROM provmark_manifests WHERE seq = ?'),
    count: db.prepare('SELECT count(*) FROM provmark_manifests').pluck(),
  };
}

function conflict(manifestId: string): RepositoryError {
  return new RepositoryError(
    'ERR_CONFLICT',
    `A different manifest store or binding set is already stored under ${manifestId}`,
    {
      hint: 'Manifest labels are unique: sign again to get a new label instead of reusing one.',
      details: { manifestId },
    },
  );
}

/** Coded errors pass through; driver errors become ERR_REPOSITORY with the SQLite code kept. */
function toRepositoryError(err: unknown, action: string, always = false): Error {
  if (!always && (isProvmarkError(err) || err instanceof TypeError || err instanceof RangeError)) {
    // better-sqlite3 reports a closed database with a TypeError of its own.
    if (!(err instanceof TypeError && /database connection is not open/.test(err.message)))
      return err as Error;
  }
  const code = (err as { code?: unknown }).code;
  const sqliteCode = typeof code === 'string' ? code : undefined;
  const hint =
    sqliteCode === 'SQLITE_BUSY'
      ? 'Another process holds the write lock for longer than the busy timeout; retry, or raise busyTimeoutMs.'
      : sqliteCode === 'SQLITE_NOTADB' || sqliteCode === 'SQLITE_CORRUPT'
        ? 'The file is not a SQLite database or is damaged; point --db at a provmark repository.'
        : sqliteCode === 'SQLITE_CANTOPEN'
          ? 'Check that the directory exists and is writable.'
          : sqliteCode === 'SQLITE_READONLY'
            ? 'The file or its directory is read-only.'
            : undefined;
  return new RepositoryError('ERR_REPOSITORY', `Cannot ${action}: ${(err as Error).message}`, {
    ...(hint === undefined ? {} : { hint }),
    details: { sqliteCode },
    cause: err,
  });
}
