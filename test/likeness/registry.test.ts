/** The likeness registry on SQLite (and PostgreSQL when PROVMARK_TEST_PG_URL is set), with synthetic descriptors. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DescriptorIndex,
  MATCH_DISTANCE,
  openLikenessRegistry,
  parseAuthorizedSigner,
  type LikenessRegistry,
} from '../../src/likeness/index.js';
import { FACE_MODEL_ID } from '../../src/likeness/faces.js';
import { openPostgresRepository, openSqliteRepository } from '../../src/repository/index.js';
import { generateDevCredentials } from '../../src/sign/index.js';

function descriptor(seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  return Float32Array.from({ length: 128 }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) / 2 ** 32 - 0.5) * 0.25;
  });
}

function contract(name: string, open: () => Promise<LikenessRegistry>) {
  describe(name, () => {
    let registry: LikenessRegistry;
    afterAll(async () => registry?.close());

    it('changes its revision on every enrolment and removal, not on reads or a removal of nobody', async () => {
      registry ??= await open();
      const r0 = await registry.revision();
      await registry.enroll({
        person: 'rev-1',
        model: FACE_MODEL_ID,
        descriptors: [descriptor(11)],
        signers: [],
      });
      const r1 = await registry.revision();
      expect(r1).not.toBe(r0);
      await registry.list();
      await registry.descriptors();
      expect(await registry.revision()).toBe(r1);
      expect(await registry.remove('nobody')).toBe(false);
      expect(await registry.revision()).toBe(r1);
      await registry.remove('rev-1');
      const r2 = await registry.revision();
      expect(new Set([r0, r1, r2]).size).toBe(3);
    });

    it('enrols, lists without descriptors, adds more, and remove deletes every descriptor', async () => {
      registry = await open();
      const creds = await generateDevCredentials({ alg: 'ed25519' });
      const signer = parseAuthorizedSigner(creds.chainPem);
      const p = await registry.enroll({
        person: 'amb-1',
        name: 'Ambassador One',
        model: FACE_MODEL_ID,
        descriptors: [descriptor(1), descriptor(2)],
        signers: [signer],
      });
      expect(p).toMatchObject({ person: 'amb-1', name: 'Ambassador One', descriptors: 2 });
      expect(p.signers).toHaveLength(1);
      expect(p.signers[0]!.spkiSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(p.signers[0]!.subject).toContain('CN=provmark development signer');
      // A second enrolment adds descriptors, keeps the name, and does not duplicate the signer.
      const again = await registry.enroll({
        person: 'amb-1',
        model: FACE_MODEL_ID,
        descriptors: [descriptor(3)],
        signers: [signer],
      });
      expect(again).toMatchObject({ name: 'Ambassador One', descriptors: 3 });
      expect(again.signers).toHaveLength(1);
      await registry.enroll({
        person: 'amb-2',
        model: FACE_MODEL_ID,
        descriptors: [descriptor(9)],
        signers: [],
      });
      const list = await registry.list();
      expect(list.map((x) => x.person)).toEqual(['amb-1', 'amb-2']);
      expect(JSON.stringify(list)).not.toMatch(/descriptor"\s*:\s*[[{]/);
      const stored = await registry.descriptors();
      expect(stored).toHaveLength(4);
      expect(Array.from(stored[0]!.descriptor)).toEqual(Array.from(descriptor(1)));

      expect(await registry.remove('amb-1')).toBe(true);
      expect(await registry.remove('amb-1')).toBe(false);
      expect(await registry.get('amb-1')).toBeUndefined();
      expect((await registry.descriptors()).map((d) => d.person)).toEqual(['amb-2']);
    });

    it('refuses bad ids and descriptors with TypeError/RangeError', async () => {
      await expect(
        registry.enroll({ person: '../x', model: FACE_MODEL_ID, descriptors: [], signers: [] }),
      ).rejects.toThrow(RangeError);
      await expect(
        registry.enroll({
          person: 'ok',
          model: FACE_MODEL_ID,
          descriptors: [new Float32Array(3)],
          signers: [],
        }),
      ).rejects.toThrow(/128 finite float32 values for descriptors\[0\]/);
      await expect(registry.remove('')).rejects.toThrow(RangeError);
    });
  });
}

contract('likeness registry on SQLite', async () =>
  openLikenessRegistry(`sqlite:${join(await mkdtemp(join(tmpdir(), 'provmark-likeness-')), 'r.db')}`),
);

const pg = process.env.PROVMARK_TEST_PG_URL;
describe.skipIf(!pg)('PostgreSQL', () => {
  contract('likeness registry on PostgreSQL', async () => {
    const schema = `likeness_${process.pid}_${Date.now() % 100000}`;
    return openLikenessRegistry(await openPostgresRepository({ connectionString: pg!, schema }));
  });
});

describe('schema', () => {
  it('the descriptor rows are gone from the file after remove (no soft delete)', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'provmark-likeness-')), 'r.db');
    const repo = await openSqliteRepository({ path });
    const registry = await openLikenessRegistry(repo);
    await registry.enroll({ person: 'p', model: FACE_MODEL_ID, descriptors: [descriptor(5)], signers: [] });
    await registry.remove('p');
    await repo.close();
    const db = new BetterSqlite3(path, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM provmark_likeness_descriptors').get()).toEqual({ n: 0 });
    db.close();
  });
  it('refuses an http resolver as the registry', async () => {
    await expect(openLikenessRegistry('https://resolver.example')).rejects.toThrow(RangeError);
  });
});

describe('DescriptorIndex', () => {
  it('finds the nearest descriptor of each person within the threshold, nearest first', () => {
    const a = descriptor(1);
    const near = Float32Array.from(a, (v, i) => v + (i % 2 ? 0.01 : -0.01));
    const index = new DescriptorIndex([
      { person: 'a', descriptor: a },
      { person: 'b', descriptor: descriptor(2) },
      { person: 'a', descriptor: descriptor(7) },
    ]);
    const hits = index.search(near);
    expect(hits.map((h) => h.person)).toEqual(['a']);
    expect(hits[0]!.distance).toBeCloseTo(Math.sqrt(128 * 0.0001), 5);
    expect(index.search(descriptor(99))).toEqual([]);
    expect(index.search(descriptor(2), MATCH_DISTANCE)[0]).toEqual({ person: 'b', distance: 0 });
    expect(() => index.search(new Float32Array(4))).toThrow(RangeError);
  });

  it('gives the same people and distances as comparing every descriptor in full (column order, early exits)', () => {
    const entries = Array.from({ length: 600 }, (_, i) => ({
      person: `p${i % 150}`,
      // Uneven column scales, so the variance ordering really permutes the columns.
      descriptor: Float32Array.from(descriptor(i + 1), (v, k) => v * (k % 7 === 0 ? 3 : 0.5)),
    }));
    const index = new DescriptorIndex(entries);
    for (let q = 0; q < 40; q++) {
      const query = Float32Array.from(entries[q * 13]!.descriptor, (v, k) => v + ((q + k) % 5) * 0.004);
      for (const max of [0.05, 0.3, MATCH_DISTANCE, 0.9]) {
        const expected = new Map<string, number>();
        for (const e of entries) {
          let s = 0;
          for (let k = 0; k < 128; k++) s += (query[k]! - e.descriptor[k]!) ** 2;
          const d = Math.sqrt(s);
          if (d <= max && d < (expected.get(e.person) ?? Infinity)) expected.set(e.person, d);
        }
        const got = index.search(query, max);
        expect(got.map((g) => g.person).sort()).toEqual([...expected.keys()].sort());
        for (const g of got) expect(g.distance).toBeCloseTo(expected.get(g.person)!, 4);
      }
    }
  });
});
