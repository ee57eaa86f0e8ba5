import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProvmarkError } from '../../src/errors.js';
import { MANIFEST_RECORD_TYPE, createHttpRepository } from '../../src/repository/http.js';
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
  noSchema: 'the server opened its own database and checks that schema',
});

describe('http repository: getManifest from resolvers', () => {
  const id = `urn:c2pa:${randomUUID()}`;
  const store = new Uint8Array([1, 2, 3, 4, 5]);
  const client = (answer: (accept: string) => Response) => {
    let accept = '';
    const repo = createHttpRepository({
      url: 'http://resolver.test/',
      fetch: async (_url, init) => {
        accept = String((init?.headers as Record<string, string>).accept);
        return answer(accept);
      },
    });
    return { repo, accept: () => accept };
  };

  it('asks for the whole record and takes application/c2pa (any resolver) as store bytes only', async () => {
    const { repo, accept } = client(
      () =>
        new Response(store, {
          headers: { 'content-type': 'application/c2pa', 'last-modified': 'Tue, 01 Dec 2026 10:00:00 GMT' },
        }),
    );
    const got = await repo.getManifest(id);
    expect(accept()).toBe(`${MANIFEST_RECORD_TYPE}, application/c2pa;q=0.9`);
    expect(got).toEqual({
      manifestId: id,
      manifestStore: store,
      bindings: [],
      createdAt: new Date('2026-12-01T10:00:00Z'),
    });
  });

  it('refuses a record that is not the one asked for or is malformed, with ERR_REPOSITORY', async () => {
    const good = {
      manifestId: id,
      manifestStore: Buffer.from(store).toString('base64'),
      bindings: [{ alg: SOFT_BINDING_ALG, value: softBindingValue(newSoftBindingId()) }],
      format: 'image/jpeg',
    };
    const answer = (body: unknown) => () =>
      new Response(JSON.stringify(body), { headers: { 'content-type': MANIFEST_RECORD_TYPE } });
    expect((await client(answer(good)).repo.getManifest(id))?.bindings).toEqual(good.bindings);
    for (const bad of [
      { ...good, manifestId: `urn:c2pa:${randomUUID()}` },
      { ...good, manifestStore: '***' },
      { ...good, manifestStore: '' },
      { ...good, bindings: [{ alg: '', value: 'AAAA' }] },
      { ...good, format: 'jpeg' },
    ]) {
      const err = await client(answer(bad))
        .repo.getManifest(id)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProvmarkError);
      expect((err as ProvmarkError).code).toBe('ERR_REPOSITORY');
    }
  });
});
