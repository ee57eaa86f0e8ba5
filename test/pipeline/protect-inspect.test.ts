/**
 * The product's main job end to end: protect at capture, strip and re-encode like a platform,
 * inspect downstream from the local repository and from a resolution server over real HTTP.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openSqliteRepository,
  createHttpRepository,
  type SqliteRepository,
} from '../../src/repository/index.js';
import { createServer } from '../../src/server/index.js';
import { inspect, protect } from '../../src/index.js';
import { devSigner } from '../helpers/credentials.js';
import { photoLike } from '../helpers/photo.js';

let repo: SqliteRepository;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'provmark-pipeline-'));
  repo = await openSqliteRepository({ path: join(dir, 'repo.db') });
});
afterAll(async () => {
  await repo?.close();
});

/** What a social platform does: decode, resize to 1080 px, re-encode JPEG 80, drop all metadata. */
async function platform(bytes: Uint8Array): Promise<Uint8Array> {
  const out = await sharp(bytes).resize(1080, 1080, { fit: 'inside' }).jpeg({ quality: 80 }).toBuffer();
  return new Uint8Array(out);
}

describe('protect -> platform -> inspect', () => {
  it('recovers the manifest from the local repository after the metadata is stripped', async () => {
    const { creds, signer } = await devSigner();
    const original = await photoLike(1600, 1200, 7);
    const p = await protect(original, { signer, repository: repo, manifest: { title: 'Harbour at dawn' } });
    expect(p.softBindingId).toMatch(/^[0-9a-f]{16}$/);
    expect(p.stored).toBe('created');

    const direct = await inspect(p.bytes, {
      trust: { anchors: [creds.caCertPem] },
      repository: repo,
      detector: false,
    });
    expect(direct.verdict).toBe('verified');
    expect(direct.manifestId).toBe(p.manifestId);
    expect(direct.softBindingId).toBe(p.softBindingId);

    const shared = await platform(p.bytes);
    expect((await sharp(shared).metadata()).width).toBe(1080);
    const r = await inspect(shared, {
      trust: { anchors: [creds.caCertPem] },
      repository: repo,
      detector: false,
    });
    expect(r.verdict).toBe('recovered');
    expect(r.manifestId).toBe(p.manifestId);
    expect(r.softBindingId).toBe(p.softBindingId);
    expect(r.recovered?.state).toBe('trusted');
    expect(r.recovered?.activeManifest?.title).toBe('Harbour at dawn');
    expect(r.summary).toContain('derivative');
  });

  it('recovers through a resolution server over real HTTP', async () => {
    const { creds, signer } = await devSigner();
    const p = await protect(await photoLike(1200, 900, 8), { signer, repository: repo });
    const app = createServer({ repository: repo });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const resolver = createHttpRepository({ url: address });
      const r = await inspect(await platform(p.bytes), {
        trust: { anchors: [creds.caCertPem] },
        resolver,
        detector: false,
      });
      expect(r.verdict).toBe('recovered');
      expect(r.recovered?.source).toBe('resolver');
      expect(r.manifestId).toBe(p.manifestId);
    } finally {
      await app.close();
    }
  });

  it('pixels changed under an intact manifest -> tampered', async () => {
    const { creds, signer } = await devSigner();
    const p = await protect(await photoLike(800, 600, 9), { signer, repository: repo });
    const bytes = p.bytes.slice();
    bytes[bytes.length - 200] = bytes[bytes.length - 200]! ^ 0x20;
    const r = await inspect(bytes, {
      trust: { anchors: [creds.caCertPem] },
      repository: repo,
      detector: false,
    });
    expect(r.verdict).toBe('tampered');
    expect(r.verification.statuses.map((s) => s.code)).toContain('assertion.dataHash.mismatch');
  });

  it('an unprotected photo -> no-provenance', async () => {
    const r = await inspect(await photoLike(800, 600, 10), { repository: repo, detector: false });
    expect(r.verdict).toBe('no-provenance');
    expect(r.watermark?.found).toBe(false);
    expect(r.summary).toMatch(/No Content Credentials/);
  });

  it('retrying protect on the same input creates no duplicate', async () => {
    const { signer } = await devSigner();
    const input = await photoLike(640, 480, 11);
    const a = await protect(input, { signer, repository: repo });
    const b = await protect(input, { signer, repository: repo });
    expect(b.manifestId).toBe(a.manifestId);
    expect(b.softBindingId).toBe(a.softBindingId);
    expect(['replaced', 'unchanged']).toContain(b.stored);
    const { value } = { value: Buffer.from(a.softBindingId, 'hex').toString('base64') };
    const matches = await repo.findByBinding('org.provmark.watermark.image.1', value);
    expect(matches.map((m) => m.manifestId)).toEqual([a.manifestId]);
  });

  it('a manifest moved onto another watermarked image -> conflict', async () => {
    const { creds, signer } = await devSigner();
    const a = await protect(await photoLike(800, 600, 12), { signer, repository: repo });
    const b = await protect(await photoLike(800, 600, 13), { signer, repository: repo });
    // Re-sign b's pixels with a's manifest assertions: the manifest declares a's id, the pixels carry b's.
    const { sign } = await import('../../src/sign/index.js');
    const forged = await sign(await platform(b.bytes), {
      signer,
      manifest: {
        assertions: [
          {
            label: 'c2pa.soft-binding',
            data: {
              alg: 'org.provmark.watermark.1',
              blocks: [{ scope: {}, value: Buffer.from(a.softBindingId, 'hex').toString('base64') }],
            },
          },
        ],
      },
    });
    const r = await inspect(forged.bytes, {
      trust: { anchors: [creds.caCertPem] },
      repository: repo,
      detector: false,
    });
    expect(r.verdict).toBe('conflict');
    expect(r.watermark?.payload).toBe(b.softBindingId);
  });
});

describe('inspect falls back to the detector', () => {
  it('an unprotected image labelled as AI-generated reports the metadata hint', async () => {
    const xmp = `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
    const labelled = new Uint8Array(
      await sharp(await photoLike(640, 480, 21))
        .withXmp(xmp)
        .jpeg({ quality: 90 })
        .toBuffer(),
    );
    const r = await inspect(labelled, { repository: repo });
    expect(r.verdict).toBe('no-provenance');
    expect(r.detection?.label).toBe('likely-synthetic');
    const hint = r.detection?.evidence.find(
      (e) => e.kind === 'metadata' && /DigitalSourceType/.test(e.source),
    );
    expect(hint?.value).toContain('trainedAlgorithmicMedia');
    expect(r.summary).toContain('trainedAlgorithmicMedia');
  });
});
