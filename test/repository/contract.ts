/**
 * The one contract every ManifestRepository must meet, run against SQLite, PostgreSQL and the HTTP
 * client talking to a provmark server (sqlite.test.ts, postgres.test.ts, http.test.ts provide the
 * harness). What a backend cannot do by design is declared in {@link RepositoryLimits}, and for each
 * limit the contract checks the typed answer instead: nothing is skipped without a stated reason.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProvmarkError } from '../../src/errors.js';
import { SCHEMA_VERSION } from '../../src/repository/schema.js';
import type { ManifestRepository, NewManifestRecord } from '../../src/repository/types.js';
import { makeRecord } from './records.js';

export { makeRecord };
import { SOFT_BINDING_ALG, newSoftBindingId, softBindingValue } from '../../src/watermark/softbinding.js';

export type CountingRepository = ManifestRepository & { count(): Promise<number> };

/** Backend-specific access to one fresh, empty repository under test. */
export interface RepositoryHarness {
  /** Another handle (own connection) on the repository under test; creates it on first call. */
  open(): Promise<CountingRepository>;
  /** Make inserting a binding with this value fail inside the database (a trigger). */
  injectFailure(value: string): Promise<void>;
  clearFailure(): Promise<void>;
  /** Row counts read with a separate raw connection. */
  rawCounts(): Promise<{ manifests: number; bindings: number }>;
  /** Write a schema version directly, as a newer provmark would. */
  setSchemaVersion(version: number): Promise<void>;
  readSchemaVersion(): Promise<string | undefined>;
  /** Close every handle and remove the repository. */
  dispose(): Promise<void>;
  /**
   * A fresh record this backend accepts, with `overrides` applied (default {@link makeRecord}: opaque
   * random store bytes). Given a valid `manifestId`, a store under that id that differs from any
   * earlier one.
   */
  makeRecord?(overrides?: Partial<NewManifestRecord>): Promise<NewManifestRecord>;
}

/** What a backend does not do by design; the contract checks the typed answer in its place. */
export interface RepositoryLimits {
  /** `list()` checks its options, then rejects with ERR_UNSUPPORTED_OPERATION. */
  readonly noList?: string;
  /** The handle has no schema of its own to refuse (the database behind it checks its own). */
  readonly noSchema?: string;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return err instanceof ProvmarkError ? err.code : `${(err as Error).name}: ${(err as Error).message}`;
  }
  return 'resolved';
}

