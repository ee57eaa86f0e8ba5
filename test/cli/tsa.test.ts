import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../helpers/cli.js';
import { makeImage } from '../helpers/media.js';
import { startLocalTsa, type LocalTsa } from '../helpers/tsa.js';

let dir: string;
let tsa: LocalTsa;
let env: NodeJS.ProcessEnv;
const k = (f: string) => join(dir, 'keys', f);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'provmark-cli-tsa-'));
  env = { PROVMARK_HOME: join(dir, 'home'), PROVMARK_DB: `sqlite:${join(dir, 'repo.db')}` };
  tsa = await startLocalTsa();
  await writeFile(join(dir, 'tsa-root.pem'), tsa.caCertPem);
  await writeFile(join(dir, 'photo.jpg'), await makeImage('jpeg', 640, 480));
  expect((await runCli(['keygen', '--out', join(dir, 'keys')])).code).toBe(0);
});
afterAll(async () => {
  await tsa.close();
  await rm(dir, { recursive: true, force: true });
});

const signerFlags = () => ['--key', k('signer.key.pem'), '--cert', k('chain.pem')];

async function verifyJson(file: string): Promise<{ state: string; statuses: { code: string }[] }> {
  const v = await runCli(
    ['verify', file, '--trust', k('ca.cert.pem'), '--trust', join(dir, 'tsa-root.pem'), '--json'],
    { env },
  );
  expect(v.code, v.stderr).toBe(0);
  return jsonLines(v.stdout)[0] as { state: string; statuses: { code: string }[] };
}

describe('--tsa URL', () => {
  it('provmark sign --tsa time-stamps the signature', async () => {
    const out = join(dir, 'signed.jpg');
    const s = await runCli(['sign', join(dir, 'photo.jpg'), '-o', out, ...signerFlags(), '--tsa', tsa.url], {
      env,
    });
    expect(s.code, s.stderr).toBe(0);
    const report = await verifyJson(out);
    expect(report.state).toBe('trusted');
    expect(report.statuses.map((x) => x.code)).toEqual(
      expect.arrayContaining(['timeStamp.validated', 'timeStamp.trusted']),
    );
  });

  it('provmark protect --tsa time-stamps the signature', async () => {
    const out = join(dir, 'protected.jpg');
    const p = await runCli(
      ['protect', join(dir, 'photo.jpg'), '-o', out, ...signerFlags(), '--tsa', tsa.url, '--json'],
      { env },
    );
    expect(p.code, p.stderr).toBe(0);
    const report = await verifyJson(out);
    expect(report.state).toBe('trusted');
    expect(report.statuses.map((x) => x.code)).toContain('timeStamp.trusted');
  });

  it('an unusable TSA exits 2 with one ERR_TIMESTAMP line naming the URL, and writes nothing', async () => {
    tsa.behaviour = 'http-error';
    try {
      const out = join(dir, 'never.jpg');
      const s = await runCli(
        ['sign', join(dir, 'photo.jpg'), '-o', out, ...signerFlags(), '--tsa', tsa.url],
        { env },
      );
      expect(s.code).toBe(2);
      expect(s.stderr).toMatch(
        /^provmark: ERR_TIMESTAMP: Time-stamp from http:\/\/127\.0\.0\.1:\d+\/tsa failed: HTTP 500/,
      );
      expect(s.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    } finally {
      tsa.behaviour = 'ok';
    }
  });
});
