/**
 * One name per key (issue 11): `watermarkKey` sets the watermark key in protect() and inspect();
 * a mark made with a secret key is recovered with that key and not with another or the public one.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspect, protect } from '../../src/index.js';
import { openSqliteRepository, type SqliteRepository } from '../../src/repository/index.js';
import { devSigner } from '../helpers/credentials.js';
import { photoLike } from '../helpers/photo.js';

let repo: SqliteRepository;
beforeAll(async () => {
  repo = await openSqliteRepository({
    path: join(await mkdtemp(join(tmpdir(), 'provmark-wmkey-')), 'repo.db'),
  });
});
afterAll(async () => {
  await repo?.close();
});

const KEY = 'studio-secret-7f3a';

describe('protect + inspect with a non-default watermark key', () => {
  it('recovers with the same key, not with another key or the public one', async () => {
    const { signer } = await devSigner();
    const original = await photoLike(960, 640, 41);
    const p = await protect(original, { signer, repository: repo, watermarkKey: KEY });
    const stripped = new Uint8Array(await sharp(p.bytes).resize(800).jpeg({ quality: 85 }).toBuffer());

    const right = await inspect(stripped, { repository: repo, watermarkKey: KEY, detector: false });
    expect(right.verdict).toBe('recovered');
    expect(right.softBindingId).toBe(p.softBindingId);
    expect(right.manifestId).toBe(p.manifestId);

    const wrong = await inspect(stripped, {
      repository: repo,
      watermarkKey: 'studio-secret-7f3b',
      detector: false,
    });
    expect(wrong.verdict).toBe('no-provenance');
    expect(wrong.watermark?.found).toBe(false);
    expect(wrong.recovered).toBeUndefined();

    const publicKey = await inspect(stripped, { repository: repo, detector: false });
    expect(publicKey.verdict).toBe('no-provenance');
    expect(publicKey.watermark?.found).toBe(false);

    // The embedded manifest and the mark made with the key agree when inspect has the key.
    const intact = await inspect(p.bytes, { repository: repo, watermarkKey: KEY, detector: false });
    expect(intact.verdict).toBe('untrusted-signer');
    expect(intact.watermark?.found).toBe(true);
  });

  it('the deprecated watermark.key is the same key (same id and label); two different keys are refused', async () => {
    const { signer } = await devSigner();
    const original = await photoLike(640, 480, 42);
    const a = await protect(original, { signer, repository: repo, watermarkKey: KEY });
    const b = await protect(original, { signer, repository: repo, watermark: { key: KEY } });
    expect(b.softBindingId).toBe(a.softBindingId);
    expect(b.manifestId).toBe(a.manifestId);
    await expect(
      protect(original, { signer, repository: repo, watermarkKey: KEY, watermark: { key: 'other' } }),
    ).rejects.toThrow(RangeError);
  });
});
