import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createHttpRepository } from '../../src/repository/http.js';
import { isManifestId } from '../../src/repository/record.js';
import { openSqliteRepository } from '../../src/repository/sqlite.js';
import type { NewManifestRecord } from '../../src/repository/types.js';
import { startServer } from '../../src/server/index.js';
import { SOFT_BINDING_ALG, newSoftBindingId, softBindingValue } from '../../src/watermark/softbinding.js';
import { signedRecord } from '../server/stores.js';
import { repositoryContract, type CountingRepository, type RepositoryHarness } from './contract.js';
import { sqliteRawAccess } from './sqlite-raw.js';

/**
 * The repository contract for the HTTP client (src/repository/http.ts) talking over 127.0.0.1 to a
 * real provmark server (src/server) backed by SQLite: every request crosses the resolution API.
 * The server only stores what the C2PA engine validates, so records carry real signed stores.
 */
const TOKEN = 'contract-token-0123456789abcdef';
const root = mkdtempSync(join(tmpdir(), 'provmark-http-repo-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

// Signed stores are shared by every test (each test has its own empty server database): the
// i-th record a test asks for is the i-th store, with a fresh watermark binding.
const pool: Promise<NewManifestRecord>[] = [];

async function httpHarness(): Promise<RepositoryHarness> {
  const path = join(root, `repo-${++n}`, 'repository.db');
  const backing = await openSqliteRepository({ path });
  const server = await startServer({
    repository: backing,
    port: 0,
    tokens: [TOKEN],
    rateLimit: false,
    logLevel: 'silent',
    // The algorithms the contract's records are stored with ('org.other.watermark.1', which it
    // only looks up, is left unsupported: a lookup the server refuses for its algorithm finds nothing).
    algorithms: {
      watermarks: [SOFT_BINDING_ALG],
      fingerprints: ['org.example.fingerprint.1', 'zz.last.binding.1'],
    },
  });
  const raw = sqliteRawAccess(path);
  const handles: CountingRepository[] = [];
  let next = 0;
  return {
    async open() {
      // count() is not part of ManifestRepository: the contract's counter reads the server's database.
      const repo = Object.assign(createHttpRepository({ url: server.url, token: TOKEN }), {
        count: async () => (await raw.rawCounts()).manifests,
      });
      handles.push(repo);
      return repo;
    },
    ...raw,
    async makeRecord(overrides = {}) {
      const id = overrides.manifestId;
      // The pool slot is taken before the first await: concurrent calls get different stores.
      const base = await (isManifestId(id) ? signedRecord(id) : (pool[next++] ??= signedRecord()));
      const binding = { alg: SOFT_BINDING_ALG, value: softBindingValue(newSoftBindingId()) };
      return { ...base, bindings: [binding], ...overrides };
    },
    async dispose() {
      for (const h of handles) await h.close();
      await server.close();
      await backing.close();
    },
  };
}

repositoryContract('http (provmark server on SQLite)', httpHarness, {
  noList: 'the Soft Binding Resolution API has no listing',
  storeOnlyRecords: 'GET /manifests/{id} answers the store bytes (application/c2pa), not its bindings',
  noSchema: 'the server opened its own database and checks that schema',
});
