import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProvmarkError } from '../../src/errors.js';
import {
  createCallbackSigner,
  createEd25519Signer,
  createPemSigner,
  generateDevCredentials,
  sign,
} from '../../src/sign/index.js';
import { verify } from '../../src/verify/index.js';
import { issueCertificate } from '../helpers/issue.js';
import { makeImage } from '../helpers/media.js';

const EKU_C2PA = ['1.3.6.1.5.5.7.3.4', '1.3.6.1.5.5.7.3.36'];

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(ProvmarkError);
  expect((err as ProvmarkError).code).toBe(code);
  expect((err as ProvmarkError).message.length).toBeGreaterThan(10);
}

describe('signers', () => {
  it('ES256 PEM signer (keygen --alg es256) signs a trusted file', async () => {
    const creds = await generateDevCredentials({ alg: 'es256' });
    const signer = await createPemSigner({ key: creds.signerKeyPem, certificate: creds.chainPem });
    expect(signer.alg).toBe('ES256');
    const out = await sign(await makeImage('jpeg'), { signer });
    const r = await verify(out.bytes, { trust: { anchors: [creds.caCertPem] } });
    expect(r.state).toBe('trusted');
    expect(r.state !== 'absent' && r.state !== 'remote' && r.activeManifest?.signer.algorithm).toBe('ES256');
  });

  it('ES384 and PS256 PEM signers sign trusted files', async () => {
    const creds = await generateDevCredentials();
    for (const [type, opts, alg] of [
      ['ec', { namedCurve: 'P-384' }, 'ES384'],
      ['rsa', { modulusLength: 2048 }, 'PS256'],
    ] as const) {
      const pair = generateKeyPairSync(type as 'ec', opts as { namedCurve: string });
      const chain = await issueCertificate(creds, { subjectKey: pair.publicKey, eku: EKU_C2PA });
      const signer = await createPemSigner({
        key: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
        certificate: chain,
      });
      expect(signer.alg).toBe(alg);
      const out = await sign(await makeImage('png'), { signer });
      expect((await verify(out.bytes, { trust: { anchors: [creds.caCertPem] } })).state).toBe('trusted');
    }
  });

  it('Ed25519 signer from a raw 32-byte key', async () => {
    const creds = await generateDevCredentials();
    const seed = Buffer.from(createPrivateKey(creds.signerKeyPem).export({ format: 'jwk' }).d!, 'base64url');
    const signer = await createEd25519Signer({
      privateKey: new Uint8Array(seed),
      certificate: creds.chainPem,
    });
    const out = await sign(await makeImage('jpeg'), { signer });
    expect((await verify(out.bytes, { trust: { anchors: [creds.caCertPem] } })).state).toBe('trusted');
    await expect(
      createEd25519Signer({ privateKey: new Uint8Array(31), certificate: creds.chainPem }),
    ).rejects.toThrow(RangeError);
    await expectCode(
      createEd25519Signer({ privateKey: new Uint8Array(32).fill(1), certificate: creds.chainPem }),
      'ERR_KEY_CERT_MISMATCH',
    );
  });

  it('callback signer (KMS/HSM style) signs, and a wrong remote key is caught before embedding', async () => {
    const creds = await generateDevCredentials();
    const key = createPrivateKey(creds.signerKeyPem);
    const good = await createCallbackSigner({
      alg: 'Ed25519',
      certificate: creds.chainPem,
      sign: async (d) => new Uint8Array(nodeSign(null, d, key)),
    });
    const out = await sign(await makeImage('jpeg'), { signer: good });
    expect((await verify(out.bytes, { trust: { anchors: [creds.caCertPem] } })).state).toBe('trusted');
    const other = generateKeyPairSync('ed25519').privateKey;
    const wrong = await createCallbackSigner({
      alg: 'Ed25519',
      certificate: creds.chainPem,
      sign: async (d) => new Uint8Array(nodeSign(null, d, other)),
    });
    await expectCode(sign(await makeImage('jpeg'), { signer: wrong }), 'ERR_KEY_CERT_MISMATCH');
  });
});

