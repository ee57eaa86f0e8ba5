/**
 * The "done when", on the developer face set (../shared/fixtures/faces; skipped when absent):
 * enrol a person with an authorised signer, protect an ad with that signer -> authorized; the same ad
 * stripped of credentials, re-signed by another key, or the face pasted into an unsigned ad ->
 * unauthorized; someone else -> no-registered-person.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkLikeness,
  enrollLikeness,
  openLikenessRegistry,
  type LikenessRegistry,
} from '../../src/likeness/index.js';
import { openSqliteRepository, type SqliteRepository } from '../../src/repository/index.js';
import { createPemSigner, generateDevCredentials, protect, sign } from '../../src/sign/index.js';
import { bannerAd } from './ad.js';

const faces = resolve(__dirname, '../../../shared/fixtures/faces');
const present = existsSync(resolve(faces, 'sheldon/sheldon1.png'));
const chip = (name: string) =>
  new Uint8Array(readFileSync(resolve(faces, name.replace(/[0-9]+$/, ''), `${name}.png`)));

describe.skipIf(!present)('likeness check on the face fixtures', () => {
  let repo: SqliteRepository;
  let registry: LikenessRegistry;
  let brand: Awaited<ReturnType<typeof generateDevCredentials>>;
  let other: Awaited<ReturnType<typeof generateDevCredentials>>;

  beforeAll(async () => {
    repo = await openSqliteRepository({ path: ':memory:' });
    registry = await openLikenessRegistry(repo);
    brand = await generateDevCredentials({ alg: 'ed25519' });
    other = await generateDevCredentials({ alg: 'ed25519' });
    await enrollLikeness({
      registry,
      person: 'sheldon',
      name: 'Sheldon C.',
      images: [chip('sheldon1'), chip('sheldon2'), chip('sheldon3')],
      authorizedSigners: [brand.signerCertPem],
    });
  }, 120_000);
  afterAll(async () => {
    await registry?.close();
    await repo?.close();
  });

  const trust = () => ({ anchors: [brand.caCertPem, other.caCertPem] });

  it('authorized for an ad protected by the authorised signer; unauthorized once stripped of credentials', async () => {
    const signer = await createPemSigner({ key: brand.signerKeyPem, certificate: brand.chainPem });
    const ad = await bannerAd(chip('sheldon5'));
    const p = await protect(ad, { signer, repository: repo });
    const ok = await checkLikeness(p.bytes, { registry, trust: trust(), repository: repo });
    expect(ok.decision).toBe('authorized');
    expect(ok.provenance.verdict).toBe('verified');
    expect(ok.persons.map((m) => m.person)).toEqual(['sheldon']);
    expect(ok.persons[0]!.similarity).toBeGreaterThanOrEqual(ok.persons[0]!.threshold);
    expect(ok.summary).toContain('authorised');

    // Stripped: no manifest and no repository to recover it from.
    const stripped = new Uint8Array(await sharp(p.bytes).jpeg({ quality: 85 }).toBuffer());
    const bare = await checkLikeness(stripped, { registry, trust: trust() });
    expect(bare.decision).toBe('unauthorized');
    expect(bare.provenance.verdict).toBe('no-provenance');
    // With the repository, the watermark recovers the brand's credentials.
    const back = await checkLikeness(stripped, { registry, trust: trust(), repository: repo });
    expect(back.provenance.verdict).toBe('recovered');
    expect(back.decision).toBe('authorized');
  }, 120_000);

  it('unauthorized when re-signed by another key, even a trusted one', async () => {
    const signer = await createPemSigner({ key: other.signerKeyPem, certificate: other.chainPem });
    const s = await sign(await bannerAd(chip('sheldon5')), { signer });
    const r = await checkLikeness(s.bytes, { registry, trust: trust() });
    expect(r.provenance.verdict).toBe('verified');
    expect(r.decision).toBe('unauthorized');
    expect(r.persons[0]?.authorizedSigner).toBe(false);
    expect(r.summary).toContain('not an authorised signer');
  }, 120_000);

  it('unauthorized for a signature by the authorised certificate names under an untrusted chain', async () => {
    const signer = await createPemSigner({ key: brand.signerKeyPem, certificate: brand.chainPem });
    const s = await sign(await bannerAd(chip('sheldon5')), { signer });
    const r = await checkLikeness(s.bytes, { registry, trust: { anchors: [other.caCertPem] } });
    expect(r.provenance.verdict).toBe('untrusted-signer');
    expect(r.decision).toBe('unauthorized');
  }, 120_000);

  it('unauthorized for the face pasted into an unsigned ad; no-registered-person for someone else', async () => {
    const pasted = await checkLikeness(await bannerAd(chip('sheldon4'), 260, 'BUY NOW'), {
      registry,
      trust: trust(),
    });
    const other = await checkLikeness(await bannerAd(chip('leonard1')), { registry, trust: trust() });
    expect(other.faces).toBe(1);
    expect(other.decision).toBe('no-registered-person');
    expect(other.persons).toEqual([]);
    expect(pasted.provenance.verdict).toBe('no-provenance');
    expect(pasted.decision).toBe('unauthorized');
  }, 120_000);
});
