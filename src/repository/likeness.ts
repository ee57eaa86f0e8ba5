/**
 * The likeness registry: the people a brand represents, their face descriptors and the signers
 * authorised to publish media that shows them. It lives in the same database as the manifest
 * repository (schema version 2), SQLite or PostgreSQL.
 *
 * Descriptors are biometric data. The registry stores descriptors only (never images), `remove`
 * deletes all of a person's rows, and nothing here is served by any public endpoint.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { RepositoryError, isProvmarkError } from '../errors.js';
import { checkPersonId } from '../likeness/declare.js';
import { openRepository } from './open.js';
import { inTransaction, postgresConnectionOf, PostgresRepository } from './postgres.js';
import { sqliteConnectionOf, SqliteRepository } from './sqlite.js';

/** A certificate whose holder may publish media showing a person. */
export interface AuthorizedSigner {
  /** Subject distinguished name as Node prints it (`CN=…\nO=…`, one attribute per line). */
  readonly subject: string;
  readonly issuer: string;
  /** Serial number, lowercase hex without leading zeros. */
  readonly serialNumber: string;
  /** SHA-256 of the DER SubjectPublicKeyInfo, lowercase hex. */
  readonly spkiSha256: string;
  /** SHA-256 of the DER certificate, lowercase hex. */
  readonly certificateSha256: string;
  /** The certificate (public data), so a check can trust exactly this certificate. */
  readonly certificatePem: string;
}

/** One enrolled face descriptor (128 float32 values in the space of `model`). */
export interface StoredDescriptor {
  readonly person: string;
  readonly model: string;
  readonly descriptor: Float32Array;
}

export interface LikenessPerson {
  readonly person: string;
  readonly name?: string;
  /** Number of stored descriptors (the descriptors themselves are not listed). */
  readonly descriptors: number;
  readonly signers: readonly AuthorizedSigner[];
  readonly createdAt: Date;
}

export interface LikenessEnrollment {
  readonly person: string;
  /** Display name; an enrolment without one keeps the stored name. */
  readonly name?: string;
  readonly model: string;
  readonly descriptors: readonly Float32Array[];
  readonly signers: readonly AuthorizedSigner[];
}

/** Where likeness data is kept. Create one with {@link openLikenessRegistry}. */
export interface LikenessRegistry {
  /** Add a person (or more descriptors and signers to one already there); atomic. */
  enroll(enrollment: LikenessEnrollment): Promise<LikenessPerson>;
  get(person: string): Promise<LikenessPerson | undefined>;
  /** Every enrolled person, by id. */
  list(): Promise<LikenessPerson[]>;
  /** Delete a person with every descriptor and signer; false when there was none. */
  remove(person: string): Promise<boolean>;
  /** Every stored descriptor, for matching (biometric data: keep it in process). */
  descriptors(): Promise<StoredDescriptor[]>;
  /**
   * A token that changes whenever any process enrols or removes someone in this database (a counter
   * kept in `provmark_meta`, bumped in the same transaction): an in-memory index is current while
   * the token is unchanged.
   */
  revision(): Promise<string>;
  close(): Promise<void>;
}

/** Key of the registry's change counter in `provmark_meta`. */
const REVISION_KEY = 'likeness_revision';

export { checkPersonId };

function checkEnrollment(e: LikenessEnrollment): void {
  if (e === null || typeof e !== 'object') throw new TypeError('Expected an enrollment object');
  checkPersonId(e.person);
  if (e.name !== undefined && (typeof e.name !== 'string' || e.name.length > 200)) {
    throw new RangeError('Expected a string of at most 200 characters for name');
  }
  if (typeof e.model !== 'string' || e.model === '') throw new TypeError('Expected a model id string');
  if (!Array.isArray(e.descriptors)) throw new TypeError('Expected an array of descriptors');
  for (const [i, d] of e.descriptors.entries()) {
    if (!(d instanceof Float32Array) || d.length !== 128 || !d.every(Number.isFinite)) {
      throw new RangeError(`Expected 128 finite float32 values for descriptors[${i}]`);
    }
  }
  if (!Array.isArray(e.signers)) throw new TypeError('Expected an array of signers');
}

function toBlob(d: Float32Array): Buffer {
  const out = Buffer.alloc(d.length * 4);
  d.forEach((v, i) => out.writeFloatLE(v, i * 4));
  return out;
}

