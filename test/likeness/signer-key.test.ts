/**
 * Authorised signers are matched on the signing key (SPKI SHA-256 from the manifest's COSE x5chain),
 * not on names: a second certificate from the same trusted CA with the authorised certificate's
 * subject, issuer and serial number but another key is refused; a renewed certificate for the same key
 * is accepted. The x5chain reader works on JPEG, PNG and bare stores.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate, webcrypto } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSignerCertificates } from '../../src/c2pa/signer-certificate.js';
import {
  checkLikeness,
  enrollLikeness,
  openLikenessRegistry,
  parseAuthorizedSigner,
  type LikenessRegistry,
} from '../../src/likeness/index.js';
import { openSqliteRepository, type SqliteRepository } from '../../src/repository/index.js';
import { createPemSigner, generateDevCredentials, sign } from '../../src/sign/index.js';
import { bannerAd } from './ad.js';

type Creds = Awaited<ReturnType<typeof generateDevCredentials>>;

const pemBody = (pem: string) =>
  Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');

/**
 * Another certificate from `creds`' CA for the subject of its signer, with the given serial number:
 * for `key` (PKCS#8 PEM) when given (a renewal), else for a fresh key. Returns { keyPem, chainPem }.
 */
async function issueFromCa(creds: Creds, serial: string, keyPem?: string) {
  const alg = { name: 'Ed25519' };
  const caKey = await webcrypto.subtle.importKey('pkcs8', pemBody(creds.caKeyPem), alg, true, ['sign']);
  const ca = new x509.X509Certificate(creds.caCertPem);
  const old = new x509.X509Certificate(creds.signerCertPem);
  let keys: { publicKey: webcrypto.CryptoKey; privateKeyPem: string };
  if (keyPem) {
    const priv = await webcrypto.subtle.importKey('pkcs8', pemBody(keyPem), alg, true, ['sign']);
    const jwk = await webcrypto.subtle.exportKey('jwk', priv);
    const pub = await webcrypto.subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, alg, true, [
      'verify',
    ]);
    keys = { publicKey: pub, privateKeyPem: keyPem };
  } else {
    const pair = (await webcrypto.subtle.generateKey(alg, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey)).toString('base64');
    keys = {
      publicKey: pair.publicKey,
      privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${der.replace(/(.{64})/g, '$1\n').trimEnd()}\n-----END PRIVATE KEY-----\n`,
    };
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: old.subject,
    issuer: ca.subject,
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 30 * 86_400_000),
    signingAlgorithm: alg,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: old.extensions,
  });
  return { keyPem: keys.privateKeyPem, chainPem: `${cert.toString('pem')}\n${creds.caCertPem}` };
}

describe('readSignerCertificates', () => {
  it('reads the x5chain of the active manifest from JPEG, PNG and a bare store; nothing from unsigned bytes', async () => {
    const creds = await generateDevCredentials({ alg: 'ed25519' });
    const signer = await createPemSigner({ key: creds.signerKeyPem, certificate: creds.chainPem });
    const leaf = new Uint8Array(pemBody(creds.signerCertPem));
    const picture = sharp({ create: { width: 64, height: 48, channels: 3, background: '#456' } });
    for (const bytes of [await picture.jpeg().toBuffer(), await picture.png().toBuffer()]) {
      const s = await sign(new Uint8Array(bytes), { signer });
      const [fromAsset, ca] = readSignerCertificates(s.bytes, s.manifestId) ?? [];
      expect(Buffer.from(fromAsset!).equals(Buffer.from(leaf))).toBe(true);
      expect(new X509Certificate(ca!).subject).toContain('development CA');
      const [fromStore] = readSignerCertificates(s.manifestStore) ?? [];
      expect(Buffer.from(fromStore!).equals(Buffer.from(leaf))).toBe(true);
      expect(readSignerCertificates(new Uint8Array(bytes))).toBeUndefined();
    }
    expect(readSignerCertificates(new Uint8Array(0))).toBeUndefined();
  }, 60_000);
});

const faces = resolve(__dirname, '../../../shared/fixtures/faces');
const present = existsSync(resolve(faces, 'sheldon/sheldon1.png'));
const chip = (name: string) =>
  new Uint8Array(readFileSync(resolve(faces, name.replace(/[0-9]+$/, ''), `${name}.png`)));

describe.skipIf(!present)('authorised signer matched on the key', () => {
  let repo: SqliteRepository;
  let registry: LikenessRegistry;
  let brand: Creds;
  beforeAll(async () => {
    repo = await openSqliteRepository({ path: ':memory:' });
    registry = await openLikenessRegistry(repo);
    brand = await generateDevCredentials({ alg: 'ed25519' });
    await enrollLikeness({
      registry,
      person: 'sheldon',
      images: [chip('sheldon1'), chip('sheldon2'), chip('sheldon3')],
      authorizedSigners: [brand.signerCertPem],
    });
  }, 120_000);
  afterAll(async () => {
    await registry?.close();
    await repo?.close();
  });

  it('refuses the authorised names and serial on another key; accepts a renewed certificate for the same key', async () => {
    const trust = { anchors: [brand.caCertPem] };
    const ad = await bannerAd(chip('sheldon5'));
    const serial = parseAuthorizedSigner(brand.signerCertPem).serialNumber;

    const impostor = await issueFromCa(brand, serial);
    const forged = await sign(ad, {
      signer: await createPemSigner({ key: impostor.keyPem, certificate: impostor.chainPem }),
    });
    const r1 = await checkLikeness(forged.bytes, { registry, trust });
    expect(r1.provenance.verdict).toBe('verified');
    expect(r1.provenance.signer?.commonName).toBe('provmark development signer');
    expect(r1.provenance.signerSpkiSha256).not.toBe(parseAuthorizedSigner(brand.signerCertPem).spkiSha256);
    expect(r1.decision).toBe('unauthorized');

    const renewed = await issueFromCa(brand, '7e57', brand.signerKeyPem);
    const again = await sign(ad, {
      signer: await createPemSigner({ key: renewed.keyPem, certificate: renewed.chainPem }),
    });
    const r2 = await checkLikeness(again.bytes, { registry, trust });
    expect(r2.provenance.signerSpkiSha256).toBe(parseAuthorizedSigner(brand.signerCertPem).spkiSha256);
    expect(r2.decision).toBe('authorized');
  }, 180_000);
});