export function repositoryContract(
  name: string,
  makeHarness: () => Promise<RepositoryHarness>,
  limits: RepositoryLimits = {},
): void {
  describe(`${name}: ManifestRepository contract`, () => {
    let h: RepositoryHarness;
    let repo: CountingRepository;
    const newRecord = (overrides: Partial<NewManifestRecord> = {}): Promise<NewManifestRecord> =>
      h.makeRecord ? h.makeRecord(overrides) : Promise.resolve(makeRecord(overrides));

    beforeEach(async () => {
      h = await makeHarness();
      repo = await h.open();
    });
    afterEach(async () => {
      await h.dispose();
    });

    it('stores a manifest and returns it byte for byte, with its bindings and format', async () => {
      const rec = await newRecord();
      const before = Date.now();
      const { created, record } = await repo.put(rec);
      expect(created).toBe(true);
      expect(record.createdAt).toBeInstanceOf(Date);
      const got = await repo.getManifest(rec.manifestId);
      expect(got).toBeDefined();
      expect(Buffer.from(got!.manifestStore).equals(Buffer.from(rec.manifestStore))).toBe(true);
      expect(Object.getPrototypeOf(got!.manifestStore)).toBe(Uint8Array.prototype);
      expect(got!.bindings).toEqual(rec.bindings);
      expect(got!.format).toBe('image/jpeg');
      expect(got!.createdAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(await repo.getManifest(`urn:c2pa:${randomUUID()}`)).toBeUndefined();
    });

    it('finds a manifest by its binding, and nothing for other bindings or algorithms', async () => {
      const rec = await newRecord();
      await repo.put(rec);
      const b = rec.bindings[0]!;
      expect(await repo.findByBinding(b.alg, b.value)).toEqual([{ manifestId: rec.manifestId }]);
      expect(await repo.findByBinding(b.alg, softBindingValue(newSoftBindingId()))).toEqual([]);
      expect(await repo.findByBinding('org.other.watermark.1', b.value)).toEqual([]);
      // URL-safe, unpadded spelling of the same bytes finds it too.
      const urlSafe = b.value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      expect(await repo.findByBinding(b.alg, urlSafe)).toEqual([{ manifestId: rec.manifestId }]);
    });

    it('answers every manifest that shares a binding, newest first, up to maxResults', async () => {
      const shared = { alg: SOFT_BINDING_ALG, value: softBindingValue(newSoftBindingId()) };
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const rec = await newRecord({
          bindings: [shared, { alg: 'org.example.fingerprint.1', value: `AAA${i}` }],
        });
        await repo.put(rec);
        ids.push(rec.manifestId);
      }
      const all = await repo.findByBinding(shared.alg, shared.value);
      expect(all.map((m) => m.manifestId)).toEqual([...ids].reverse());
      const two = await repo.findByBinding(shared.alg, shared.value, { maxResults: 2 });
      expect(two.map((m) => m.manifestId)).toEqual([ids[2], ids[1]]);
      expect(
        (await repo.findByBinding('org.example.fingerprint.1', 'AAA1')).map((m) => m.manifestId),
      ).toEqual([ids[1]]);
    });

    it('treats a retry of the same put as a no-op and refuses the same id with other content', async () => {
      const rec = await newRecord({
        bindings: [
          { alg: SOFT_BINDING_ALG, value: softBindingValue(newSoftBindingId()) },
          { alg: 'org.example.fingerprint.1', value: 'AQID' },
        ],
      });
      expect((await repo.put(rec)).created).toBe(true);
      // Same content, bindings in another order and duplicated: still the same record.
      const again = await repo.put({ ...rec, bindings: [...rec.bindings].reverse().concat(rec.bindings) });
      expect(again.created).toBe(false);
      expect(Buffer.from(again.record.manifestStore).equals(Buffer.from(rec.manifestStore))).toBe(true);
      expect(await repo.count()).toBe(1);
      expect(await h.rawCounts()).toEqual({ manifests: 1, bindings: 2 });

      // Other store bytes under the same id (a valid store where the backend checks stores).
      const otherStore = (await newRecord({ manifestId: rec.manifestId })).manifestStore;
      expect(Buffer.from(otherStore).equals(Buffer.from(rec.manifestStore))).toBe(false);
      const otherBytes = { ...rec, manifestStore: otherStore };
      expect(await codeOf(repo.put(otherBytes))).toBe('ERR_CONFLICT');
      const otherBindings = { ...rec, bindings: [rec.bindings[0]!] };
      expect(await codeOf(repo.put(otherBindings))).toBe('ERR_CONFLICT');
      expect(await codeOf(repo.put({ ...rec, format: 'image/png' }))).toBe('ERR_CONFLICT');
      const kept = await repo.getManifest(rec.manifestId);
      expect(Buffer.from(kept!.manifestStore).equals(Buffer.from(rec.manifestStore))).toBe(true);
      expect(await h.rawCounts()).toEqual({ manifests: 1, bindings: 2 });
    });

    it('stores all or nothing: a failure while writing bindings leaves no orphan row', async () => {
      const poison = softBindingValue(newSoftBindingId());
      await h.injectFailure(poison);
      const rec = await newRecord({
        bindings: [
          { alg: SOFT_BINDING_ALG, value: softBindingValue(newSoftBindingId()) },
          { alg: 'zz.last.binding.1', value: poison },
        ],
      });
      const err = await repo.put(rec).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProvmarkError);
      expect((err as ProvmarkError).code).toBe('ERR_REPOSITORY');
      expect(await h.rawCounts()).toEqual({ manifests: 0, bindings: 0 });
      expect(await repo.getManifest(rec.manifestId)).toBeUndefined();
      expect(await repo.findByBinding(SOFT_BINDING_ALG, rec.bindings[0]!.value)).toEqual([]);
      // The retry after the fault is gone stores it exactly once.
      await h.clearFailure();
      expect((await repo.put(rec)).created).toBe(true);
      expect((await repo.put(rec)).created).toBe(false);
      expect(await h.rawCounts()).toEqual({ manifests: 1, bindings: 2 });
    });

    it('takes 50 concurrent puts from 5 connections: 50 rows, all findable', async () => {
      const handles = [repo, ...(await Promise.all([1, 2, 3, 4].map(() => h.open())))];
      const records = await Promise.all(Array.from({ length: 50 }, () => newRecord()));
      const results = await Promise.all(records.map((r, i) => handles[i % handles.length]!.put(r)));
      expect(results.every((r) => r.created)).toBe(true);
      expect(await repo.count()).toBe(50);
      expect(await h.rawCounts()).toEqual({ manifests: 50, bindings: 50 });
      for (const r of records) {
        const b = r.bindings[0]!;
        expect(await handles[3]!.findByBinding(b.alg, b.value)).toEqual([{ manifestId: r.manifestId }]);
      }
      // Ten concurrent retries of one new record: one creates it, the rest see it.
      const one = await newRecord();
      const same = await Promise.all(
        Array.from({ length: 10 }, (_, i) => handles[i % handles.length]!.put(one)),
      );
      expect(same.filter((r) => r.created)).toHaveLength(1);
      expect(await h.rawCounts()).toEqual({ manifests: 51, bindings: 51 });
    });

    if (limits.noList)
      it(`refuses list() with ERR_UNSUPPORTED_OPERATION: ${limits.noList}`, async () => {
        await repo.put(await newRecord());
        expect(await codeOf(repo.list())).toBe('ERR_UNSUPPORTED_OPERATION');
        expect(await codeOf(repo.list({ limit: 10 }))).toBe('ERR_UNSUPPORTED_OPERATION');
      });

    it.skipIf(limits.noList)('lists manifests oldest first, page by page', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 25; i++) {
        const rec = await newRecord(i === 3 ? { bindings: [] } : i === 4 ? { format: undefined } : {});
        await repo.put(rec);
        ids.push(rec.manifestId);
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await repo.list({ limit: 10, ...(cursor === undefined ? {} : { cursor }) });
        pages++;
        for (const item of page.items) {
          seen.push(item.manifestId);
          expect(item.size).toBeGreaterThanOrEqual(64);
          expect(item.createdAt).toBeInstanceOf(Date);
        }
        cursor = page.next;
      } while (cursor !== undefined);
      expect(pages).toBe(3);
      expect(seen).toEqual(ids);
      const first = await repo.list({ limit: 5 });
      expect(first.items[3]!.bindings).toEqual([]);
      expect(first.items[4]!.format).toBeUndefined();
      expect(first.items[0]!.bindings).toHaveLength(1);
    });

    it('deletes a manifest with its bindings', async () => {
      const rec = await newRecord();
      await repo.put(rec);
      expect(await repo.delete(rec.manifestId)).toBe(true);
      expect(await repo.delete(rec.manifestId)).toBe(false);
      expect(await repo.getManifest(rec.manifestId)).toBeUndefined();
      expect(await repo.findByBinding(SOFT_BINDING_ALG, rec.bindings[0]!.value)).toEqual([]);
      expect(await h.rawCounts()).toEqual({ manifests: 0, bindings: 0 });
      expect((await repo.put(rec)).created).toBe(true);
    });

    it('rejects misuse with TypeError/RangeError naming the parameter', async () => {
      await expect(repo.put(await newRecord({ manifestId: 'not-an-id' }))).rejects.toThrow(
        /record\.manifestId/,
      );
      await expect(repo.put(await newRecord({ manifestId: 'not-an-id' }))).rejects.toBeInstanceOf(RangeError);
      await expect(repo.put(await newRecord({ manifestStore: new Uint8Array(0) }))).rejects.toThrow(
        /manifestStore/,
      );
      await expect(
        repo.put(await newRecord({ manifestStore: 'abc' as unknown as Uint8Array })),
      ).rejects.toBeInstanceOf(TypeError);
      await expect(
        repo.put(await newRecord({ bindings: [{ alg: SOFT_BINDING_ALG, value: '***' }] })),
      ).rejects.toThrow(/bindings\[0\]\.value/);
      await expect(repo.put(await newRecord({ bindings: [{ alg: '', value: 'AAAA' }] }))).rejects.toThrow(
        /bindings\[0\]\.alg/,
      );
      await expect(repo.put(await newRecord({ format: 'jpeg' }))).rejects.toThrow(/format/);
      await expect(repo.getManifest('urn:c2pa:nope')).rejects.toBeInstanceOf(RangeError);
      await expect(repo.findByBinding(SOFT_BINDING_ALG, 'AAAA', { maxResults: 0 })).rejects.toThrow(
        /maxResults/,
      );
      await expect(repo.list({ cursor: 'x' })).rejects.toThrow(/cursor/);
      expect(await repo.count()).toBe(0);
    });

    if (limits.noSchema)
      it(`has no schema of its own: ${limits.noSchema}`, async () => {
        // The database behind it has one, and this handle still works after a newer schema is written
        // there, because only that database's own opener refuses it.
        await h.setSchemaVersion(SCHEMA_VERSION + 1);
        const other = await h.open();
        expect(await other.findByBinding(SOFT_BINDING_ALG, softBindingValue(newSoftBindingId()))).toEqual([]);
        expect(await h.readSchemaVersion()).toBe(String(SCHEMA_VERSION + 1));
      });

    it.skipIf(limits.noSchema)(
      'refuses a repository whose schema is newer than this code, and leaves it untouched',
      async () => {
        await repo.put(await newRecord());
        await h.setSchemaVersion(SCHEMA_VERSION + 1);
        const err = await h.open().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ProvmarkError);
        expect((err as ProvmarkError).code).toBe('ERR_REPOSITORY_VERSION');
        expect((err as ProvmarkError).message).toMatch(new RegExp(`schema version ${SCHEMA_VERSION + 1}`));
        expect(await h.readSchemaVersion()).toBe(String(SCHEMA_VERSION + 1));
        expect(await h.rawCounts()).toEqual({ manifests: 1, bindings: 1 });
      },
    );

    it('records the schema version it created', async () => {
      expect(await h.readSchemaVersion()).toBe(String(SCHEMA_VERSION));
    });

    it('fails with ERR_REPOSITORY after close', async () => {
      const other = await h.open();
      await other.close();
      expect(await codeOf(other.findByBinding(SOFT_BINDING_ALG, 'AAAA'))).toBe('ERR_REPOSITORY');
      expect(await codeOf(other.put(await newRecord()))).toBe('ERR_REPOSITORY');
    });
  });
}
