/**
 * POST /likeness/check on `provmark serve`: token required (before the body is read), byContent's
 * upload limits (413 over the body limit, 503 when busy), the decision for an uploaded ad, a registry
 * change made outside the server seen by the next check, and no descriptor in any answer.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollLikeness, openLikenessRegistry, type LikenessRegistry } from '../../src/likeness/index.js';
import { openSqliteRepository, type SqliteRepository } from '../../src/repository/sqlite.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { bannerAd } from './ad.js';

const faces = resolve(__dirname, '../../../shared/fixtures/faces');
const present = existsSync(resolve(faces, 'sheldon/sheldon1.png'));
const chip = (name: string) =>
  new Uint8Array(readFileSync(resolve(faces, name.replace(/[0-9]+$/, ''), `${name}.png`)));
const TOKEN = 'likeness-test-token-0123456789';

describe('POST /likeness/check without the face fixtures', () => {
  let root: string;
  let repo: SqliteRepository;
  let server: RunningServer;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'likeness-srv-'));
    repo = await openSqliteRepository({ path: join(root, 'a.db') });
    server = await startServer({
      repository: repo,
      port: 0,
      tokens: [TOKEN],
      bodyLimit: 64 * 1024,
      rateLimit: false,
      logLevel: 'silent',
      page: false,
    });
  });
  afterAll(async () => {
    await server?.close();
    await repo?.close();
    rmSync(root, { recursive: true, force: true });
  });
  const post = (body: Uint8Array | string, headers: Record<string, string>) =>
    fetch(`${server.url}/likeness/check`, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : Buffer.from(body),
    });

  it('needs a bearer token, even for reads-public servers', async () => {
    const none = await post(new Uint8Array(10), { 'content-type': 'image/jpeg' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await none.json()) as { code: string }).code).toBe('ERR_UNAUTHORIZED');
    const wrong = await post(new Uint8Array(10), {
      'content-type': 'image/jpeg',
      authorization: 'Bearer not-the-token-0123456789',
    });
    expect(wrong.status).toBe(401);
  });

  it('refuses bodies over the server limit (413), empty (400), JSON (415) and non-media (415)', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const big = await post(new Uint8Array(100 * 1024), { ...auth, 'content-type': 'image/jpeg' });
    expect(big.status).toBe(413);
    const empty = await post(new Uint8Array(0), { ...auth, 'content-type': 'image/jpeg' });
    expect(empty.status).toBe(400);
    const json = await post('{"a":1}', { ...auth, 'content-type': 'application/json' });
    expect(json.status).toBe(415);
    const text = await post(new TextEncoder().encode('just some text, not a picture'), {
      ...auth,
      'content-type': 'application/octet-stream',
    });
    expect(text.status).toBe(415);
    expect(((await text.json()) as { code: string }).code).toBe('ERR_UNSUPPORTED_FORMAT');
  });

  it('answers 403 on a server started without tokens', async () => {
    const open = await startServer({ repository: repo, port: 0, rateLimit: false, logLevel: 'silent' });
    try {
      const r = await fetch(`${open.url}/likeness/check`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${TOKEN}` },
        body: new Uint8Array(10),
      });
      expect(r.status).toBe(403);
    } finally {
      await open.close();
    }
  });
});

describe.skipIf(!present)('POST /likeness/check on the face fixtures', () => {
  let root: string;
  let repo: SqliteRepository;
  let registry: LikenessRegistry;
  let server: RunningServer;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'likeness-srv-'));
    repo = await openSqliteRepository({ path: join(root, 'b.db') });
    registry = await openLikenessRegistry(repo);
    await enrollLikeness({
      registry,
      person: 'sheldon',
      name: 'Sheldon C.',
      images: [chip('sheldon1'), chip('sheldon2'), chip('sheldon3')],
    });
    server = await startServer({
      repository: repo,
      port: 0,
      tokens: [TOKEN],
      rateLimit: false,
      logLevel: 'silent',
      likeness: { maxConcurrentChecks: 1 },
    });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await registry?.close();
    await repo?.close();
    rmSync(root, { recursive: true, force: true });
  });
  const check = (bytes: Uint8Array) =>
    fetch(`${server.url}/likeness/check`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${TOKEN}` },
      body: Buffer.from(bytes),
    });

  it('answers the decision for an unsigned ad with a registered face, without descriptors; 503 when busy', async () => {
    const ad = await bannerAd(chip('sheldon5'));
    const [first, second] = await Promise.all([check(ad), check(ad)]);
    const statuses = [first.status, second.status].sort();
    expect(statuses).toEqual([200, 503]);
    const busy = first.status === 503 ? first : second;
    expect(busy.headers.get('retry-after')).toBe('2');
    const ok = first.status === 200 ? first : second;
    const text = await ok.text();
    const body = JSON.parse(text) as {
      decision: string;
      persons: Array<{ person: string; name: string; appearances: unknown[] }>;
      provenance: { verdict: string };
    };
    expect(body.decision).toBe('unauthorized');
    expect(body.persons.map((p) => [p.person, p.name])).toEqual([['sheldon', 'Sheldon C.']]);
    expect(body.provenance.verdict).toBe('no-provenance');
    expect(text).not.toMatch(/descriptor/i);
    // 128 floats would be a long run of numbers; the answer has boxes and scores only.
    expect(text.match(/-?[0-9]\.[0-9]{4,}/g)?.length ?? 0).toBeLessThan(10);
  }, 120_000);

  it('sees a person enrolled by another process on the next check (registry revision)', async () => {
    const ad = await bannerAd(chip('howard4'));
    const before = (await (await check(ad)).json()) as { decision: string };
    expect(before.decision).toBe('no-registered-person');
    // Another connection to the same database file, as the CLI would open.
    const other = await openSqliteRepository({ path: join(root, 'b.db') });
    const otherRegistry = await openLikenessRegistry(other);
    try {
      await enrollLikeness({
        registry: otherRegistry,
        person: 'howard',
        images: [chip('howard1'), chip('howard2'), chip('howard3')],
      });
    } finally {
      await other.close();
    }
    const after = (await (await check(ad)).json()) as {
      decision: string;
      persons: Array<{ person: string }>;
    };
    expect(after.decision).toBe('unauthorized');
    expect(after.persons.map((p) => p.person)).toEqual(['howard']);
  }, 180_000);
});
