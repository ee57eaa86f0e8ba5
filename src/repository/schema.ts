/**
 * Versioned schema of the SQL repositories. The version lives in a `provmark_meta` row
 * (`schema_version`); each migration moves the schema up by one and runs in the same transaction
 * as the version update, so a crash leaves the previous version intact. A database whose version
 * is newer than {@link SCHEMA_VERSION} was written by a newer provmark and is refused untouched.
 */
import { RepositoryError } from '../errors.js';

/** Schema version this code reads and writes. */
export const SCHEMA_VERSION = 2;

/** Key of the version row in `provmark_meta`. */
export const VERSION_KEY = 'schema_version';

export interface Migration {
  /** The version the schema has after this migration. */
  readonly version: number;
  readonly sqlite: readonly string[];
  readonly postgres: readonly string[];
}

/**
 * Tables: manifests (one row per manifest store; `seq` orders by insertion and is the list cursor)
 * and bindings ((alg, value) -> manifest). The bindings primary key (alg, value, manifest_seq)
 * is the lookup index and returns matches newest first without a sort.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sqlite: [
      `CREATE TABLE provmark_manifests (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         manifest_id TEXT NOT NULL UNIQUE,
         store BLOB NOT NULL,
         store_sha256 TEXT NOT NULL,
         format TEXT,
         created_at INTEGER NOT NULL
       )`,
      `CREATE TABLE provmark_bindings (
         alg TEXT NOT NULL,
         value TEXT NOT NULL,
         manifest_seq INTEGER NOT NULL REFERENCES provmark_manifests(seq) ON DELETE CASCADE,
         PRIMARY KEY (alg, value, manifest_seq)
       ) WITHOUT ROWID`,
      `CREATE INDEX provmark_bindings_manifest ON provmark_bindings(manifest_seq)`,
    ],
    postgres: [
      `CREATE TABLE provmark_manifests (
         seq BIGSERIAL PRIMARY KEY,
         manifest_id TEXT NOT NULL UNIQUE,
         store BYTEA NOT NULL,
         store_sha256 TEXT NOT NULL,
         format TEXT,
         created_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
      `CREATE TABLE provmark_bindings (
         alg TEXT NOT NULL,
         value TEXT NOT NULL,
         manifest_seq BIGINT NOT NULL REFERENCES provmark_manifests(seq) ON DELETE CASCADE,
         PRIMARY KEY (alg, value, manifest_seq)
       )`,
      `CREATE INDEX provmark_bindings_manifest ON provmark_bindings(manifest_seq)`,
    ],
  },
  {
    // Likeness registry (src/likeness): the people a brand represents, their face descriptors
    // (biometric data: 128 little-endian float32, never images) and the signers authorised to publish
    // media that shows them. Removing a person cascades to both.
    version: 2,
    sqlite: [
      `CREATE TABLE provmark_likeness_persons (
         person_id TEXT PRIMARY KEY,
         name TEXT,
         created_at INTEGER NOT NULL
       )`,
      `CREATE TABLE provmark_likeness_descriptors (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         person_id TEXT NOT NULL REFERENCES provmark_likeness_persons(person_id) ON DELETE CASCADE,
         model TEXT NOT NULL,
         descriptor BLOB NOT NULL,
         created_at INTEGER NOT NULL
       )`,
      `CREATE INDEX provmark_likeness_descriptors_person ON provmark_likeness_descriptors(person_id)`,
      `CREATE TABLE provmark_likeness_signers (
         person_id TEXT NOT NULL REFERENCES provmark_likeness_persons(person_id) ON DELETE CASCADE,
         certificate_sha256 TEXT NOT NULL,
         spki_sha256 TEXT NOT NULL,
         subject TEXT NOT NULL,
         issuer TEXT NOT NULL,
         serial_number TEXT NOT NULL,
         certificate TEXT NOT NULL,
         PRIMARY KEY (person_id, certificate_sha256)
       ) WITHOUT ROWID`,
    ],
    postgres: [
      `CREATE TABLE provmark_likeness_persons (
         person_id TEXT PRIMARY KEY,
         name TEXT,
         created_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
      `CREATE TABLE provmark_likeness_descriptors (
         seq BIGSERIAL PRIMARY KEY,
         person_id TEXT NOT NULL REFERENCES provmark_likeness_persons(person_id) ON DELETE CASCADE,
         model TEXT NOT NULL,
         descriptor BYTEA NOT NULL,
         created_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
      `CREATE INDEX provmark_likeness_descriptors_person ON provmark_likeness_descriptors(person_id)`,
      `CREATE TABLE provmark_likeness_signers (
         person_id TEXT NOT NULL REFERENCES provmark_likeness_persons(person_id) ON DELETE CASCADE,
         certificate_sha256 TEXT NOT NULL,
         spki_sha256 TEXT NOT NULL,
         subject TEXT NOT NULL,
         issuer TEXT NOT NULL,
         serial_number TEXT NOT NULL,
         certificate TEXT NOT NULL,
         PRIMARY KEY (person_id, certificate_sha256)
       )`,
    ],
  },
];

/** The migrations still to run from `current`, or a refusal when `current` is newer than this code. */
export function pendingMigrations(current: number, where: string): readonly Migration[] {
  if (current > SCHEMA_VERSION) {
    throw new RepositoryError(
      'ERR_REPOSITORY_VERSION',
      `The repository ${where} has schema version ${current}, newer than version ${SCHEMA_VERSION} that this provmark understands`,
      {
        hint: 'Upgrade provmark to open this repository; it was left untouched.',
        details: { schemaVersion: current, supported: SCHEMA_VERSION },
      },
    );
  }
  return MIGRATIONS.filter((m) => m.version > current);
}

/** Parse the stored version string; anything else means the meta table was not written by provmark. */
export function parseSchemaVersion(value: unknown, where: string): number {
  const n = typeof value === 'string' && /^[0-9]{1,9}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n)) {
    throw new RepositoryError('ERR_REPOSITORY', `The repository ${where} has an unreadable schema version`, {
      hint: 'The provmark_meta table was changed by something else; restore it from a backup.',
      details: { schemaVersion: value },
    });
  }
  return n;
}
