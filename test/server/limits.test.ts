/**
 * What the server process spends under load: resident memory under 30 concurrent 30 MiB uploads,
 * early refusal of uploads when busy, and log volume. The server runs in a child process on
 * 127.0.0.1 (test/server/fixtures/serve-child.ts) so its memory and stdout are its own.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteRepository, type SqliteRepository } from '../../src/repository/sqlite.js';
import { startServer } from '../../src/server/index.js';

const CHILD = resolve(__dirname, 'fixtures/serve-child.ts');
const MiB = 1024 * 1024;

interface Child {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly stdout: () => string;
  ask<T>(msg: { type: string }): Promise<T>;
  stop(): Promise<void>;
}

async function startChild(options: Record<string, unknown>): Promise<Child> {
  const proc = fork(CHILD, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, PROVMARK_TEST_SERVER: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const ready = await new Promise<{ url: string }>((res, rej) => {
    proc.once('message', (m) => res(m as { url: string }));
    proc.once('exit', (code) => rej(new Error(`server child exited with ${code}`)));
  });
  return {
    proc,
    url: ready.url,
    stdout: () => out,
    ask: <T>(msg: { type: string }) =>
      new Promise<T>((res) => {
        proc.once('message', (m) => res(m as T));
        proc.send(msg);
      }),
    stop: () =>
      new Promise<void>((res) => {
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        proc.once('exit', () => {
          clearTimeout(timer);
          res();
        });
        proc.send({ type: 'stop' });
      }),
  };
}

/**
 * POST `body` and settle with the status, or 'reset' when the server closed the connection before
 * answering (allowed only after it has answered others with 503).
 */
function upload(url: string, body: Buffer): Promise<{ status: number | 'reset'; retryAfter?: string }> {
  return new Promise((res) => {
    const req = httpRequest(`${url}/matches/byContent`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'image/jpeg', 'content-length': body.length },
    });
    req.on('response', (r) => {
      r.resume();
      r.on('end', () => res({ status: r.statusCode ?? 0, retryAfter: r.headers['retry-after'] }));
      r.on('error', () => res({ status: r.statusCode ?? 0, retryAfter: r.headers['retry-after'] }));
    });
    req.on('error', () => res({ status: 'reset' }));
    req.end(body);
  });
}

describe('POST /matches/byContent under 30 concurrent 30 MiB uploads', () => {
  let child: Child;
  beforeAll(async () => {
    child = await startChild({ logLevel: 'silent', rateLimit: false });
  });
  afterAll(async () => {
    await child?.stop();
  });

  it('keeps the server under 300 MB resident and answers every upload', async () => {
    // A JPEG start followed by noise: sniffed as an image, then refused by the decoder.
    const body = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(30 * MiB - 4)]);
    const base = await child.ask<{ peak: number }>({ type: 'rss' });
    const results = await Promise.all(Array.from({ length: 30 }, () => upload(child.url, body)));
    const { peak } = await child.ask<{ peak: number }>({ type: 'rss' });
    const statuses = results.map((r) => r.status);
    // Every upload was either analysed (no mark in noise: 200 with no matches, or a 4xx for
    // undecodable content) or turned away as busy.
    for (const r of results) {
      if (r.status === 503) expect(r.retryAfter).toBeTruthy();
      else if (r.status !== 'reset') expect([200, 400, 415]).toContain(r.status);
    }
    expect(statuses.filter((s) => s !== 503 && s !== 'reset').length).toBeGreaterThan(0);
    console.log(
      `30 × 30 MiB uploads: peak RSS ${(peak / MiB).toFixed(0)} MiB (baseline ${(base.peak / MiB).toFixed(0)} MiB); statuses ${JSON.stringify(
        Object.fromEntries([...new Set(statuses)].map((s) => [s, statuses.filter((x) => x === s).length])),
      )}`,
    );
    expect(peak).toBeLessThan(300 * 1e6);
    const health = await fetch(`${child.url}/healthz`);
    expect(health.status).toBe(200);
  }, 120_000);
});

describe('busy refusal', () => {
  const root = mkdtempSync(join(tmpdir(), 'provmark-server-limits-'));
  let repo: SqliteRepository;
  beforeAll(async () => {
    repo = await openSqliteRepository({ path: join(root, 'busy.db') });
  });
  afterAll(async () => {
    await repo.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After before reading any of the body', async () => {
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
      const first = fetch(`${server.url}/matches/byContent`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: new Uint8Array([1, 2, 3]),
      });
      while (started === 0) await new Promise((r) => setTimeout(r, 5));
      // Announce 10 MB and send none of it: the answer must not wait for the body.
      const answer = await new Promise<{ status: number; retryAfter?: string }>((res, rej) => {
        const req = httpRequest(`${server.url}/matches/byContent`, {
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'image/jpeg', 'content-length': 10_000_000 },
        });
        const timer = setTimeout(() => {
          req.destroy();
          rej(new Error('no answer within 3 s: the server waited for the body'));
        }, 3000);
        req.on('response', (r) => {
          clearTimeout(timer);
          r.resume();
          res({ status: r.statusCode ?? 0, retryAfter: r.headers['retry-after'] });
          req.destroy();
        });
        req.on('error', () => undefined);
        req.flushHeaders();
      });
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe('1');
      release();
      expect((await first).status).toBe(200);
    } finally {
      release();
      await server.close();
    }
  });

  it('refuses an unauthenticated write before reading its body', async () => {
    const server = await startServer({
      repository: repo,
      port: 0,
      logLevel: 'silent',
      rateLimit: false,
      tokens: ['test-token-0123456789abcdef'],
    });
    try {
      const status = await new Promise<number>((res, rej) => {
        const req = httpRequest(`${server.url}/manifests`, {
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': 10_000_000 },
        });
        const timer = setTimeout(() => {
          req.destroy();
          rej(new Error('no answer within 3 s: the server waited for the body'));
        }, 3000);
        req.on('response', (r) => {
          clearTimeout(timer);
          r.resume();
          res(r.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', () => undefined);
        req.flushHeaders();
      });
      expect(status).toBe(401);
    } finally {
      await server.close();
    }
  });
});

describe('server logs', () => {
  it('logs requests at debug only, and a summary per interval at info', async () => {
    const child = await startChild({ logLevel: 'info', rateLimit: false, logSummaryIntervalMs: 300 });
    try {
      const q = `${child.url}/matches/byBinding?alg=com.example.unknown.1&value=AAAAAAAAAAA%3D`;
      for (let i = 0; i < 150; i++) expect((await fetch(`${child.url}/healthz`)).status).toBe(200);
      for (let i = 0; i < 50; i++) expect((await fetch(q)).status).toBe(400);
      await new Promise((r) => setTimeout(r, 700));
    } finally {
      await child.stop();
    }
    const lines = child
      .stdout()
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { level: number; msg: string; requests?: Record<string, number> });
    // pino levels: 30 info, 20 debug. 200 requests must not give 200+ info lines.
    expect(lines.length).toBeLessThan(20);
    const summaries = lines.filter((l) => l.requests !== undefined);
    expect(summaries.length).toBeGreaterThan(0);
    expect(summaries.every((l) => l.level === 30)).toBe(true);
    const total = (k: string) => summaries.reduce((n, l) => n + (l.requests![k] ?? 0), 0);
    expect(total('2xx')).toBe(150);
    expect(total('4xx')).toBe(50);
  }, 60_000);
});
