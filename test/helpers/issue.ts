/** Issue arbitrary (including deliberately wrong) certificates from a dev CA, for credential tests. */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, webcrypto, type KeyObject } from 'node:crypto';
import type { DevCredentials } from '../../src/sign/index.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface IssueOptions {
  readonly subjectKey: KeyObject; // public key
  readonly eku?: string[];
  readonly ca?: boolean;
  readonly aki?: boolean;
}

export async function issueCertificate(ca: DevCredentials, opts: IssueOptions): Promise<string> {
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    createPrivateKey(ca.caKeyPem).export({ type: 'pkcs8', format: 'der' }),
    { name: 'Ed25519' },
    false,
    ['sign'],
  );
  const caCert = new x509.X509Certificate(ca.caCertPem);
  const spki = opts.subjectKey.export({ type: 'spki', format: 'der' });
  const alg =
    opts.subjectKey.asymmetricKeyType === 'rsa'
      ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
      : opts.subjectKey.asymmetricKeyType === 'ec'
        ? {
            name: 'ECDSA',
            namedCurve: { prime256v1: 'P-256', secp384r1: 'P-384' }[
              opts.subjectKey.asymmetricKeyDetails!.namedCurve!
            ],
          }
        : { name: 'Ed25519' };
  const publicKey = await webcrypto.subtle.importKey('spki', spki, alg, true, ['verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '0badc0de',
    subject: 'CN=test signer',
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 86400_000),
    signingAlgorithm: { name: 'Ed25519' },
    publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(opts.ca ?? false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ...(opts.eku ? [new x509.ExtendedKeyUsageExtension(opts.eku, false)] : []),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      ...(opts.aki === false ? [] : [await x509.AuthorityKeyIdentifierExtension.create(caCert, false)]),
    ],
  });
  return cert.toString('pem') + '\n' + ca.caCertPem;
}
