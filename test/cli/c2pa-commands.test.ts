import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../helpers/cli.js';
import { makeImage } from '../helpers/media.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'provmark-cli-'));
  await writeFile(join(dir, 'photo.jpg'), await makeImage('jpeg'));
  const r = await runCli(['keygen', '--out', join(dir, 'keys')]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('NOT FOR PRODUCTION');
});

describe('provmark keygen / sign / verify', () => {
  it('keygen writes the PEM files and refuses to overwrite them', async () => {
    const files = await readdir(join(dir, 'keys'));
    expect(files.sort()).toEqual([
      'README.txt',
      'ca.cert.pem',
      'ca.key.pem',
      'chain.pem',
      'signer.cert.pem',
      'signer.key.pem',
    ]);
    expect(await readFile(join(dir, 'keys/README.txt'), 'utf8')).toContain('NOT FOR PRODUCTION');
    const again = await runCli(['keygen', '--out', join(dir, 'keys')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^provmark: ERR_FILE_IO: .*--force/);
  });

  it('sign then verify --json: trusted with the CA (exit 0), valid without, --require-trusted exits 1', async () => {
    const k = join(dir, 'keys');
    const s = await runCli([
      'sign',
      join(dir, 'photo.jpg'),
      '-o',
      join(dir, 'signed.jpg'),
      '--key',
      join(k, 'signer.key.pem'),
      '--cert',
      join(k, 'chain.pem'),
      '--title',
      'Harbour',
      '--source-type',
      'digitalCapture',
    ]);
    expect(s.code, s.stderr).toBe(0);
    const v = await runCli(['verify', join(dir, 'signed.jpg'), '--trust', join(k, 'ca.cert.pem'), '--json']);
    expect(v.code, v.stderr).toBe(0);
    const [obj] = jsonLines(v.stdout);
    expect(obj).toMatchObject({ file: join(dir, 'signed.jpg'), state: 'trusted' });
    expect(obj!.activeManifest).toMatchObject({
      title: 'Harbour',
      signer: { commonName: 'provmark development signer' },
    });
    expect(Array.isArray(obj!.statuses)).toBe(true);
    for (const st of obj!.statuses as { code: unknown; explanation: unknown }[]) {
      expect(typeof st.code).toBe('string');
      expect(typeof st.explanation).toBe('string');
    }
    const untrusted = await runCli(['verify', join(dir, 'signed.jpg')]);
    expect(untrusted.code).toBe(0);
    expect(untrusted.stdout).toContain('VALID');
    expect(untrusted.stdout).toContain('signingCredential.untrusted');
    expect((await runCli(['verify', join(dir, 'signed.jpg'), '--require-trusted'])).code).toBe(1);
  });

  it('exit codes: absent 3, invalid 1, input error 2 (one line with the code)', async () => {
    const k = join(dir, 'keys');
    expect((await runCli(['verify', join(dir, 'photo.jpg')])).code).toBe(3);
    const signed = await readFile(join(dir, 'signed.jpg'));
    signed[signed.length - 100] = signed[signed.length - 100]! ^ 0xff;
    await writeFile(join(dir, 'tampered.jpg'), signed);
    const bad = await runCli([
      'verify',
      join(dir, 'tampered.jpg'),
      '--trust',
      join(k, 'ca.cert.pem'),
      '--json',
    ]);
    expect(bad.code).toBe(1);
    expect(jsonLines(bad.stdout)[0]).toMatchObject({ state: 'invalid' });
    expect(JSON.stringify(jsonLines(bad.stdout)[0]!.statuses)).toContain('assertion.dataHash.mismatch');
    const missing = await runCli(['verify', join(dir, 'nope.jpg')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^provmark: ERR_FILE_NOT_FOUND: /);
    await writeFile(join(dir, 'empty.jpg'), new Uint8Array(0));
    const empty = await runCli(['verify', join(dir, 'empty.jpg')]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('ERR_CORRUPT_MEDIA');
    const usage = await runCli(['sign', join(dir, 'photo.jpg')]);
    expect(usage.code).toBe(2);
  });

  it('sign with the CA key is refused with a coded one-line error and writes nothing', async () => {
    const k = join(dir, 'keys');
    const r = await runCli([
      'sign',
      join(dir, 'photo.jpg'),
      '-o',
      join(dir, 'nope.jpg'),
      '--key',
      join(k, 'ca.key.pem'),
      '--cert',
      join(k, 'ca.cert.pem'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^provmark: ERR_CERT_IS_CA: .+\n$/);
    expect(await readdir(dir)).not.toContain('nope.jpg');
  });

  it('--parent records the edit chain, and a manifest JSON file is accepted', async () => {
    const k = join(dir, 'keys');
    await writeFile(
      join(dir, 'm.json'),
      JSON.stringify({ title: 'edited', actions: [{ action: 'c2pa.cropped' }] }),
    );
    const r = await runCli([
      'sign',
      join(dir, 'signed.jpg'),
      '-o',
      join(dir, 'edited.jpg'),
      '--key',
      join(k, 'signer.key.pem'),
      '--cert',
      join(k, 'chain.pem'),
      '--manifest',
      join(dir, 'm.json'),
      '--parent',
      join(dir, 'signed.jpg'),
      '--trust',
      join(k, 'ca.cert.pem'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const v = await runCli(['verify', join(dir, 'edited.jpg'), '--trust', join(k, 'ca.cert.pem'), '--json']);
    const [obj] = jsonLines(v.stdout) as [
      {
        state: string;
        activeManifest: {
          actions: { action: string }[];
          ingredients: { relationship: string; statuses: { code: string }[] }[];
        };
      },
    ];
    expect(obj.state).toBe('trusted');
    expect(obj.activeManifest.actions.map((a) => a.action)).toEqual(['c2pa.opened', 'c2pa.cropped']);
    expect(obj.activeManifest.ingredients[0]!.relationship).toBe('parentOf');
    expect(obj.activeManifest.ingredients[0]!.statuses.map((s) => s.code)).toContain(
      'signingCredential.trusted',
    );
    await writeFile(join(dir, 'bad.json'), '{ not json');
    const bad = await runCli([
      'sign',
      join(dir, 'photo.jpg'),
      '-o',
      join(dir, 'x.jpg'),
      '--key',
      join(k, 'signer.key.pem'),
      '--cert',
      join(k, 'chain.pem'),
      '--manifest',
      join(dir, 'bad.json'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ERR_INVALID_MANIFEST');
  });
});

const cawg = resolve(__dirname, '../../../shared/fixtures/c2pa/c2pa-rs/cawg');
describe.skipIf(!existsSync(cawg))('provmark verify on CAWG identity files (../shared/fixtures)', () => {
  it('names each identity assertion and whether it validated, without calling the file invalid', async () => {
    const r = await runCli(['verify', join(cawg, 'extra_field.jpg'), join(cawg, 'valid_time_stamp.jpg')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('extra_field.jpg: VALID');
    expect(r.stdout).toContain('identity: C2PA Signer (cawg.x509.cose; validated, not trusted)');
    expect(r.stdout).toMatch(/identity: First-Name Last-Name \(cawg\.identity_claims_aggregation; validated/);
  });
});
