/**
 * Certificates minted for verdict tests: a CA and an Ed25519 signer with chosen EKUs and validity,
 * which provmark's own credential helper (valid, C2PA-profile certificates only) does not make.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { createPemSigner, type Signer } from '../../src/sign/index.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** The Microsoft C2PA signing EKU, as carried by the Microsoft-signed fixture's signer certificate. */
export const OID_MICROSOFT_C2PA = '1.3.6.1.4.1.311.76.59.1.9';
const ED25519 = { name: 'Ed25519' };
const DAY = 86_400_000;

export interface MintOptions {
  readonly ekus: readonly string[];
  /** Signer validity; the CA is valid from a year before to a year after now. */
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly commonName?: string;
}

/**
 * A CA and a signer certificate; the signer skips provmark's pre-signing checks so that a
 * certificate outside the profile (or expired) reaches the file, as another producer's would.
 */
export async function mintSigner(
  options: MintOptions,
): Promise<{ caCertPem: string; signer: Signer; signerCertPem: string }> {
  const now = Date.now();
  const caKeys = (await webcrypto.subtle.generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=provmark test CA, O=provmark tests',
    notBefore: new Date(now - 365 * DAY),
    notAfter: new Date(now + 365 * DAY),
    signingAlgorithm: ED25519,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keys = (await webcrypto.subtle.generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: `CN=${options.commonName ?? 'provmark test signer'}, O=provmark tests`,
    issuer: ca.subject,
    notBefore: options.notBefore ?? new Date(now - DAY),
    notAfter: options.notAfter ?? new Date(now + 30 * DAY),
    signingAlgorithm: ED25519,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([...options.ekus], false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca, false),
    ],
  });
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(der).toString('base64')}\n-----END PRIVATE KEY-----\n`;
  const caCertPem = ca.toString('pem') + '\n';
  const signerCertPem = leaf.toString('pem') + '\n';
  const signer = await createPemSigner({
    key: keyPem,
    certificate: signerCertPem + caCertPem,
    skipCertificateChecks: true,
  });
  return { caCertPem, signer, signerCertPem };
}
