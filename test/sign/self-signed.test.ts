import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProvmarkError } from '../../src/errors.js';
import { createPemSigner, sign } from '../../src/sign/index.js';
import { makeImage } from '../helpers/media.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** A leaf that is its own issuer, otherwise shaped like a C2PA signer (KU, EKU, not a CA). */
async function selfSigned(withAki: boolean): Promise<{ key: string; certificate: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '05e1f5',
    name: 'CN=self-signed signer, O=provmark tests',
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 86400_000),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.4', '1.3.6.1.5.5.7.3.36'], false),
      ski,
      ...(withAki ? [new x509.AuthorityKeyIdentifierExtension(ski.keyId)] : []),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
  return { key, certificate: cert.toString('pem') };
}

describe('a self-signed signer certificate', () => {
  it.each([false, true])(
    'is refused before signing with ERR_CERT_PROFILE (AKI present: %s)',
    async (withAki) => {
      const creds = await selfSigned(withAki);
      const err = await createPemSigner(creds).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ProvmarkError);
      expect((err as ProvmarkError).code).toBe('ERR_CERT_PROFILE');
      expect((err as ProvmarkError).message).toMatch(/self-signed/);
      expect((err as ProvmarkError).message).toMatch(/CN=self-signed signer/);
    },
  );

  it('without the check (skipped on purpose), the engine refuses the signed output afterwards', async () => {
    // What users met before the check existed: the engine's own profile check, after signing.
    const signer = await createPemSigner({ ...(await selfSigned(false)), skipCertificateChecks: true });
    const err = await sign(await makeImage('jpeg', 256, 256), { signer }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as ProvmarkError | undefined)?.code).toBe('ERR_SIGNED_OUTPUT_INVALID');
  });
});
