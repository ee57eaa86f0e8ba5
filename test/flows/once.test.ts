/**
 * The orchestration reads and sniffs a file once and resolves trust once (issue 11): counted with
 * spies on the reader and the sniffer, and with a local HTTP server that serves a URL trust anchor
 * and counts how often it is fetched.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { readMediaInput } from '../../src/media/io.js';
import { sniffFormat } from '../../src/media/sniff.js';
import { inspect, inspectMany, protect, verifyMany } from '../../src/index.js';
import { openSqliteRepository, type SqliteRepository } from '../../src/repository/index.js';
import { devSigner } from '../helpers/credentials.js';
import { photoLike } from '../helpers/photo.js';

vi.mock('../../src/media/sniff.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/media/sniff.js')>();
  return { ...mod, sniffFormat: vi.fn(mod.sniffFormat) };
});
vi.mock('../../src/media/io.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/media/io.js')>();
  return { ...mod, readMediaInput: vi.fn(mod.readMediaInput) };
});
const sniffs = vi.mocked(sniffFormat);
const reads = vi.mocked(readMediaInput);

let dir: string;
let repo: SqliteRepository;
let server: Server;
let anchorUrl: string;
let anchorFetches = 0;
let signer: Awaited<ReturnType<typeof devSigner>>['signer'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'provmark-once-'));
  repo = await openSqliteRepository({ path: join(dir, 'repo.db') });
  const dev = await devSigner();
  signer = dev.signer;
  server = createServer((req, res) => {
    anchorFetches++;
    res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(dev.creds.caCertPem);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  anchorUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ca.pem`;
});
afterAll(async () => {
  await repo?.close();
  await new Promise((resolve) => server?.close(resolve));
});
beforeEach(() => {
  sniffs.mockClear();
  reads.mockClear();
  anchorFetches = 0;
});

/** Calls of the reader with a path: the times the file itself was read. */
const pathReads = () => reads.mock.calls.filter(([input]) => typeof input === 'string').length;

describe('a file walked through the orchestration is read and sniffed once', () => {
  it('inspect() of an unsigned photo: one read, one sniff (verification, watermark and detector share them)', async () => {
    const path = join(dir, 'plain.jpg');
    await writeFile(path, await photoLike(640, 480, 3));
    const r = await inspect(path, { detector: true });
    expect(r.verdict).toBe('no-provenance');
    expect(r.detection).toBeDefined();
    expect(sniffs).toHaveBeenCalledTimes(1);
    expect(pathReads()).toBe(1);
    // The image watermark adapter is a public function that takes a MediaInput: it passes the same
    // bytes through the reader (no IO). Nothing else may.
    expect(reads.mock.calls.length).toBeLessThanOrEqual(2);
  });

  it('protect() then inspect() of the result: one read and one sniff each', async () => {
    const path = join(dir, 'capture.jpg');
    await writeFile(path, await photoLike(640, 480, 4));
    const p = await protect(path, { signer, repository: repo });
    expect(sniffs).toHaveBeenCalledTimes(1);
    expect(pathReads()).toBe(1);
    expect(reads.mock.calls.length).toBeLessThanOrEqual(2);

    const out = join(dir, 'capture.protected.jpg');
    await writeFile(out, p.bytes);
    sniffs.mockClear();
    reads.mockClear();
    const r = await inspect(out, { repository: repo, detector: true });
    expect(r.verdict).toBe('untrusted-signer');
    expect(r.watermark?.found).toBe(true);
    expect(sniffs).toHaveBeenCalledTimes(1);
    expect(pathReads()).toBe(1);
  });
});

describe('trust is resolved once per call and once per batch', () => {
  it('protect() and inspect() of a recovered file fetch a URL anchor once per call', async () => {
    const p = await protect(await photoLike(800, 600, 5), {
      signer,
      repository: repo,
      trust: { anchors: [anchorUrl] },
    });
    expect(p.report.state).toBe('trusted');
    expect(anchorFetches).toBe(1);

    anchorFetches = 0;
    // Metadata stripped: the watermark leads to the repository, whose store is validated too.
    const stripped = new Uint8Array(await sharp(p.bytes).jpeg({ quality: 90 }).toBuffer());
    const r = await inspect(stripped, { trust: { anchors: [anchorUrl] }, repository: repo, detector: false });
    expect(r.verdict).toBe('recovered');
    expect(r.recovered?.state).toBe('trusted');
    expect(anchorFetches).toBe(1);
  });

  it('a batch of 4 files on 2 worker threads fetches a URL anchor once (verifyMany and inspectMany)', async () => {
    const batch = await mkdtemp(join(dir, 'batch-'));
    for (let i = 0; i < 4; i++) {
      const p = await protect(await photoLike(384, 288, 10 + i), { signer, repository: repo });
      await writeFile(join(batch, `f${i}.jpg`), p.bytes);
    }
    anchorFetches = 0;
    const states: string[] = [];
    for await (const item of verifyMany([batch], { jobs: 2, trust: { anchors: [anchorUrl] } }))
      states.push(item.report?.state ?? item.error!.code);
    expect(states).toEqual(['trusted', 'trusted', 'trusted', 'trusted']);
    expect(anchorFetches).toBe(1);

    anchorFetches = 0;
    const verdicts: string[] = [];
    for await (const item of inspectMany([batch], {
      jobs: 2,
      trust: { anchors: [anchorUrl] },
      detector: false,
    }))
      verdicts.push(item.report?.verdict ?? item.error!.code);
    expect(verdicts).toEqual(['verified', 'verified', 'verified', 'verified']);
    expect(anchorFetches).toBe(1);
  });

  it('an anchor that cannot be fetched is still each file’s error, as before', async () => {
    const batch = await mkdtemp(join(dir, 'bad-'));
    await writeFile(join(batch, 'a.jpg'), await photoLike(320, 240, 20));
    await writeFile(join(batch, 'b.jpg'), await photoLike(320, 240, 21));
    const codes: string[] = [];
    for await (const item of verifyMany([batch], {
      jobs: 0,
      trust: { anchors: ['http://127.0.0.1:9/x.pem'] },
    }))
      codes.push(item.error?.code ?? item.report!.state);
    expect(codes).toEqual(['ERR_NETWORK', 'ERR_NETWORK']);
  });
});
