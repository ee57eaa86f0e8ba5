/** `provmark serve` serves the verify page with the trust given on its command line. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devSigner } from '../helpers/credentials.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'provmark-page-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function serve(args: string[]) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'src/cli/main.ts'),
      'serve',
      '--port',
      '0',
      '--log-level',
      'silent',
      ...args,
    ],
    { cwd: repoRoot },
  );
  let stderr = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const listening = new Promise<string>((res, rej) => {
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) res(m[1]!);
    });
    void exited.then(() => rej(new Error(`exited before listening: ${stderr}`)));
  });
  listening.catch(() => undefined);
  return { child, exited, listening, stderr: () => stderr };
}

describe('provmark serve and the verify page', () => {
  it('serves the page at / and offers the --trust anchors to it', async () => {
    const ca = (await devSigner()).creds.caCertPem;
    writeFileSync(join(dir, 'ca.pem'), ca);
    const p = serve(['--db', `sqlite:${join(dir, 'a.db')}`, '--trust', join(dir, 'ca.pem')]);
    try {
      const url = await p.listening;
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self' 'wasm-unsafe-eval'");
      expect(await page.text()).toContain('<input type="file"');
      const trust = (await (await fetch(`${url}/page/trust`)).json()) as { trust: { anchors?: string } };
      expect(trust.trust.anchors).toContain(ca.trim());
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  });

  it('--no-page leaves only the API', async () => {
    const p = serve(['--db', `sqlite:${join(dir, 'b.db')}`, '--no-page']);
    try {
      const url = await p.listening;
      expect((await fetch(`${url}/`)).status).toBe(404);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  });

  it('a trust file that cannot be read stops serve with ERR_TRUST_CONFIG', async () => {
    const p = serve(['--db', `sqlite:${join(dir, 'c.db')}`, '--trust', join(dir, 'missing.pem')]);
    const code = await p.exited;
    expect(code).not.toBe(0);
    expect(p.stderr()).toContain('ERR_TRUST_CONFIG');
  });
});