function fromBlob(b: Uint8Array): Float32Array {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float32Array(b.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

interface PersonRow {
  person_id: string;
  name: string | null;
  created_at: number | Date;
  n: number | string;
}
interface SignerRow {
  person_id: string;
  subject: string;
  issuer: string;
  serial_number: string;
  spki_sha256: string;
  certificate_sha256: string;
  certificate: string;
}

function toSigner(r: SignerRow): AuthorizedSigner {
  return {
    subject: r.subject,
    issuer: r.issuer,
    serialNumber: r.serial_number,
    spkiSha256: r.spki_sha256,
    certificateSha256: r.certificate_sha256,
    certificatePem: r.certificate,
  };
}

function toPerson(r: PersonRow, signers: readonly SignerRow[]): LikenessPerson {
  return {
    person: r.person_id,
    ...(r.name === null ? {} : { name: r.name }),
    descriptors: Number(r.n),
    signers: signers.filter((s) => s.person_id === r.person_id).map(toSigner),
    createdAt: r.created_at instanceof Date ? r.created_at : new Date(r.created_at),
  };
}

function wrap(err: unknown, action: string): Error {
  if (isProvmarkError(err) || err instanceof TypeError || err instanceof RangeError) return err as Error;
  return new RepositoryError('ERR_REPOSITORY', `Cannot ${action}: ${(err as Error).message}`, { cause: err });
}

const PERSON_SELECT = (p: string, d: string) =>
  `SELECT p.person_id, p.name, p.created_at, (SELECT count(*) FROM ${d} d WHERE d.person_id = p.person_id) AS n FROM ${p} p`;

class SqliteLikenessRegistry implements LikenessRegistry {
  readonly #repo: SqliteRepository;
  readonly #owns: boolean;
  constructor(repo: SqliteRepository, owns: boolean) {
    this.#repo = repo;
    this.#owns = owns;
  }

  #db(): BetterSqlite3.Database {
    return sqliteConnectionOf(this.#repo);
  }

  #bump(db: BetterSqlite3.Database): void {
    db.prepare(
      `INSERT INTO provmark_meta (key, value) VALUES (?, '1')
       ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)`,
    ).run(REVISION_KEY);
  }

  async revision(): Promise<string> {
    try {
      const v = this.#db().prepare('SELECT value FROM provmark_meta WHERE key = ?').pluck().get(REVISION_KEY);
      return typeof v === 'string' ? v : '0';
    } catch (err) {
      throw wrap(err, 'read the registry revision');
    }
  }

  #person(db: BetterSqlite3.Database, person: string): LikenessPerson | undefined {
    const row = db
      .prepare(
        `${PERSON_SELECT('provmark_likeness_persons', 'provmark_likeness_descriptors')} WHERE p.person_id = ?`,
      )
      .get(person) as PersonRow | undefined;
    if (row === undefined) return undefined;
    const signers = db
      .prepare('SELECT * FROM provmark_likeness_signers WHERE person_id = ? ORDER BY certificate_sha256')
      .all(person) as SignerRow[];
    return toPerson(row, signers);
  }

  async enroll(e: LikenessEnrollment): Promise<LikenessPerson> {
    checkEnrollment(e);
    const db = this.#db();
    try {
      return db
        .transaction(() => {
          const now = Date.now();
          db.prepare(
            `INSERT INTO provmark_likeness_persons (person_id, name, created_at) VALUES (?, ?, ?)
             ON CONFLICT (person_id) DO UPDATE SET name = coalesce(excluded.name, name)`,
          ).run(e.person, e.name ?? null, now);
          const addD = db.prepare(
            'INSERT INTO provmark_likeness_descriptors (person_id, model, descriptor, created_at) VALUES (?, ?, ?, ?)',
          );
          for (const d of e.descriptors) addD.run(e.person, e.model, toBlob(d), now);
          const addS = db.prepare(
            `INSERT OR REPLACE INTO provmark_likeness_signers
             (person_id, certificate_sha256, spki_sha256, subject, issuer, serial_number, certificate)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          );
          for (const s of e.signers) {
            addS.run(
              e.person,
              s.certificateSha256,
              s.spkiSha256,
              s.subject,
              s.issuer,
              s.serialNumber,
              s.certificatePem,
            );
          }
          this.#bump(db);
          return this.#person(db, e.person) as LikenessPerson;
        })
        .immediate();
    } catch (err) {
      throw wrap(err, `enroll ${e.person}`);
    }
  }

  async get(person: string): Promise<LikenessPerson | undefined> {
    checkPersonId(person);
    try {
      return this.#person(this.#db(), person);
    } catch (err) {
      throw wrap(err, `read ${person}`);
    }
  }

  async list(): Promise<LikenessPerson[]> {
    try {
      const db = this.#db();
      const rows = db
        .prepare(
          `${PERSON_SELECT('provmark_likeness_persons', 'provmark_likeness_descriptors')} ORDER BY p.person_id`,
        )
        .all() as PersonRow[];
      const signers = db
        .prepare('SELECT * FROM provmark_likeness_signers ORDER BY certificate_sha256')
        .all() as SignerRow[];
      return rows.map((r) => toPerson(r, signers));
    } catch (err) {
      throw wrap(err, 'list enrolled people');
    }
  }

  async remove(person: string): Promise<boolean> {
    checkPersonId(person);
    try {
      const db = this.#db();
      return db
        .transaction(() => {
          // Explicit deletes as well as the cascade: the biometric rows must go even on a connection
          // opened without foreign_keys.
          db.prepare('DELETE FROM provmark_likeness_descriptors WHERE person_id = ?').run(person);
          db.prepare('DELETE FROM provmark_likeness_signers WHERE person_id = ?').run(person);
          const removed =
            db.prepare('DELETE FROM provmark_likeness_persons WHERE person_id = ?').run(person).changes > 0;
          if (removed) this.#bump(db);
          return removed;
        })
        .immediate();
    } catch (err) {
      throw wrap(err, `remove ${person}`);
    }
  }

  async descriptors(): Promise<StoredDescriptor[]> {
    try {
      const rows = this.#db()
        .prepare('SELECT person_id, model, descriptor FROM provmark_likeness_descriptors ORDER BY seq')
        .all() as Array<{ person_id: string; model: string; descriptor: Buffer }>;
      return rows.map((r) => ({ person: r.person_id, model: r.model, descriptor: fromBlob(r.descriptor) }));
    } catch (err) {
      throw wrap(err, 'read descriptors');
    }
  }

  async close(): Promise<void> {
    if (this.#owns) await this.#repo.close();
  }
}

interface PgTables {
  readonly pool: import('pg').Pool;
  readonly p: string;
  readonly d: string;
  readonly s: string;
  readonly meta: string;
}

class PostgresLikenessRegistry implements LikenessRegistry {
  readonly #repo: PostgresRepository;
  readonly #owns: boolean;
  constructor(repo: PostgresRepository, owns: boolean) {
    this.#repo = repo;
    this.#owns = owns;
  }

  #t(): PgTables {
    const { pool, table } = postgresConnectionOf(this.#repo);
    return {
      pool,
      p: table('provmark_likeness_persons'),
      d: table('provmark_likeness_descriptors'),
      s: table('provmark_likeness_signers'),
      meta: table('provmark_meta'),
    };
  }

  async #bump(client: import('pg').PoolClient, t: PgTables): Promise<void> {
    await client.query(
      `INSERT INTO ${t.meta} (key, value) VALUES ($1, '1')
       ON CONFLICT (key) DO UPDATE SET value = (CAST(${t.meta}.value AS BIGINT) + 1)::TEXT`,
      [REVISION_KEY],
    );
  }

  async revision(): Promise<string> {
    const t = this.#t();
    try {
      const r = await t.pool.query<{ value: string }>(`SELECT value FROM ${t.meta} WHERE key = $1`, [
        REVISION_KEY,
      ]);
      return r.rows[0]?.value ?? '0';
    } catch (err) {
      throw wrap(err, 'read the registry revision');
    }
  }

  async #person(
    q: { query: import('pg').Pool['query'] },
    t: PgTables,
    person: string,
  ): Promise<LikenessPerson | undefined> {
    const rows = await q.query<PersonRow>(`${PERSON_SELECT(t.p, t.d)} WHERE p.person_id = $1`, [person]);
    const row = rows.rows[0];
    if (row === undefined) return undefined;
    const signers = await q.query<SignerRow>(
      `SELECT * FROM ${t.s} WHERE person_id = $1 ORDER BY certificate_sha256`,
      [person],
    );
    return toPerson(row, signers.rows);
  }

  async enroll(e: LikenessEnrollment): Promise<LikenessPerson> {
    checkEnrollment(e);
    const t = this.#t();
    try {
      return await inTransaction(t.pool, async (client) => {
        await client.query(
          `INSERT INTO ${t.p} (person_id, name) VALUES ($1, $2)
           ON CONFLICT (person_id) DO UPDATE SET name = coalesce(EXCLUDED.name, ${t.p}.name)`,
          [e.person, e.name ?? null],
        );
        for (const d of e.descriptors) {
          await client.query(`INSERT INTO ${t.d} (person_id, model, descriptor) VALUES ($1, $2, $3)`, [
            e.person,
            e.model,
            toBlob(d),
          ]);
        }
        for (const s of e.signers) {
          await client.query(
            `INSERT INTO ${t.s} (person_id, certificate_sha256, spki_sha256, subject, issuer, serial_number, certificate)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (person_id, certificate_sha256) DO NOTHING`,
            [
              e.person,
              s.certificateSha256,
              s.spkiSha256,
              s.subject,
              s.issuer,
              s.serialNumber,
              s.certificatePem,
            ],
          );
        }
        await this.#bump(client, t);
        const out = await this.#person(client, t, e.person);
        return out as LikenessPerson;
      });
    } catch (err) {
      throw wrap(err, `enroll ${e.person}`);
    }
  }

  async get(person: string): Promise<LikenessPerson | undefined> {
    checkPersonId(person);
    const t = this.#t();
    try {
      return await this.#person(t.pool, t, person);
    } catch (err) {
      throw wrap(err, `read ${person}`);
    }
  }

  async list(): Promise<LikenessPerson[]> {
    const t = this.#t();
    try {
      const rows = await t.pool.query<PersonRow>(`${PERSON_SELECT(t.p, t.d)} ORDER BY p.person_id`);
      const signers = await t.pool.query<SignerRow>(`SELECT * FROM ${t.s} ORDER BY certificate_sha256`);
      return rows.rows.map((r) => toPerson(r, signers.rows));
    } catch (err) {
      throw wrap(err, 'list enrolled people');
    }
  }

  async remove(person: string): Promise<boolean> {
    checkPersonId(person);
    const t = this.#t();
    try {
      return await inTransaction(t.pool, async (client) => {
        await client.query(`DELETE FROM ${t.d} WHERE person_id = $1`, [person]);
        await client.query(`DELETE FROM ${t.s} WHERE person_id = $1`, [person]);
        const r = await client.query(`DELETE FROM ${t.p} WHERE person_id = $1`, [person]);
        if ((r.rowCount ?? 0) > 0) await this.#bump(client, t);
        return (r.rowCount ?? 0) > 0;
      });
    } catch (err) {
      throw wrap(err, `remove ${person}`);
    }
  }

  async descriptors(): Promise<StoredDescriptor[]> {
    const t = this.#t();
    try {
      const rows = await t.pool.query<{ person_id: string; model: string; descriptor: Buffer }>(
        `SELECT person_id, model, descriptor FROM ${t.d} ORDER BY seq`,
      );
      return rows.rows.map((r) => ({
        person: r.person_id,
        model: r.model,
        descriptor: fromBlob(r.descriptor),
      }));
    } catch (err) {
      throw wrap(err, 'read descriptors');
    }
  }

  async close(): Promise<void> {
    if (this.#owns) await this.#repo.close();
  }
}

/**
 * Open the likeness registry: on an open SQLite or PostgreSQL repository (which stays open after
 * `close()`), or from a `--db` string as {@link openRepository} takes it (closed with the registry).
 * A remote http(s) resolver holds no likeness data and is refused.
 *
 * @example
 * ```ts
 * const registry = await openLikenessRegistry('sqlite:./brand.db');
 * console.log(await registry.list());
 * await registry.close();
 * ```
 */
export async function openLikenessRegistry(
  db?: string | SqliteRepository | PostgresRepository,
): Promise<LikenessRegistry> {
  if (db instanceof SqliteRepository) return new SqliteLikenessRegistry(db, false);
  if (db instanceof PostgresRepository) return new PostgresLikenessRegistry(db, false);
  if (db !== undefined && typeof db !== 'string') {
    throw new TypeError('Expected a --db string or an SQLite/PostgreSQL repository');
  }
  if (db !== undefined && /^https?:\/\//i.test(db.trim())) {
    throw new RangeError(
      'Expected an SQLite or PostgreSQL repository for the likeness registry, not an http(s) resolver',
    );
  }
  const repo = await openRepository(db);
  if (repo instanceof SqliteRepository) return new SqliteLikenessRegistry(repo, true);
  if (repo instanceof PostgresRepository) return new PostgresLikenessRegistry(repo, true);
  await repo.close();
  throw new RangeError('Expected an SQLite or PostgreSQL repository for the likeness registry');
}
