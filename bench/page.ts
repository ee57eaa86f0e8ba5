/**
 * `npm run bench:page`: the verify page against the CLI on a 12 MP JPEG.
 *
 * - first verdict in the browser (Chromium through playwright-core): a fresh page (no cache)
 *   loads, downloads and compiles the engine, then a file is dropped; and again on the warm page;
 * - `provmark verify` (signed file) and `provmark inspect --no-detector` (stripped copy) on the same
 *   files, as a user runs them (process start included), plus the in-process library call;
 * - the page weight: every byte a first visit downloads, raw and gzipped.
 *
 * Needs Chromium (PROVMARK_CHROMIUM or Debian's /usr/bin/chromium). Options: --runs N (default 3).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { inspect, protect, verify } from '../src/index.js';
import { openSqliteRepository } from '../src/repository/index.js';
import { createServer } from '../src/server/index.js';
import { createPemSigner, generateDevCredentials } from '../src/sign/index.js';
import { photoLike } from '../test/helpers/photo.js';
import { chromiumPath, CHROMIUM_ARGS } from '../test/page/chromium.js';
import { numberArg, printTable, scorecard } from './util.js';

const RUNS = numberArg('runs', 3);
const ROOT = resolve(import.meta.dirname, '..');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const ms = (x: number): string => `${Math.round(x)} ms`;
const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

/** The CLI as a user runs it: the built package when present, else the sources through tsx. */
function cliCommand(): { argv: string[]; label: string } {
  const built = join(ROOT, 'dist', 'cli', 'main.js');
  return existsSync(built)
    ? { argv: [built], label: 'node dist/cli/main.js' }
    : { argv: ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')], label: 'tsx src/cli/main.ts' };
}

function timeCli(args: string[]): number {
  const { argv } = cliCommand();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...argv, ...args], { encoding: 'utf8' });
  const t = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1)
    throw new Error(`provmark ${args[0]} exited ${r.status}: ${r.stderr}`);
  return t;
}

