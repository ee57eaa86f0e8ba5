/**
 * The watermark read in the browser (the page's worker: browser decoding and resampling, then
 * src/watermark/core) against Node's (sharp/libvips, then the same core) on the same files:
 * protected photos, copies a platform would make of them, and unmarked photos.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protect } from '../../src/index.js';
import { openSqliteRepository, type SqliteRepository } from '../../src/repository/index.js';
import { createServer } from '../../src/server/index.js';
import { detectImageWatermark } from '../../src/watermark/index.js';
import { devSigner } from '../helpers/credentials.js';
import { photoLike } from '../helpers/photo.js';
import { chromiumPath, CHROMIUM_ARGS } from './chromium.js';

const CHROMIUM = chromiumPath();
if (!CHROMIUM) {
  process.stderr.write(
    'test/page/watermark-agreement.test.ts: skipped, no Chromium (apt-get install chromium, or set PROVMARK_CHROMIUM)\n',
  );
}

interface Reading {
  readonly found: boolean;
  readonly payload?: string;
  readonly pilotZ?: number;
}

describe.skipIf(!CHROMIUM)('watermark in the browser vs Node', () => {
  let repo: SqliteRepository;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provmark-page-wm-'));
    repo = await openSqliteRepository({ path: join(dir, 'repo.db') });
    app = createServer({ repository: repo, page: true, logLevel: 'silent' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`);
    await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await repo?.close();
  });

  async function browserReading(name: string, bytes: Uint8Array): Promise<Reading | undefined> {
    await writeFile(join(dir, name), bytes);
    await page.evaluate(() => delete document.body.dataset.done);
    await page.setInputFiles('#file', join(dir, name));
    await page.waitForSelector('body[data-done]', { timeout: 60_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const report = JSON.parse(await readFile(await download.path(), 'utf8')) as { watermark?: Reading };
    return report.watermark;
  }

  it('reads the same payload as Node on protected photos, their copies and unmarked photos', async () => {
    const { signer } = await devSigner();
    const cases: Array<{ name: string; bytes: Uint8Array; marked?: string }> = [];
    const sizes: Array<[number, number]> = [
      [1200, 900],
      [900, 1200],
      [1600, 1000],
      [800, 800],
    ];
    for (const [i, [w, h]] of sizes.entries()) {
      const p = await protect(await photoLike(w, h, 20 + i), { signer, repository: repo });
      const id = p.softBindingId;
      const s = sharp(p.bytes);
      cases.push(
        { name: `p${i}.jpg`, bytes: p.bytes, marked: id },
        {
          name: `p${i}-small-q75.jpg`,
          bytes: new Uint8Array(
            await s
              .clone()
              .resize(Math.round(w * 0.6))
              .jpeg({ quality: 75 })
              .toBuffer(),
          ),
          marked: id,
        },
        {
          name: `p${i}-crop.jpg`,
          bytes: new Uint8Array(
            await s
              .clone()
              .extract({
                left: Math.round(w * 0.1),
                top: Math.round(h * 0.1),
                width: Math.round(w * 0.8),
                height: Math.round(h * 0.8),
              })
              .jpeg({ quality: 85 })
              .toBuffer(),
          ),
          marked: id,
        },
        { name: `p${i}.png`, bytes: new Uint8Array(await s.clone().png().toBuffer()), marked: id },
        { name: `u${i}.jpg`, bytes: await photoLike(w, h, 60 + i) },
      );
    }
    const rows: string[] = [];
    let agree = 0;
    for (const c of cases) {
      const node = await detectImageWatermark(c.bytes);
      const web = await browserReading(c.name, c.bytes);
      const same = web !== undefined && web.found === node.found && web.payload === node.payload;
      if (same) agree++;
      rows.push(
        `${c.name.padEnd(18)} node ${node.found ? node.payload : 'none'} z=${node.pilotZ}  browser ${web?.found ? web.payload : 'none'} z=${web?.pilotZ}${same ? '' : '  DIFFERENT'}`,
      );
    }
    process.stdout.write(`watermark agreement ${agree}/${cases.length}\n${rows.join('\n')}\n`);
    expect(agree).toBe(cases.length);
    // The marked files are found by both; the unmarked by neither.
    for (const c of cases) {
      const row = rows.find((r) => r.startsWith(c.name.padEnd(18)))!;
      expect(row.includes(`browser ${c.marked ?? 'none'} `)).toBe(true);
    }
    // Unmarked files take the window search (a second read at four working areas) on both sides.
  }, 180_000);
});
