/**
 * Certificate parsing and the checks a C2PA signer certificate must pass before we sign with it
 * (C2PA 2.x §14.5.1 certificate profile): catching these here gives a clear coded error instead of
 * a file that verifies as `signingCredential.invalid` later.
 */
import type * as X509 from '@peculiar/x509';
import { X509Certificate as NodeX509Certificate, type KeyObject } from 'node:crypto';
import { CredentialError } from '../errors.js';
import { OID_C2PA_CLAIM_SIGNING, OID_DOCUMENT_SIGNING, OID_EMAIL_PROTECTION } from './credentials.js';
import { loadX509 } from './x509.js';

const PEM_CERT = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const OID_ANY_EKU = '2.5.29.37.0';
/** Microsoft's C2PA signing EKU. */
const OID_MS_C2PA = '1.3.6.1.4.1.311.76.59.1.9';

/**
 * Split a PEM bundle into DER certificates, skipping any text between blocks
 * (trust lists put "Subject:" lines and comments there).
 */
export function parsePemCertificates(pem: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of pem.matchAll(PEM_CERT)) {
    out.push(new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
  }
  return out;
}

function unparseable(index: number, err: unknown): CredentialError {
  return new CredentialError(
    'ERR_INVALID_CERTIFICATE',
    `Certificate #${index + 1} in the chain cannot be parsed`,
    {
      hint: 'Give a PEM file with the signer certificate first, then its issuing CAs.',
      cause: err,
    },
  );
}

/** Parse a DER certificate; coded error if it is not one. */
export async function parseCertificate(der: Uint8Array, index = 0): Promise<X509.X509Certificate> {
  const x509 = await loadX509();
  try {
    return new x509.X509Certificate(der as Uint8Array<ArrayBuffer>);
  } catch (err) {
    throw unparseable(index, err);
  }
}

/** Parse a PEM chain (leaf first) into DER certificates; coded error when there are none. */
export async function parseCertificateChain(pem: string): Promise<Uint8Array[]> {
  const ders = parsePemCertificates(pem);
  if (ders.length === 0) {
    throw new CredentialError(
      'ERR_INVALID_CERTIFICATE',
      'No PEM certificate found in the certificate input',
      {
        hint: 'Give a PEM file containing "-----BEGIN CERTIFICATE-----" blocks, signer certificate first.',
      },
    );
  }
  for (const [i, d] of ders.entries()) await parseCertificate(d, i);
  return ders;
}

/**
 * The leaf certificate's public key as a Node KeyObject. Node's own certificate parser does this
 * (synchronously, and without loading @peculiar/x509): signing checks every signature with it.
 */
export function leafPublicKey(chain: readonly Uint8Array[]): KeyObject {
  try {
    return new NodeX509Certificate(chain[0]!).publicKey;
  } catch (err) {
    throw unparseable(0, err);
  }
}

/**
 * Check the signer (leaf) certificate against the C2PA profile and its validity at `now`.
 * Throws a {@link CredentialError} naming the problem.
 */
export async function assertSignerCertificate(chain: readonly Uint8Array[], now = new Date()): Promise<void> {
  const x509 = await loadX509();
  const leaf = await parseCertificate(chain[0]!);
  const subject = leaf.subject;
  if (now < leaf.notBefore) {
    throw new CredentialError(
      'ERR_CERT_EXPIRED',
      `The signer certificate (${subject}) is not valid until ${leaf.notBefore.toISOString()}`,
      {
        hint: 'Check the system clock or use a certificate that is valid now.',
      },
    );
  }
  if (now > leaf.notAfter) {
    throw new CredentialError(
      'ERR_CERT_EXPIRED',
      `The signer certificate (${subject}) expired on ${leaf.notAfter.toISOString()}`,
      {
        hint: 'Renew the signer certificate (provmark keygen makes development ones).',
      },
    );
  }
  const basic = leaf.getExtension(x509.BasicConstraintsExtension);
  if (basic?.ca) {
    throw new CredentialError('ERR_CERT_IS_CA', `The signer certificate (${subject}) is a CA certificate`, {
      hint: 'Sign with an end-entity certificate issued by the CA, not with the CA itself.',
    });
  }
  const ku = leaf.getExtension(x509.KeyUsagesExtension);
  if (ku && (ku.usages & x509.KeyUsageFlags.digitalSignature) === 0) {
    throw new CredentialError(
      'ERR_CERT_PROFILE',
      `The signer certificate (${subject}) lacks the digitalSignature key usage`,
      {
        hint: 'C2PA signer certificates need keyUsage digitalSignature.',
      },
    );
  }
  const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension);
  const usages = (eku?.usages ?? []).map(String);
  const c2paUsages = [OID_EMAIL_PROTECTION, OID_DOCUMENT_SIGNING, OID_C2PA_CLAIM_SIGNING, OID_MS_C2PA];
  if (!eku || usages.includes(OID_ANY_EKU) || !usages.some((u) => c2paUsages.includes(u))) {
    const found = usages.length ? usages.join(', ') : 'none';
    throw new CredentialError(
      'ERR_CERT_PROFILE',
      `The signer certificate (${subject}) has no C2PA extended key usage (found: ${found})`,
      {
        hint: 'C2PA validators require EKU emailProtection and/or documentSigning (1.3.6.1.5.5.7.3.36), not serverAuth/clientAuth only.',
        details: {
          eku: usages,
          serverAuth: usages.includes(OID_SERVER_AUTH),
          clientAuth: usages.includes(OID_CLIENT_AUTH),
        },
      },
    );
  }
  // C2PA signers are end-entity certificates issued by a CA (C2PA spec, "Trust Model" and its
  // certificate profile); a leaf that is its own issuer can chain to nothing, and the engine refuses
  // the signed output afterwards (signingCredential.invalid) when it also lacks the AKI.
  if (leaf.subject === leaf.issuer) {
    throw new CredentialError(
      'ERR_CERT_PROFILE',
      `The signer certificate (${subject}) is self-signed: its issuer is itself`,
      {
        hint: 'Sign with an end-entity certificate issued by a CA (provmark keygen makes a development CA and signer).',
        details: { subject, issuer: leaf.issuer },
      },
    );
  }
  if (!leaf.getExtension(x509.AuthorityKeyIdentifierExtension)) {
    throw new CredentialError(
      'ERR_CERT_PROFILE',
      `The signer certificate (${subject}) has no Authority Key Identifier`,
      {
        hint: 'C2PA validators require the AuthorityKeyIdentifier extension on signer certificates.',
      },
    );
  }
}

/** Summary of a certificate for reports. */
export async function describeCertificate(
  der: Uint8Array,
): Promise<{ subject: string; issuer: string; notAfter: string }> {
  const c = await parseCertificate(der);
  return { subject: c.subject, issuer: c.issuer, notAfter: c.notAfter.toISOString() };
}
