/**
 * The signing side of likeness: `sign`/`protect` declare the registered people an ad depicts
 * (assertion org.provmark.likeness); `checkLikeness` reports declared people missing from the
 * pictures and people shown but not declared, from the file's own credentials or recovered ones.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LIKENESS_ASSERTION_LABEL,
  checkLikeness,
  enrollLikeness,
  likenessAssertion,
  openLikenessRegistry,
  parseLikenessDeclaration,
  type LikenessRegistry,
} from '../../src/likeness/index.js';
import { openSqliteRepository, type SqliteRepository } from '../../src/repository/index.js';
import { createPemSigner, generateDevCredentials, protect, sign } from '../../src/sign/index.js';
import { bannerAd } from './ad.js';

describe('likenessAssertion', () => {
  it('builds org.provmark.likeness and refuses bad declarations with the field named', () => {
    expect(likenessAssertion({ persons: ['ambassador-1'], consentRef: 'contract 7' })).toEqual({
      label: LIKENESS_ASSERTION_LABEL,
      data: { persons: ['ambassador-1'], consentRef: 'contract 7' },
    });
    expect(() => likenessAssertion({ persons: [] })).toThrow(RangeError);
    expect(() => likenessAssertion({ persons: ['a', 'a'] })).toThrow(/unique/);
    expect(() => likenessAssertion({ persons: ['bad id'] })).toThrow(/likeness\.persons\[0\]/);
    expect(() => likenessAssertion({ persons: ['a'], consentRef: 'x'.repeat(2049) })).toThrow(/consentRef/);
    expect(() => likenessAssertion(null as never)).toThrow(TypeError);
    expect(parseLikenessDeclaration({ persons: 'a' })).toBeUndefined();
    expect(parseLikenessDeclaration({ persons: ['a'] })).toEqual({ persons: ['a'] });
  });
});

const faces = resolve(__dirname, '../../../shared/fixtures/faces');
const present = existsSync(resolve(faces, 'sheldon/sheldon1.png'));
const chip = (name: string) =>
  new Uint8Array(readFileSync(resolve(faces, name.replace(/[0-9]+$/, ''), `${name}.png`)));

describe.skipIf(!present)('declared people against the faces found', () => {
  let repo: SqliteRepository;
  let registry: LikenessRegistry;
  let brand: Awaited<ReturnType<typeof generateDevCredentials>>;
  beforeAll(async () => {
    repo = await openSqliteRepository({ path: ':memory:' });
    registry = await openLikenessRegistry(repo);
    brand = await generateDevCredentials({ alg: 'ed25519' });
    for (const p of ['sheldon', 'leonard']) {
      await enrollLikeness({
        registry,
        person: p,
        images: [chip(`${p}1`), chip(`${p}2`), chip(`${p}3`)],
        authorizedSigners: [brand.signerCertPem],
      });
    }
  }, 180_000);
  afterAll(async () => {
    await registry?.close();
    await repo?.close();
  });
  const trust = () => ({ anchors: [brand.caCertPem] });

  it('a protected ad declaring the person it shows: authorized, nothing missing or undeclared; also once recovered', async () => {
    const signer = await createPemSigner({ key: brand.signerKeyPem, certificate: brand.chainPem });
    const p = await protect(await bannerAd(chip('sheldon5')), {
      signer,
      repository: repo,
      likeness: { persons: ['sheldon'], consentRef: 'contract 2025-114' },
    });
    const r = await checkLikeness(p.bytes, { registry, trust: trust(), repository: repo });
    expect(r.decision).toBe('authorized');
    expect(r.declared).toEqual({
      persons: ['sheldon'],
      consentRef: 'contract 2025-114',
      missing: [],
      undeclared: [],
      trusted: true,
    });
    expect(r.summary).toContain('declare sheldon (consent: contract 2025-114)');
    // Stripped of its manifest, the declaration comes back with the store recovered through the watermark.
    const stripped = new Uint8Array(await sharp(p.bytes).jpeg({ quality: 85 }).toBuffer());
    const back = await checkLikeness(stripped, { registry, trust: trust(), repository: repo });
    expect(back.provenance.verdict).toBe('recovered');
    expect(back.declared?.persons).toEqual(['sheldon']);
  }, 180_000);

  it('reports a declared person missing from the picture and a shown person undeclared', async () => {
    const signer = await createPemSigner({ key: brand.signerKeyPem, certificate: brand.chainPem });
    const s = await sign(await bannerAd(chip('sheldon4')), { signer, likeness: { persons: ['leonard'] } });
    const r = await checkLikeness(s.bytes, { registry, trust: trust() });
    expect(r.persons.map((m) => m.person)).toEqual(['sheldon']);
    expect(r.declared).toMatchObject({ persons: ['leonard'], missing: ['leonard'], undeclared: ['sheldon'] });
    expect(r.summary).toContain('Declared but not seen: leonard');
    expect(r.summary).toContain('Shown but not declared: sheldon');
    // No declaration: no `declared` at all.
    const plain = await sign(await bannerAd(chip('sheldon4')), { signer });
    expect((await checkLikeness(plain.bytes, { registry, trust: trust() })).declared).toBeUndefined();
  }, 180_000);
});
