import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProvmarkError } from '../../src/errors.js';
import { openPostgresRepository } from '../../src/repository/postgres.js';
import { repositoryContract, type CountingRepository, type RepositoryHarness } from './contract.js';

// .ci/run starts PostgreSQL and exports this (bash scripts/ci-postgres.sh prints a URL).
const url = process.env.PROVMARK_TEST_PG_URL;
const skipNote =
  'PROVMARK_TEST_PG_URL is not set: PostgreSQL repository tests skipped (export PROVMARK_TEST_PG_URL=$(bash scripts/ci-postgres.sh) to run them)';
if (!url) console.warn(skipNote);

describe.skipIf(!url)('postgres repository', () => {
  let admin: pg.Client;
  const schemas: string[] = [];

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  afterAll(async () => {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await admin.end();
  });

  async function pgHarness(): Promise<RepositoryHarness> {
    const schema = `provmark_test_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    const handles: CountingRepository[] = [];
    const count = async (table: string) =>
      Number((await admin.query(`SELECT count(*)::int AS n FROM "${schema}".${table}`)).rows[0].n);
    return {
      async open() {
        const repo = await openPostgresRepository({ connectionString: url!, schema, max: 4 });
        handles.push(repo);
        return repo;
      },
      async injectFailure(value) {
        await admin.query(`CREATE FUNCTION "${schema}".provmark_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN IF NEW.value = '${value}' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$`);
        await admin.query(`CREATE TRIGGER provmark_test_fail BEFORE INSERT ON "${schema}".provmark_bindings
          FOR EACH ROW EXECUTE FUNCTION "${schema}".provmark_test_fail()`);
      },
      async clearFailure() {
        await admin.query(`DROP FUNCTION "${schema}".provmark_test_fail() CASCADE`);
      },
      async rawCounts() {
        return { manifests: await count('provmark_manifests'), bindings: await count('provmark_bindings') };
      },
      async setSchemaVersion(version) {
        await admin.query(`UPDATE "${schema}".provmark_meta SET value = $1 WHERE key = 'schema_version'`, [
          String(version),
        ]);
      },
      async readSchemaVersion() {
        const r = await admin.query(
          `SELECT value FROM "${schema}".provmark_meta WHERE key = 'schema_version'`,
        );
        return r.rows[0]?.value as string | undefined;
      },
      async dispose() {
        for (const h of handles) await h.close();
      },
    };
  }

  repositoryContract('postgres', pgHarness);

  it('reports an unreachable server as ERR_REPOSITORY with a hint', async () => {
    const err = await openPostgresRepository({
      connectionString: 'postgres://nobody:x@127.0.0.1:1/none',
      connectionTimeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvmarkError);
    expect((err as ProvmarkError).code).toBe('ERR_REPOSITORY');
    expect((err as ProvmarkError).hint).toMatch(/running/);
    expect((err as ProvmarkError).message).not.toMatch(/nobody:x@/);
  });

  it('lets several clients create the schema at the same time', async () => {
    const schema = `provmark_test_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    const repos = await Promise.all(
      [1, 2, 3, 4, 5].map(() => openPostgresRepository({ connectionString: url!, schema, max: 1 })),
    );
    const r = await admin.query(`SELECT value FROM "${schema}".provmark_meta WHERE key = 'schema_version'`);
    expect(r.rows).toHaveLength(1);
    for (const repo of repos) await repo.close();
  });

  it('uses the search path schema when none is given', async () => {
    const repo = await openPostgresRepository({ connectionString: url!, max: 2 });
    expect(typeof (await repo.count())).toBe('number');
    await repo.close();
  });
});

describe.skipIf(!!url)('postgres repository (skipped)', () => {
  it.skip(skipNote, () => undefined);
});
