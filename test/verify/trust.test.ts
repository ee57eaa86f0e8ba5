import { createServer } from 'node:http';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ProvmarkError } from '../../src/errors.js';
import { sign } from '../../src/sign/index.js';
import { engineContextJson } from '../../src/c2pa/context.js';
import { fetchTrustLists, OFFICIAL_SIGNER_EKUS, resolveTrust, verify } from '../../src/verify/index.js';
import { mintSigner } from '../helpers/mint.js';
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

  it('official: the trust list as anchors, the TSA list as time-stamp anchors; the official EKU list by default', async () => {
    const { creds } = await devSigner();
    const other = await mintSigner({ ekus: ['1.3.6.1.5.5.7.3.8'] });
    const cacheDir = await mkdtemp(join(tmpdir(), 'provmark-trust-official-'));
    await writeFile(join(cacheDir, 'C2PA-TRUST-LIST.pem'), creds.caCertPem);
    await writeFile(join(cacheDir, 'C2PA-TSA-TRUST-LIST.pem'), other.caCertPem);
    const resolved = await resolveTrust({ official: true, cacheDir });
    expect(resolved.anchors).toBe(creds.caCertPem);
    expect(resolved.tsaAnchors).toBe(other.caCertPem);
    expect(resolved.ekuConfig?.split('\n')).toEqual([...OFFICIAL_SIGNER_EKUS]);
    // The engine has one anchor list: both go into it.
    const context = JSON.parse(engineContextJson({ trust: resolved })) as { trust: Record<string, string> };
    expect(context.trust.trust_anchors).toContain(creds.caCertPem.trim());
    expect(context.trust.trust_anchors).toContain(other.caCertPem.trim());
    expect(context.trust.trust_config).toContain('1.3.6.1.4.1.311.76.59.1.9');
    // No options at all: still the official EKU list.
    expect((await resolveTrust(undefined)).ekuConfig).toBe(OFFICIAL_SIGNER_EKUS.join('\n'));
    expect((await resolveTrust({ ekus: ['1.3.6.1.5.5.7.3.4'] })).ekuConfig).toBe('1.3.6.1.5.5.7.3.4');
    await expect(resolveTrust({ ekus: [] })).rejects.toThrow(RangeError);
  });
});
