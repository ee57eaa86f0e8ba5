import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signedRecord } from '../server/stores.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const main = join(repoRoot, 'src/cli/main.ts');
const dir = mkdtempSync(join(tmpdir(), 'provmark-serve-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const listening = new Promise<string>((res, rej) => {
    child.stderr.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) res(m[1]!);
    });
    void exited.then(() => rej(new Error(`exited before listening: ${stderr}`)));
  });
  // Commands that exit early never listen; the tests that need it await it.
  listening.catch(() => undefined);
  return { child, exited, listening, stderr: () => stderr };
}

describe('provmark serve', () => {
  it('serves a SQLite repository, takes writes with a token from PROVMARK_TOKENS, and stops on SIGTERM', async () => {
    const token = 'cli-token-0123456789abcdef';
    const db = `sqlite:${join(dir, 'sub', 'serve.db')}`;
    const p = run(['serve', '--db', db, '--port', '0', '--log-level', 'silent', '--body-limit', '16384'], {
      PROVMARK_TOKENS: token,
    });
    const url = await p.listening;
    expect(p.stderr()).toMatch(/1 write token/);
    const rec = await signedRecord(); // the server validates stores with the engine
    const body = JSON.stringify({
      manifestId: rec.manifestId,
      manifestStore: Buffer.from(rec.manifestStore).toString('base64'),
      bindings: rec.bindings,
    });
    const post = (auth?: string) =>
      fetch(`${url}/manifests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
        body,
      });
    expect((await post()).status).toBe(401);
    expect((await post(token)).status).toBe(201);
    const b = rec.bindings[0]!;
    const found = await fetch(
      `${url}/matches/byBinding?${new URLSearchParams({ alg: b.alg, value: b.value }).toString()}`,
    );
    expect(await found.json()).toEqual({ matches: [{ manifestId: rec.manifestId }] });
    const big = await fetch(`${url}/matches/byContent`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(20000),
    });
    expect(big.status).toBe(413);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('exits 2 with a coded message for bad flags', async () => {
    const p = run(['serve', '--port', '99999']);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toMatch(/--port/);
    const q = run(['serve', '--db', 'ftp://example.org/x', '--port', '0']);
    expect(await q.exited).toBe(2);
    expect(q.stderr()).toMatch(/ERR_USAGE/);
  });
});
