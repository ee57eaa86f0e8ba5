/**
 * 50 protect() calls at once into one repository (SQLite file, and PostgreSQL when
 * PROVMARK_TEST_PG_URL is set): 50 rows, each recoverable through its watermark.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { inspect, protect, type ManifestRepository } from '../../src/index.js';
import { openPostgresRepository, openSqliteRepository } from '../../src/repository/index.js';
import { devSigner } from '../helpers/credentials.js';
import { photoLike } from '../helpers/photo.js';

const PG = process.env.PROVMARK_TEST_PG_URL;
const N = 50;

async function run(open: () => Promise<ManifestRepository & { count(): Promise<number> }>): Promise<void> {
  const { creds, signer } = await devSigner();
  const repo = await open();
  try {
    const before = await repo.count();
    const inputs = await Promise.all(Array.from({ length: N }, (_, i) => photoLike(512, 384, 1000 + i)));
    const results = await Promise.all(inputs.map((input) => protect(input, { signer, repository: repo })));
    expect(new Set(results.map((r) => r.softBindingId)).size).toBe(N);
    expect(await repo.count()).toBe(before + N);
    for (const r of results) {
      // Metadata stripped by a plain re-encode: only the watermark can lead back.
      const stripped = new Uint8Array(await sharp(r.bytes).jpeg({ quality: 90 }).toBuffer());
      const report = await inspect(stripped, {
        trust: { anchors: [creds.caCertPem] },
        repository: repo,
        detector: false,
      });
      expect(report.verdict, r.softBindingId).toBe('recovered');
      expect(report.manifestId).toBe(r.manifestId);
    }
  } finally {
    await repo.close();
  }
}

describe('50 concurrent protect() calls', () => {
  it('into one SQLite file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'provmark-concurrent-'));
    await run(() => openSqliteRepository({ path: join(dir, 'repo.db') }));
  }, 240_000);

  it.skipIf(!PG)(
    'into PostgreSQL',
    async () => {
      const schema = `protect_${process.pid}_${Date.now()}`;
      await run(() => openPostgresRepository({ connectionString: PG!, schema }));
    },
    240_000,
  );
});
