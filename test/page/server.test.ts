/** The page's server routes (src/server/page.ts), through Fastify's inject: no browser needed. */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../src/index.js';
import { openSqliteRepository, type SqliteRepository } from '../../src/repository/index.js';
import { createServer, startServer } from '../../src/server/index.js';
import { PAGE_CSP } from '../../src/server/page.js';
import { devSigner } from '../helpers/credentials.js';
import { photoLike } from '../helpers/photo.js';

let repo: SqliteRepository;
let app: FastifyInstance;
let caPem: string;

beforeAll(async () => {
  repo = await openSqliteRepository({ path: ':memory:' });
  caPem = (await devSigner()).creds.caCertPem;
  app = createServer({
    repository: repo,
    logLevel: 'silent',
    page: { trust: { anchors: [caPem] }, inspectBodyLimit: 256 * 1024, inspectPerMinute: 5, detector: false },
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await repo?.close();
});

describe('verify page routes', () => {
  it('is off unless asked for', async () => {
    const plain = createServer({ repository: repo, logLevel: 'silent' });
    expect((await plain.inject({ url: '/' })).statusCode).toBe(404);
    expect((await plain.inject({ method: 'POST', url: '/inspect' })).statusCode).toBe(404);
    await plain.close();
  });

  it('serves the page and its assets under a strict same-origin CSP with no inline script', async () => {
    expect(PAGE_CSP).not.toContain('unsafe-inline');
    expect(PAGE_CSP).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(PAGE_CSP).toContain("default-src 'none'");
    const html = await app.inject({ url: '/' });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.headers['content-security-policy']).toBe(PAGE_CSP);
    // Every script is an external file of this origin; no inline handlers, no absolute URLs.
    const scripts = [...html.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/src="\/page\//);
      expect(body!.trim()).toBe('');
    }
    expect(html.body).not.toMatch(/\son[a-z]+=/i);
    expect(html.body).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    for (const [name, type] of [
      ['main.js', /^text\/javascript/],
      ['worker.js', /^text\/javascript/],
      ['style.css', /^text\/css/],
    ] as const) {
      const r = await app.inject({ url: `/page/${name}` });
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toMatch(type);
      expect(r.headers['content-security-policy']).toBe(PAGE_CSP);
      expect(r.body).not.toMatch(/https?:\/\/(?!cv\.iptc\.org|www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\//i);
    }
    expect((await app.inject({ url: '/page/../package.json' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/page/index.html' })).statusCode).toBe(404);
  });

  it('serves the installed engine build as application/wasm', async () => {
    const r = await app.inject({ url: '/page/c2pa.wasm' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/wasm');
    const installed = readFileSync(
      createRequire(import.meta.url).resolve('@contentauth/c2pa-wasm/c2pa.wasm'),
    );
    expect(r.rawPayload.equals(installed)).toBe(true);
    const zipped = await app.inject({ url: '/page/c2pa.wasm', headers: { 'accept-encoding': 'gzip, br' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.rawPayload.length).toBeLessThan(installed.length / 2);
    expect(gunzipSync(zipped.rawPayload).equals(installed)).toBe(true);
  });

  it('offers the server trust configuration to the page', async () => {
    const r = await app.inject({ url: '/page/trust' });
    const body = r.json() as { trust: { anchors?: string; ekuConfig?: string }; description: string };
    expect(body.trust.anchors).toContain(caPem.trim());
    expect(body.trust.ekuConfig).toContain('1.3.6.1.4.1.311.76.59.1.9');
    expect(body.description).toContain('the certificate configured on this server');
  });

  it('a trust configuration that cannot be read fails at start-up with its code', async () => {
    const bad = createServer({
      repository: repo,
      logLevel: 'silent',
      page: { trust: { anchors: ['/nonexistent/anchors.pem'] } },
    });
    await expect(bad.ready()).rejects.toMatchObject({ code: 'ERR_TRUST_CONFIG' });
  });
});

describe('POST /inspect', () => {
  it('returns the inspect() report of the upload with the server trust, and stores nothing', async () => {
    const { signer } = await devSigner();
    const signed = await sign(await photoLike(320, 240, 4), { signer, manifest: { title: 'Uploaded' } });
    const before = (await repo.list()).items.length;
    const r = await app.inject({
      method: 'POST',
      url: '/inspect',
      headers: { 'content-type': 'image/jpeg' },
      payload: Buffer.from(signed.bytes),
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    const report = r.json() as { verdict: string; manifestId: string };
    expect(report.verdict).toBe('verified');
    expect(report.manifestId).toBe(signed.manifestId);
    expect((await repo.list()).items.length).toBe(before);
  });

  it('refuses a non-file body, an empty one, and one over the upload limit', async () => {
    const json = await app.inject({ method: 'POST', url: '/inspect', payload: { a: 1 } });
    expect([json.statusCode, json.json().code]).toEqual([415, 'ERR_UNSUPPORTED_MEDIA_TYPE']);
    const empty = await app.inject({
      method: 'POST',
      url: '/inspect',
      headers: { 'content-type': 'application/octet-stream' },
      payload: Buffer.alloc(0),
    });
    expect(empty.statusCode).toBe(400);
    const big = await app.inject({
      method: 'POST',
      url: '/inspect',
      headers: { 'content-type': 'application/octet-stream' },
      payload: Buffer.alloc(300 * 1024, 1),
    });
    expect([big.statusCode, big.json().code]).toEqual([413, 'ERR_PAYLOAD_TOO_LARGE']);
  });

  it('is rate limited per client on its own, tighter than the API', async () => {
    const limited = createServer({
      repository: repo,
      logLevel: 'silent',
      page: { inspectPerMinute: 2, detector: false },
    });
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await limited.inject({
        method: 'POST',
        url: '/inspect',
        headers: { 'content-type': 'application/octet-stream' },
        payload: Buffer.from('not media'),
      });
      codes.push(r.statusCode);
    }
    expect(codes).toEqual([200, 200, 429]);
    // The page itself is not held to the upload limit.
    expect((await limited.inject({ url: '/' })).statusCode).toBe(200);
    await limited.close();
  });

  it('when busy answers 503 with Retry-After before reading any of the body', async () => {
    const server = await startServer({
      repository: repo,
      port: 0,
      logLevel: 'silent',
      rateLimit: false,
      page: { maxConcurrentInspections: 1, detector: false },
    });
    // The first upload holds the only slot: it announces 1 MB and sends a few bytes of it.
    const open: ClientRequest[] = [];
    const post = (length: number) => {
      const req = httpRequest(`${server.url}/inspect`, {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/octet-stream', 'content-length': length },
      });
      req.on('error', () => undefined);
      open.push(req);
      return req;
    };
    try {
      post(1_000_000).write(Buffer.alloc(1000, 1));
      await new Promise((r) => setTimeout(r, 200));
      // Announce 10 MB and send none of it: the answer must not wait for the body.
      const answer = await new Promise<{ status: number; retryAfter?: string }>((res, rej) => {
        const req = post(10_000_000);
        const timer = setTimeout(
          () => rej(new Error('no answer within 3 s: the server waited for the body')),
          3000,
        );
        req.on('response', (r) => {
          clearTimeout(timer);
          r.resume();
          res({ status: r.statusCode ?? 0, retryAfter: r.headers['retry-after'] });
        });
        req.flushHeaders();
      });
      expect(answer).toEqual({ status: 503, retryAfter: '2' });
    } finally {
      for (const req of open) req.destroy();
      await server.close();
    }
  });
});
