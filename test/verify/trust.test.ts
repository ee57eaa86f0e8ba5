import { createServer } from 'node:http';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ProvmarkError } from '../../src/errors.js';
import { sign } from '../../src/sign/index.js';
import { fetchTrustLists, verify } from '../../src/verify/index.js';
import { devSigner } from '../helpers/credentials.js';
import { makeImage } from '../helpers/media.js';

describe('trust configuration', () => {
  it('trust fetch downloads the lists over HTTP into the cache, and `official` uses them', async () => {
    const { creds, signer } = await devSigner();
    // A local server stands in for the published lists: our dev CA plays the role of a listed root.
    const server = createServer((req, res) => {
      if (req.url === '/C2PA-TRUST-LIST.pem') res.end(`Subject: provmark test\n${creds.caCertPem}`);
      else if (req.url === '/C2PA-TSA-TRUST-LIST.pem') res.end(creds.caCertPem);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const cacheDir = await mkdtemp(join(tmpdir(), 'provmark-trust-'));
      const r = await fetchTrustLists({
        cacheDir,
        urls: { trustList: `${base}/C2PA-TRUST-LIST.pem`, tsaTrustList: `${base}/C2PA-TSA-TRUST-LIST.pem` },
      });
      expect(r.certificates).toBe(2);
      expect(await readFile(join(cacheDir, 'C2PA-TRUST-LIST.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
      const out = await sign(await makeImage('jpeg'), { signer });
      expect((await verify(out.bytes, { trust: { official: true, cacheDir } })).state).toBe('trusted');
      await expect(
        fetchTrustLists({ cacheDir, urls: { trustList: `${base}/missing.pem` } }),
      ).rejects.toMatchObject({ code: 'ERR_NETWORK' });
    } finally {
      server.close();
    }
  });

  it('official without a cache, a non-PEM anchor file and a bad EKU are clear errors', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'provmark-trust-empty-'));
    const img = await makeImage('jpeg');
    const err = await verify(img, { trust: { official: true, cacheDir: empty } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvmarkError);
    expect((err as ProvmarkError).code).toBe('ERR_TRUST_CONFIG');
    expect((err as ProvmarkError).hint).toContain('provmark trust fetch');
    await expect(verify(img, { trust: { anchors: [join(empty, 'nope.pem')] } })).rejects.toMatchObject({
      code: 'ERR_TRUST_CONFIG',
    });
    await expect(verify(img, { trust: { ekus: ['not-an-oid'] } })).rejects.toThrow(RangeError);
  });
});
