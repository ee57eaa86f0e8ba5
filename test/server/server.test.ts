import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProvmarkError, UnsupportedFormatError } from '../../src/errors.js';
import { createHttpRepository } from '../../src/repository/http.js';
import { openSqliteRepository, type SqliteRepository } from '../../src/repository/sqlite.js';
import type { SoftBinding } from '../../src/repository/types.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { SOFT_BINDING_ALG, newSoftBindingId, softBindingValue } from '../../src/watermark/softbinding.js';
import { makeRecord } from '../repository/records.js';
import { signedRecord } from './stores.js';

const TOKEN = 'test-token-0123456789abcdef';
const root = mkdtempSync(join(tmpdir(), 'provmark-server-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Test extractor: an "asset" is the bytes `WM:` + 16 hex digits; anything else has no mark. */
async function fakeExtract(bytes: Uint8Array): Promise<SoftBinding[]> {
  const text = Buffer.from(bytes.subarray(0, 19)).toString('latin1');
  if (text.startsWith('BAD')) throw new UnsupportedFormatError('not an image');
  const m = /^WM:([0-9a-f]{16})$/.exec(text);
  return m ? [{ alg: SOFT_BINDING_ALG, value: softBindingValue(m[1]!) }] : [];
}

/** POST a large body with node:http, which reads an early answer even when the upload is cut short. */
function postLarge(
  url: string,
  path: string,
  body: Buffer,
  contentType: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType, 'content-length': body.length, ...headers },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('resolution API server over real HTTP', () => {
  let repo: SqliteRepository;
  let server: RunningServer;

  beforeAll(async () => {
    repo = await openSqliteRepository({ path: join(root, 'server.db') });
    server = await startServer({
      repository: repo,
      port: 0,
      tokens: [TOKEN],
      bodyLimit: 1024 * 1024,
      rateLimit: false,
      logLevel: 'silent',
      extractBindings: fakeExtract,
    });
  });
  afterAll(async () => {
    await server.close();
    await repo.close();
  });

  const write = (body: unknown, token = TOKEN) =>
    fetch(`${server.url}/manifests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const wire = (r: ReturnType<typeof makeRecord>) => ({
    manifestId: r.manifestId,
    manifestStore: Buffer.from(r.manifestStore).toString('base64'),
    bindings: r.bindings,
    format: r.format,
  });

  it('answers /healthz and the supported algorithms', async () => {
    const h = await fetch(`${server.url}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.json()).toEqual({ status: 'ok' });
    const s = await fetch(`${server.url}/services/supportedAlgorithms`);
    expect(await s.json()).toEqual({
      watermarks: [
        { alg: 'org.provmark.watermark.image.1' },
        { alg: 'org.provmark.watermark.video.1' },
        { alg: 'org.provmark.watermark.video.2' },
        { alg: 'org.provmark.watermark.audio.1' },
        { alg: 'org.provmark.watermark.audio.2' },
        { alg: SOFT_BINDING_ALG },
      ],
      fingerprints: [],
    });
  });

  it('refuses an unauthenticated or wrongly authenticated write with 401', async () => {
    const rec = makeRecord();
    const none = await write(wire(rec), '');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await none.json()) as { code: string }).code).toBe('ERR_UNAUTHORIZED');
    const wrong = await write(wire(rec), 'not-the-token-0123456789');
    expect(wrong.status).toBe(401);
    const del = await fetch(`${server.url}/manifests/${encodeURIComponent(rec.manifestId)}`, {
      method: 'DELETE',
    });
    expect(del.status).toBe(401);
    expect(await repo.getManifest(rec.manifestId)).toBeUndefined();
  });

  it('registers, resolves by binding (GET and POST) and serves the store as application/c2pa', async () => {
    const rec = await signedRecord();
    const created = await write(wire(rec));
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ manifestId: rec.manifestId, created: true });
    const again = await write(wire(rec));
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ created: false });
    const other = await signedRecord(rec.manifestId); // another valid store under the same id
    const conflict = await write({
      ...wire(rec),
      manifestStore: Buffer.from(other.manifestStore).toString('base64'),
    });
    expect(conflict.status).toBe(409);

    const b = rec.bindings[0]!;
    const q = new URLSearchParams({ alg: b.alg, value: b.value });
    const get = await fetch(`${server.url}/matches/byBinding?${q.toString()}`);
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ matches: [{ manifestId: rec.manifestId }] });
    // A client that forgot to percent-encode "+" sends a space; it still resolves.
    const sloppy = await fetch(
      `${server.url}/matches/byBinding?alg=${b.alg}&value=${b.value.replace(/=/g, '%3D')}`,
    );
    expect(await sloppy.json()).toEqual({ matches: [{ manifestId: rec.manifestId }] });
    const post = await fetch(`${server.url}/matches/byBinding?maxResults=5`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(b),
    });
    expect(await post.json()).toEqual({ matches: [{ manifestId: rec.manifestId }] });
    const miss = await fetch(
      `${server.url}/matches/byBinding?alg=${b.alg}&value=${encodeURIComponent(softBindingValue(newSoftBindingId()))}`,
    );
    expect(await miss.json()).toEqual({ matches: [] });

    const m = await fetch(`${server.url}/manifests/${encodeURIComponent(rec.manifestId)}`);
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toBe('application/c2pa');
    expect(m.headers.get('last-modified')).toBeTruthy();
    expect(Buffer.from(await m.arrayBuffer()).equals(Buffer.from(rec.manifestStore))).toBe(true);
    const raw = await fetch(`${server.url}/manifests/${rec.manifestId}?returnActiveManifest=true`);
    expect(raw.status).toBe(200);

    const del = await fetch(`${server.url}/manifests/${encodeURIComponent(rec.manifestId)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(del.status).toBe(204);
    const gone = await fetch(`${server.url}/manifests/${encodeURIComponent(rec.manifestId)}`);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { code: string }).code).toBe('ERR_NOT_FOUND');
  });

  it('answers malformed input with 400 JSON', async () => {
    const cases = [
      '/manifests/not-a-manifest-id',
      '/manifests/urn:c2pa:1234',
      `/manifests/${encodeURIComponent('urn:c2pa:00000000-0000-4000-8000-000000000000')}?returnActiveManifest=maybe`,
      `/matches/byBinding?alg=${SOFT_BINDING_ALG}`,
      `/matches/byBinding?value=AAAAAAAAAAA%3D`,
      `/matches/byBinding?alg=${SOFT_BINDING_ALG}&value=***`,
      `/matches/byBinding?alg=${SOFT_BINDING_ALG}&value=AAAA`,
      `/matches/byBinding?alg=${SOFT_BINDING_ALG}&value=AAAAAAAAAAA%3D&maxResults=0`,
      `/matches/byBinding?alg=${SOFT_BINDING_ALG}&value=AAAAAAAAAAA%3D&maxResults=ten`,
      `/matches/byBinding?alg=${SOFT_BINDING_ALG}&alg=x&value=AAAAAAAAAAA%3D`,
      `/matches/byBinding?alg=com.example.unknown.1&value=AAAAAAAAAAA%3D`,
    ];
    for (const path of cases) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as { statusCode: number; code: string; message: string };
      expect(body.statusCode).toBe(400);
      expect(body.code, path).toMatch(/^ERR_/);
      expect(body.message.length).toBeGreaterThan(5);
    }
    const badWrite = await write({ manifestId: 'nope', manifestStore: 'AAAA', bindings: [] });
    expect(badWrite.status).toBe(400);
    expect(((await badWrite.json()) as { message: string }).message).toMatch(/manifestId/);
    const badJson = await fetch(`${server.url}/manifests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: '{"manifestId": ',
    });
    expect(badJson.status).toBe(400);
  });

  it('registers only a manifest store the engine validates, under its own manifest id (400 otherwise)', async () => {
    const rec = await signedRecord();
    const expect400 = async (body: unknown, message: RegExp) => {
      const res = await write(body);
      expect(res.status).toBe(400);
      const json = (await res.json()) as { code: string; message: string };
      expect(json.code).toBe('ERR_INVALID_MANIFEST');
      expect(json.message).toMatch(message);
    };
    // Any bytes used to be stored: base64 of "hello world!" got 201.
    await expect400(
      { ...wire(rec), manifestStore: Buffer.from('hello world!').toString('base64') },
      /not a C2PA manifest store/,
    );
    // A valid store registered under an id that is not its own.
    const other = `urn:c2pa:${'00000000-0000-4000-8000-000000000000'}`;
    await expect400({ ...wire(rec), manifestId: other }, /not the store's active manifest/);
    // A store whose signed content was altered after signing (the claim's format field).
    const claim = Buffer.from(rec.manifestStore);
    const at = claim.indexOf(Buffer.from('image/jpeg'));
    expect(at).toBeGreaterThan(0);
    claim[at + 6] = 'J'.charCodeAt(0); // image/Jpeg
    await expect400({ ...wire(rec), manifestStore: claim.toString('base64') }, /does not validate/);
    for (const id of [rec.manifestId, other]) expect(await repo.getManifest(id)).toBeUndefined();
    const ok = await write(wire(rec));
    expect(ok.status).toBe(201);
  });

  it('answers a body 10 MB over the limit with 413 and stays up', async () => {
    const big = Buffer.alloc(1024 * 1024 + 10 * 1000 * 1000, 1);
    const content = await postLarge(server.url, '/matches/byContent', big, 'image/jpeg');
    expect(content.status).toBe(413);
    expect(JSON.parse(content.body)).toMatchObject({ statusCode: 413, code: 'ERR_PAYLOAD_TOO_LARGE' });
    const json = await postLarge(server.url, '/manifests', big, 'application/json', {
      authorization: `Bearer ${TOKEN}`,
    });
    expect(json.status).toBe(413);
    // Without a token the write is refused before its body is read.
    expect((await postLarge(server.url, '/manifests', big, 'application/json')).status).toBe(401);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('matches uploaded content through the extractor', async () => {
    const rec = makeRecord();
    await repo.put(rec);
    const id = Buffer.from(rec.bindings[0]!.value, 'base64').toString('hex');
    const upload = (body: Buffer | string, type: string, query = '') =>
      fetch(`${server.url}/matches/byContent${query}`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: typeof body === 'string' ? body : new Uint8Array(body),
      });
    const hit = await upload(Buffer.from(`WM:${id}`), 'image/png');
    expect(hit.status).toBe(200);
    expect(await hit.json()).toEqual({ matches: [{ manifestId: rec.manifestId }] });
    expect(await (await upload(Buffer.from('no mark here'), 'image/jpeg')).json()).toEqual({ matches: [] });
    // A hint adds its own candidates.
    const hinted = await upload(
      Buffer.from('no mark here'),
      'image/jpeg',
      `?hintAlg=${SOFT_BINDING_ALG}&hintValue=${encodeURIComponent(rec.bindings[0]!.value)}`,
    );
    expect(await hinted.json()).toEqual({ matches: [{ manifestId: rec.manifestId }] });
    expect((await upload('some text', 'text/plain')).status).toBe(415);
    expect((await upload(Buffer.from('BAD bytes'), 'image/jpeg')).status).toBe(415);
    expect((await upload(Buffer.alloc(0), 'image/jpeg')).status).toBe(400);
  });

  it('works as a remote repository through the HTTP client', async () => {
    const remote = createHttpRepository({ url: server.url, token: TOKEN });
    const rec = await signedRecord();
    expect((await remote.put(rec)).created).toBe(true);
    expect((await remote.put(rec)).created).toBe(false);
    const b = rec.bindings[0]!;
    expect(await remote.findByBinding(b.alg, b.value)).toEqual([{ manifestId: rec.manifestId }]);
    const got = await remote.getManifest(rec.manifestId);
    expect(Buffer.from(got!.manifestStore).equals(Buffer.from(rec.manifestStore))).toBe(true);
    expect(got!.createdAt).toBeInstanceOf(Date);
    const id = Buffer.from(b.value, 'base64').toString('hex');
    expect(await remote.findByContent(Buffer.from(`WM:${id}`), { contentType: 'image/png' })).toEqual([
      { manifestId: rec.manifestId },
    ]);
    expect(await remote.delete(rec.manifestId)).toBe(true);
    expect(await remote.getManifest(rec.manifestId)).toBeUndefined();

    const readOnly = createHttpRepository({ url: `${server.url}/` });
    const err = await readOnly.put(makeRecord()).catch((e: unknown) => e);
    expect((err as ProvmarkError).code).toBe('ERR_REPOSITORY');
    const wrong = createHttpRepository({ url: server.url, token: 'wrong-token-0123456789' });
    const denied = await wrong.put(makeRecord()).catch((e: unknown) => e);
    expect((denied as ProvmarkError).code).toBe('ERR_REPOSITORY');
    expect((denied as ProvmarkError).message).toMatch(/401/);
    const conflict = await remote
      .put(rec)
      .then(() => remote.put({ ...rec, format: 'image/png' }))
      .catch((e: unknown) => e);
    expect((conflict as ProvmarkError).code).toBe('ERR_CONFLICT');
    const down = createHttpRepository({ url: 'http://127.0.0.1:1', timeoutMs: 2000 });
    expect(((await down.findByBinding(b.alg, b.value).catch((e: unknown) => e)) as ProvmarkError).code).toBe(
      'ERR_NETWORK',
    );
  });
});