describe('bad credentials get coded errors before signing', () => {
  it('key for another certificate', async () => {
    const a = await generateDevCredentials();
    const b = await generateDevCredentials();
    await expectCode(
      createPemSigner({ key: a.signerKeyPem, certificate: b.chainPem }),
      'ERR_KEY_CERT_MISMATCH',
    );
  });

  it('garbage PEM key and certificate', async () => {
    const a = await generateDevCredentials();
    await expectCode(
      createPemSigner({
        key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
        certificate: a.chainPem,
      }),
      'ERR_INVALID_KEY',
    );
    const dir = await mkdtemp(join(tmpdir(), 'provmark-pem-'));
    await writeFile(join(dir, 'garbage.pem'), 'hello, not a certificate');
    await expectCode(
      createPemSigner({ key: a.signerKeyPem, certificate: join(dir, 'garbage.pem') }),
      'ERR_INVALID_CERTIFICATE',
    );
    await expectCode(
      createPemSigner({ key: join(dir, 'garbage.pem'), certificate: a.chainPem }),
      'ERR_INVALID_KEY',
    );
    await expectCode(
      createPemSigner({
        key: a.signerKeyPem,
        certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      }),
      'ERR_INVALID_CERTIFICATE',
    );
    await expectCode(
      createPemSigner({ key: '/nonexistent/key.pem', certificate: a.chainPem }),
      'ERR_FILE_NOT_FOUND',
    );
  });

  it('expired certificate', async () => {
    const old = await generateDevCredentials({
      notBefore: new Date(Date.now() - 400 * 86400_000),
      validDays: 30,
    });
    await expectCode(
      createPemSigner({ key: old.signerKeyPem, certificate: old.chainPem }),
      'ERR_CERT_EXPIRED',
    );
  });

  it('CA certificate used as the signer', async () => {
    const a = await generateDevCredentials();
    await expectCode(createPemSigner({ key: a.caKeyPem, certificate: a.caCertPem }), 'ERR_CERT_IS_CA');
  });

  it('serverAuth-only EKU and missing AKI', async () => {
    const a = await generateDevCredentials();
    const pair = generateKeyPairSync('ed25519');
    const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const tls = await issueCertificate(a, { subjectKey: pair.publicKey, eku: ['1.3.6.1.5.5.7.3.1'] });
    await expectCode(createPemSigner({ key: pem, certificate: tls }), 'ERR_CERT_PROFILE');
    const noAki = await issueCertificate(a, { subjectKey: pair.publicKey, eku: EKU_C2PA, aki: false });
    await expectCode(createPemSigner({ key: pem, certificate: noAki }), 'ERR_CERT_PROFILE');
    expect(createPublicKey(pair.privateKey).asymmetricKeyType).toBe('ed25519');
  });

  it('misuse throws TypeError/RangeError', async () => {
    // @ts-expect-error deliberate misuse
    await expect(sign(new Uint8Array(10), {})).rejects.toThrow(TypeError);
    await expect(generateDevCredentials({ alg: 'rsa' as 'es256' })).rejects.toThrow(RangeError);
  });
});

describe('manifest definitions the engine or C2PA rejects', () => {
  it('give ERR_INVALID_MANIFEST, never a signed file', async () => {
    const creds = await generateDevCredentials();
    const signer = await createPemSigner({ key: creds.signerKeyPem, certificate: creds.chainPem });
    const img = await makeImage('jpeg');
    await expectCode(
      sign(img, { signer, manifest: { actions: [{ action: 'c2pa.placed' }] } }),
      'ERR_INVALID_MANIFEST',
    );
    await expectCode(
      sign(img, {
        signer,
        manifest: { actions: [{ action: 'c2pa.edited', parameters: { ingredientIds: ['nope'] } }] },
      }),
      'ERR_INVALID_MANIFEST',
    );
    await expect(
      sign(img, { signer, manifest: { assertions: [{ label: 'c2pa.hash.data', data: {} }] } }),
    ).rejects.toThrow(RangeError);
    await expect(sign(img, { signer, manifest: { digitalSourceType: 'madeUp' } })).rejects.toThrow(
      RangeError,
    );
  });
});
