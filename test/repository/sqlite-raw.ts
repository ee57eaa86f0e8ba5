import Database from 'better-sqlite3';
import type { RepositoryHarness } from './contract.js';

type RawAccess = Pick<
  RepositoryHarness,
  'injectFailure' | 'clearFailure' | 'rawCounts' | 'setSchemaVersion' | 'readSchemaVersion'
>;

/** The contract's raw access to a SQLite repository file, each call on its own connection. */
export function sqliteRawAccess(path: string): RawAccess {
  const withRaw = <T>(fn: (db: Database.Database) => T): T => {
    const db = new Database(path);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  const count = (db: Database.Database, table: string) =>
    db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  return {
    async injectFailure(value) {
      withRaw((db) =>
        db.exec(`CREATE TRIGGER provmark_test_fail BEFORE INSERT ON provmark_bindings WHEN NEW.value = '${value}'
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END`),
      );
    },
    async clearFailure() {
      withRaw((db) => db.exec('DROP TRIGGER provmark_test_fail'));
    },
    async rawCounts() {
      return withRaw((db) => ({
        manifests: count(db, 'provmark_manifests'),
        bindings: count(db, 'provmark_bindings'),
      }));
    },
    async setSchemaVersion(version) {
      withRaw((db) =>
        db.prepare("UPDATE provmark_meta SET value = ? WHERE key = 'schema_version'").run(String(version)),
      );
    },
    async readSchemaVersion() {
      return withRaw(
        (db) =>
          db.prepare("SELECT value FROM provmark_meta WHERE key = 'schema_version'").pluck().get() as
            string | undefined,
      );
    },
  };
}
