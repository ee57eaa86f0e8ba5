/**
 * `provmark likeness enroll|list|check|remove` end to end through the CLI. Face-dependent steps use
 * ../shared/fixtures/faces and skip when it is absent; the usage errors run everywhere.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDevCredentials } from '../../src/sign/index.js';
import { jsonLines, runCli } from '../helpers/cli.js';
import { bannerAd } from './ad.js';

const faces = resolve(__dirname, '../../../shared/fixtures/faces');
const present = existsSync(resolve(faces, 'amy/amy1.png'));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'provmark-likeness-cli-'));
});

describe('likeness CLI usage errors', () => {
  it('exits 2 with a coded line for an image without a face, and 2 for a bad person id', async () => {
    const blank = join(dir, 'blank.png');
    const sharp = (await import('sharp')).default;
    await sharp({ create: { width: 200, height: 200, channels: 3, background: '#777' } })
      .png()
      .toFile(blank);
    const db = `sqlite:${join(dir, 'usage.db')}`;
    const none = await runCli(['likeness', 'enroll', '--person', 'p1', '--db', db, blank]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/ERR_NO_FACE: No face was found in .*blank\.png/);
    const bad = await runCli(['likeness', 'enroll', '--person', '../x', '--db', db, blank]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ERR_USAGE');
    const missing = await runCli(['likeness', 'check', '--db', db, join(dir, 'nope.jpg')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('ERR_FILE_NOT_FOUND');
    const clean = await runCli(['likeness', 'check', '--db', db, '--json', blank]);
    expect(clean.code).toBe(0);
    expect(jsonLines(clean.stdout)[0]).toMatchObject({
      decision: 'no-registered-person',
      faces: 0,
      persons: [],
    });
  }, 120_000);
});

describe.skipIf(!present)('likeness CLI on the face fixtures', () => {
  it('enrols with an authorised signer, lists without descriptors, checks (exit 1 unauthorized) and removes', async () => {
    const db = `sqlite:${join(dir, 'brand.db')}`;
    const creds = await generateDevCredentials({ alg: 'ed25519' });
    const cert = join(dir, 'agency.pem');
    await writeFile(cert, creds.signerCertPem);
    const images = ['amy1', 'amy2', 'amy3'].map((n) => join(faces, 'amy', `${n}.png`));
    const enrol = await runCli([
      'likeness',
      'enroll',
      '--person',
      'amy',
      '--name',
      'Amy F.',
      '--authorized-signer',
      cert,
      '--db',
      db,
      ...images,
    ]);
    expect(enrol.stderr).toBe('');
    expect(enrol.code).toBe(0);
    expect(enrol.stdout).toContain('3 face descriptor(s) added');

    const list = await runCli(['likeness', 'list', '--db', db, '--json']);
    const [row] = jsonLines(list.stdout);
    expect(row).toMatchObject({ person: 'amy', name: 'Amy F.', descriptors: 3 });
    expect(list.stdout).not.toContain('descriptor"');
    expect(list.stdout).not.toContain('BEGIN CERTIFICATE');

    const ad = join(dir, 'ad.jpg');
    await writeFile(ad, await bannerAd(new Uint8Array(await readFile(join(faces, 'amy', 'amy5.png')))));
    const other = join(dir, 'other.jpg');
    await writeFile(other, await bannerAd(new Uint8Array(await readFile(join(faces, 'raj', 'raj1.png')))));
    const check = await runCli(['likeness', 'check', '--db', db, '--json', ad, other]);
    expect(check.code).toBe(1);
    const [a, b] = jsonLines(check.stdout);
    expect(a).toMatchObject({ file: ad, decision: 'unauthorized', provenance: { verdict: 'no-provenance' } });
    expect((a!.persons as Array<{ person: string }>)[0]!.person).toBe('amy');
    expect(b).toMatchObject({ file: other, decision: 'no-registered-person' });

    // The brand's agency protects the ad declaring who it depicts: authorized, with the declaration.
    const key = join(dir, 'agency.key.pem');
    const chain = join(dir, 'agency.chain.pem');
    const ca = join(dir, 'agency-ca.pem');
    await writeFile(key, creds.signerKeyPem);
    await writeFile(chain, creds.chainPem);
    await writeFile(ca, creds.caCertPem);
    const official = join(dir, 'official.jpg');
    const prot = await runCli([
      'protect',
      ad,
      '-o',
      official,
      '--key',
      key,
      '--cert',
      chain,
      '--db',
      db,
      '--depicts',
      'amy',
      '--consent-ref',
      'contract C-7',
    ]);
    expect(prot.code).toBe(0);
    const ok = await runCli(['likeness', 'check', '--db', db, '--trust', ca, '--json', official]);
    expect(ok.code).toBe(0);
    expect(jsonLines(ok.stdout)[0]).toMatchObject({
      decision: 'authorized',
      declared: { persons: ['amy'], consentRef: 'contract C-7', missing: [], undeclared: [], trusted: true },
    });
    const noDepicts = await runCli([
      'sign',
      ad,
      '-o',
      join(dir, 'x.jpg'),
      '--key',
      key,
      '--cert',
      chain,
      '--consent-ref',
      'C-7',
    ]);
    expect(noDepicts.code).toBe(2);
    expect(noDepicts.stderr).toContain('--consent-ref needs --depicts');

    const removed = await runCli(['likeness', 'remove', '--person', 'amy', '--db', db]);
    expect(removed.code).toBe(0);
    const after = await runCli(['likeness', 'check', '--db', db, ad]);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('NO-REGISTERED-PERSON');
  }, 180_000);
});
