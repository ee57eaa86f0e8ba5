/**
 * The verify page in a real browser (Chromium driven by playwright-core): drop each test file, read
 * what the visitor sees, and watch every request the page makes. Skips when no Chromium is
 * installed (CI installs Debian's `chromium`; PROVMARK_CHROMIUM points elsewhere).
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteRepository, type SqliteRepository } from '../../src/repository/index.js';
import { createServer } from '../../src/server/index.js';
import { chromiumPath, CHROMIUM_ARGS } from './chromium.js';
import { makePageFiles, PAGE_EKUS, type PageFile } from './files.js';

const CHROMIUM = chromiumPath();
if (!CHROMIUM) {
  process.stderr.write(
    'test/page/browser.test.ts: skipped, no Chromium (apt-get install chromium, or set PROVMARK_CHROMIUM)\n',
  );
}
const SHOTS = join(import.meta.dirname, '..', '..', '.tmp', 'page-screenshots');

interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly body: Buffer | null;
}

describe.skipIf(!CHROMIUM)('verify page in Chromium', () => {
  let repo: SqliteRepository;
  let app: FastifyInstance;
  let origin: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let files: PageFile[];
  let dir: string;
  const browserRequests: SeenRequest[] = [];
  const serverBodies: SeenRequest[] = [];
  const offOrigin: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provmark-page-'));
    await mkdir(SHOTS, { recursive: true });
    repo = await openSqliteRepository({ path: join(dir, 'repo.db') });
    const made = await makePageFiles(repo);
    files = made.files;
    for (const f of files) await writeFile(join(dir, f.name), f.bytes);
    app = createServer({
      repository: repo,
      page: { trust: { anchors: [made.caPem], tsaAnchors: [made.tsaPem], ekus: PAGE_EKUS } },
      logLevel: 'silent',
    });
    // What reached the server, as the server saw it (parsed bodies included).
    app.addHook('preHandler', async (req) => {
      const body = Buffer.isBuffer(req.body)
        ? req.body
        : req.body
          ? Buffer.from(JSON.stringify(req.body))
          : null;
      serverBodies.push({ method: req.method, url: req.url, body });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (url.startsWith(`${origin}/`)) return route.continue();
      offOrigin.push(url);
      return route.abort();
    });
    context.on('request', (r) =>
      browserRequests.push({ method: r.method(), url: r.url(), body: r.postDataBuffer() }),
    );
    page = await context.newPage();
    await page.goto(`${origin}/`);
    await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await repo?.close();
  });

  const file = (name: string) => {
    const f = files.find((x) => x.name === name);
    if (!f) throw new Error(`no test file ${name}`);
    return f;
  };

  async function drop(name: string): Promise<string> {
    await page.evaluate(() => delete document.body.dataset.done);
    await page.setInputFiles('#file', join(dir, name));
    await page.waitForSelector('body[data-done]', { timeout: 60_000 });
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    return (await page.textContent('#verdict-title')) ?? '';
  }

  /** The report the page offers for download (also checks that button works offline). */
  async function downloadedReport(): Promise<Record<string, unknown>> {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    return JSON.parse(await readFile(await download.path(), 'utf8')) as Record<string, unknown>;
  }

  it('shows the verdict each file deserves', async () => {
    const seen: Record<string, string> = {};
    for (const f of files) seen[f.name] = await drop(f.name);
    expect(seen).toEqual(Object.fromEntries(files.map((f) => [f.name, f.verdict])));
  });

  it('a signed file: signer, app, actions, matching watermark, and a report to download', async () => {
    expect(await drop('signed.jpg')).toBe('Verified');
    const details = (await page.textContent('#details')) ?? '';
    expect(details).toContain('provmark development signer');
    expect(details).toContain('Harbour at dawn');
    expect(details).toContain('Invisible watermark added');
    const report = await downloadedReport();
    expect(report.verdict).toBe('verified');
    const w = report.watermark as { found: boolean; payload: string };
    expect(w.found).toBe(true);
    expect(details).toContain(`Found: id ${w.payload}`);
    expect(await page.isVisible('#ai-label')).toBe(false);
    // Intact: the thumbnail alone, no comparison.
    expect(await page.locator('img.thumb').count()).toBe(1);
    expect(await page.locator('.compare').count()).toBe(0);
    // Choosing the same file again checks it again (the input is cleared after each choice).
    await page.evaluate(() => (document.getElementById('verdict-title')!.textContent = ''));
    expect(await drop('signed.jpg')).toBe('Verified');
  });

  it('a stripped, recompressed copy is recovered through the server from the watermark id alone', async () => {
    expect(await drop('stripped.jpg')).toBe('Recovered through the watermark');
    // The copy differs from what was signed: the credentials' thumbnail is shown beside it.
    expect(await page.locator('.compare img').count()).toBe(2);
    expect(await page.locator('#compare-range').count()).toBe(1);
    const report = await downloadedReport();
    const recovered = report.recovered as { manifestId: string; state: string };
    expect(recovered.state).toBe('trusted');
    expect(await page.textContent('#verdict-summary')).toContain(recovered.manifestId);
    const lookups = browserRequests.filter((r) => r.url.includes('/matches/byBinding'));
    expect(lookups.length).toBeGreaterThan(0);
  });

  it('an edit lists its ingredient with a thumbnail and its own status', async () => {
    expect(await drop('ingredients.jpg')).toBe('Verified');
    const list = page.locator('ul.ingredients');
    await expect.poll(() => list.textContent()).toContain('Harbour at dawn');
    expect(await list.textContent()).toContain('Has its own credentials: valid');
    expect(await list.locator('img').count()).toBe(1);
    expect(await page.textContent('#details')).toContain('Colour adjusted');
  });

  it('a file it cannot read says so, and a signed video is verified in the browser too', async () => {
    expect(await drop('notes.txt')).toBe('No provenance');
    expect(await page.textContent('#verdict-summary')).toContain('could not be examined');
    if (!files.some((f) => f.name === 'signed.mp4')) return; // no ffmpeg to make one
    expect(await drop('signed.mp4')).toBe('Verified');
    expect(await page.textContent('#details')).toContain('Not checked in the browser for this kind of file');
  });

  it('ingredients of ingredients are drawn as a tree', async () => {
    expect(await drop('nested.jpg')).toBe('Verified');
    const outer = page.locator('section ul.ingredients').first();
    const inner = outer.locator('ul.ingredients');
    expect(await inner.count()).toBe(1);
    // sign() titles a parent ingredient after the new file ("parent of …").
    expect(await outer.locator(':scope > li > .ingredient').textContent()).toContain('Harbour upside down');
    expect(await inner.textContent()).toContain('parent of Harbour at dawn, brightened');
    expect(await outer.locator('img').count()).toBe(2);
  });

  it('a time-stamped signature shows when it was signed', async () => {
    expect(await drop('timestamped.jpg')).toBe('Verified');
    expect(await page.textContent('#details')).toMatch(/Signed at.*\(from a time-stamp\)/s);
    await drop('signed.jpg');
    expect(await page.textContent('#details')).toContain('no time-stamp in the signature');
  });

  it('an AI-generated file carries the prominent label', async () => {
    await drop('ai.jpg');
    expect(await page.isVisible('#ai-label')).toBe(true);
    expect(await page.textContent('#ai-label')).toContain('AI-generated');
  });

  it('no request left the origin and no request carried the file in the in-browser path', () => {
    expect(offOrigin).toEqual([]);
    for (const r of browserRequests) {
      expect(r.url.startsWith(`${origin}/`) || r.url.startsWith('blob:')).toBe(true);
      expect(r.method).toBe('GET');
    }
    for (const f of files) {
      const probe = Buffer.from(f.bytes.subarray(f.bytes.length >> 1, (f.bytes.length >> 1) + 64));
      for (const r of [...browserRequests, ...serverBodies]) {
        expect(r.body === null || r.body.indexOf(probe) < 0).toBe(true);
      }
    }
    expect(serverBodies.some((r) => r.method !== 'GET')).toBe(false);
  });

  it('"Analyse on the server" uploads the file (and only then), and shows the server report', async () => {
    await drop('unsigned.jpg');
    const before = serverBodies.length;
    await page.click('#server');
    await page.waitForSelector('#server-result h3', { timeout: 120_000 });
    expect(await page.textContent('#server-result h3')).toContain('no-provenance');
    expect(await page.textContent('#server-result')).toContain('AI-image detector');
    const uploads = serverBodies.slice(before).filter((r) => r.method === 'POST');
    expect(uploads.map((r) => r.url)).toEqual(['/inspect']);
    // The same check as the in-browser path, which therefore can fail: here the bytes are there.
    expect(uploads[0]!.body!.equals(Buffer.from(file('unsigned.jpg').bytes))).toBe(true);
  });

  it('is keyboard-operable and readable at 360 px', async () => {
    const narrow = await context.newPage();
    await narrow.setViewportSize({ width: 360, height: 740 });
    await narrow.goto(`${origin}/`);
    await narrow.waitForSelector('body[data-ready]');
    await narrow.keyboard.press('Tab');
    expect(await narrow.evaluate(() => document.activeElement?.id)).toBe('file');
    await narrow.setInputFiles('#file', join(dir, 'ingredients.jpg'));
    await narrow.waitForSelector('body[data-done]');
    // The verdict heading takes focus so keyboard and screen-reader users land on the result.
    expect(await narrow.evaluate(() => document.activeElement?.id)).toBe('verdict-title');
    expect(await narrow.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await narrow.screenshot({ path: join(SHOTS, 'narrow-360.png'), fullPage: true });
    await narrow.close();
  });

  it('takes a file dropped on the page', async () => {
    await page.evaluate(() => delete document.body.dataset.done);
    const bytes = Array.from(file('tampered.jpg').bytes);
    await page.evaluate((data) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], 'dropped.jpg', { type: 'image/jpeg' }));
      document.body.dispatchEvent(
        new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }),
      );
    }, bytes);
    await page.waitForSelector('body[data-done]', { timeout: 60_000 });
    expect(await page.textContent('#verdict-title')).toBe('Tampered');
    expect(await page.textContent('#engine-status')).toContain('dropped.jpg');
  });

  it("the engine needs 'wasm-unsafe-eval': without it the page cannot start", async () => {
    const strict = await context.newPage();
    await strict.route(`${origin}/`, async (route) => {
      const res = await route.fetch();
      const csp = res.headers()['content-security-policy']!.replace(" 'wasm-unsafe-eval'", '');
      await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': csp } });
    });
    await strict.goto(`${origin}/`);
    await expect
      .poll(() => strict.textContent('#engine-status'), { timeout: 30_000 })
      .toMatch(/could not start: .*WebAssembly/);
    expect(await strict.evaluate(() => document.body.dataset.ready)).toBeUndefined();
    await strict.close();
  });

  it('axe-core finds no serious or critical violation', async () => {
    await drop('ingredients.jpg');
    const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    // evaluate() runs through DevTools, so the page's CSP (no inline script) stays as it is.
    await page.evaluate(source);
    const violations = await page.evaluate(async () => {
      const axe = (
        globalThis as unknown as {
          axe: {
            run: () => Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }>;
          };
        }
      ).axe;
      const r = await axe.run();
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    });
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
  });
});