describe('server policies', () => {
  let repo: SqliteRepository;
  beforeAll(async () => {
    repo = await openSqliteRepository({ path: join(root, 'policies.db') });
  });
  afterAll(async () => {
    await repo.close();
  });

  it('rate limits each client with 429, but not /healthz', async () => {
    const server = await startServer({
      repository: repo,
      port: 0,
      rateLimit: { max: 5, timeWindowMs: 60_000 },
      logLevel: 'silent',
    });
    try {
      const url = `${server.url}/matches/byBinding?alg=${SOFT_BINDING_ALG}&value=AAAAAAAAAAA%3D`;
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await fetch(url)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const limited = await fetch(url);
      expect(limited.headers.get('retry-after')).toBeTruthy();
      expect(((await limited.json()) as { code: string }).code).toBe('ERR_RATE_LIMITED');
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('refuses writes with 403 when started without tokens, and can require tokens for reads', async () => {
    const open = await startServer({ repository: repo, port: 0, logLevel: 'silent', rateLimit: false });
    try {
      const res = await fetch(`${open.url}/manifests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: '{}',
      });
      expect(res.status).toBe(403);
    } finally {
      await open.close();
    }
    const closed = await startServer({
      repository: repo,
      port: 0,
      logLevel: 'silent',
      tokens: [TOKEN],
      publicReads: false,
    });
    try {
      const q = `/matches/byBinding?alg=${SOFT_BINDING_ALG}&value=AAAAAAAAAAA%3D`;
      expect((await fetch(`${closed.url}${q}`)).status).toBe(401);
      expect(
        (await fetch(`${closed.url}${q}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
      ).toBe(200);
      expect((await fetch(`${closed.url}/healthz`)).status).toBe(200);
    } finally {
      await closed.close();
    }
  });

  it('answers 503 with Retry-After when too many uploads are being analysed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    const server = await startServer({
      repository: repo,
      port: 0,
      logLevel: 'silent',
      rateLimit: false,
      maxConcurrentExtractions: 1,
      extractBindings: async () => {
        started++;
        await gate;
        return [];
      },
    });
    try {
      const upload = () =>
        fetch(`${server.url}/matches/byContent`, {
          method: 'POST',
          headers: { 'content-type': 'image/png' },
          body: new Uint8Array([1, 2, 3]),
        });
      const first = upload();
      while (started === 0) await new Promise((r) => setTimeout(r, 5));
      const second = await upload();
      expect(second.status).toBe(503);
      expect(second.headers.get('retry-after')).toBe('1');
      expect(((await second.json()) as { code: string }).code).toBe('ERR_BUSY');
      release();
      expect((await first).status).toBe(200);
      expect((await upload()).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('validates its options', async () => {
    await expect(startServer({ repository: repo, port: 70000 })).rejects.toBeInstanceOf(RangeError);
    await expect(startServer({ repository: repo, tokens: ['short'] })).rejects.toThrow(/tokens\[0\]/);
    await expect(startServer({ repository: repo, bodyLimit: 10 })).rejects.toThrow(/bodyLimit/);
  });
});