async function main(): Promise<void> {
  const chromiumExe = chromiumPath();
  if (!chromiumExe) {
    console.error('bench:page needs Chromium: apt-get install chromium, or set PROVMARK_CHROMIUM');
    process.exitCode = 1;
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'provmark-bench-page-'));
  const dbPath = join(dir, 'repo.db');
  const repo = await openSqliteRepository({ path: dbPath });
  const creds = await generateDevCredentials({ alg: 'ed25519' });
  const signer = await createPemSigner({ key: creds.signerKeyPem, certificate: creds.chainPem });
  const caPath = join(dir, 'ca.pem');
  await writeFile(caPath, creds.caCertPem);

  console.log('making a 12 MP photograph-like JPEG and protecting it…');
  const original = await photoLike(4000, 3000, 12);
  const p = await protect(original, { signer, repository: repo, manifest: { title: 'Twelve megapixels' } });
  const signedPath = join(dir, 'signed-12mp.jpg');
  await writeFile(signedPath, p.bytes);
  // A platform copy at full size: metadata dropped, re-encoded at q85.
  const stripped = new Uint8Array(await sharp(p.bytes).jpeg({ quality: 85 }).toBuffer());
  const strippedPath = join(dir, 'stripped-12mp.jpg');
  await writeFile(strippedPath, stripped);
  console.log(
    `signed ${(p.bytes.length / 1e6).toFixed(1)} MB, stripped copy ${(stripped.length / 1e6).toFixed(1)} MB (4000×3000)\n`,
  );

  const app = createServer({
    repository: repo,
    page: { trust: { anchors: [creds.caCertPem] } },
    logLevel: 'silent',
    rateLimit: false,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  // Page weight: what a first visit downloads.
  const assets = [
    '/',
    '/page/style.css',
    '/page/main.js',
    '/page/worker.js',
    '/page/c2pa.wasm',
    '/page/trust',
  ];
  const weight: Array<[string, number, number]> = [];
  for (const url of assets) {
    const raw = await app.inject({ url });
    const gz = await app.inject({ url, headers: { 'accept-encoding': 'gzip' } });
    weight.push([url, raw.rawPayload.length, gz.rawPayload.length]);
  }
  const totalRaw = weight.reduce((a, w) => a + w[1], 0);
  const totalGz = weight.reduce((a, w) => a + w[2], 0);
  printTable(
    ['asset', 'raw', 'gzip'],
    [...weight.map(([u, r, g]) => [u, kib(r), kib(g)]), ['total', kib(totalRaw), kib(totalGz)]],
    { rightAlign: true },
  );
  console.log();

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: chromiumExe, args: CHROMIUM_ARGS });
  const rows: Array<Array<string | number>> = [];
  try {
    for (const [label, path, expected] of [
      ['signed 12 MP', signedPath, 'Verified'],
      ['stripped 12 MP', strippedPath, 'Recovered through the watermark'],
    ] as const) {
      const cold: number[] = [];
      const ready: number[] = [];
      const warm: number[] = [];
      let inner: Record<string, number> = {};
      for (let i = 0; i < RUNS; i++) {
        const context = await browser.newContext();
        const page = await context.newPage();
        const t0 = performance.now();
        await page.goto(`${origin}/`);
        await page.waitForSelector('body[data-ready]', { timeout: 120_000 });
        ready.push(performance.now() - t0);
        for (const bucket of [cold, warm]) {
          await page.evaluate(() => delete document.body.dataset.done);
          const t1 = performance.now();
          await page.setInputFiles('#file', path);
          await page.waitForSelector('body[data-done]', { timeout: 120_000 });
          bucket.push(performance.now() - t1);
          const verdict = await page.textContent('#verdict-title');
          if (verdict !== expected)
            throw new Error(`${label}: the page said ${verdict}, expected ${expected}`);
        }
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
        const report = JSON.parse(
          await (await import('node:fs/promises')).readFile(await download.path(), 'utf8'),
        ) as { timingsMs: Record<string, number> };
        inner = report.timingsMs;
        await context.close();
      }
      const isSigned = label.startsWith('signed');
      const cli = Array.from({ length: RUNS }, () =>
        isSigned
          ? timeCli(['verify', path, '--trust', caPath])
          : timeCli(['inspect', path, '--db', dbPath, '--trust', caPath, '--no-detector']),
      );
      const lib: number[] = [];
      for (let i = 0; i < RUNS + 1; i++) {
        const t = performance.now();
        if (isSigned) await verify(path, { trust: { anchors: [creds.caCertPem] } });
        else
          await inspect(path, { trust: { anchors: [creds.caCertPem] }, repository: repo, detector: false });
        if (i > 0) lib.push(performance.now() - t); // the first call loads the engine
      }
      rows.push([
        label,
        ms(median(ready) + median(cold)),
        ms(median(ready)),
        ms(median(cold)),
        ms(median(warm)),
        Object.entries(inner)
          .map(([k, v]) => `${k} ${Math.round(v)}`)
          .join(', '),
        ms(median(cli)),
        ms(median(lib)),
      ]);
    }
  } catch (err) {
    scorecard.failed('browser run', err);
  } finally {
    await browser.close();
    await app.close();
    await repo.close();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`medians of ${RUNS} runs; CLI: ${cliCommand().label} ${isBuiltNote()}`);
  printTable(
    [
      'file',
      'page: open→verdict',
      'page ready',
      'first verdict',
      'warm verdict',
      'in-page ms (last run)',
      'provmark CLI',
      'library (warm)',
    ],
    rows,
    { rightAlign: true },
  );
  scorecard.finish('bench:page');
}

function isBuiltNote(): string {
  return existsSync(join(ROOT, 'dist', 'cli', 'main.js')) ? '(built package)' : '(sources through tsx)';
}

await main();
