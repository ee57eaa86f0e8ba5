/**
 * Authorised signers: the certificates whose holders may publish media showing a person, and the
 * rule that says whether a verified manifest's signer is one of them.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { CredentialError } from '../errors.js';
import type { AuthorizedSigner } from '../repository/likeness.js';
import type { SignerSummary } from '../verify/types.js';

/** Lowercase hex without leading zeros. */
function normalizeHexSerial(hex: string): string {
  return BigInt(`0x${hex}`).toString(16);
}

/**
 * Parse one PEM certificate (the first of a chain) into the registry's record of an authorised signer:
 * subject, issuer, serial number, SHA-256 of the public key (SPKI) and of the certificate.
 *
 * @example
 * ```ts
 * const signer = parseAuthorizedSigner(readFileSync('agency-cert.pem', 'utf8'));
 * console.log(signer.subject, signer.spkiSha256);
 * ```
 */
export function parseAuthorizedSigner(pem: string | Uint8Array): AuthorizedSigner {
  if (typeof pem !== 'string' && !(pem instanceof Uint8Array)) {
    throw new TypeError('Expected PEM text or bytes for the authorised signer certificate');
  }
  const text = typeof pem === 'string' ? pem : new TextDecoder().decode(pem);
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
  if (first === undefined) {
    throw new CredentialError('ERR_INVALID_CERTIFICATE', 'The authorised signer holds no PEM certificate', {
      hint: 'Pass the signer certificate as PEM ("-----BEGIN CERTIFICATE-----"), as used with --cert when signing.',
    });
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(first);
  } catch (err) {
    throw new CredentialError(
      'ERR_INVALID_CERTIFICATE',
      `Cannot parse the authorised signer certificate: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: normalizeHexSerial(cert.serialNumber),
    spkiSha256: createHash('sha256').update(spki).digest('hex'),
    certificateSha256: createHash('sha256').update(cert.raw).digest('hex'),
    certificatePem: `${cert.toString().trim()}\n`,
  };
}

/** The value of one attribute (e.g. `CN`) in a distinguished name as Node prints it. */
function attribute(dn: string, key: string): string | undefined {
  for (const line of dn.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && line.slice(0, eq) === key) return line.slice(eq + 1);
  }
  return undefined;
}

/** The engine reports serial numbers in decimal, Node in hex; compare as integers. */
function serialOf(s: string | undefined): bigint | undefined {
  if (s === undefined) return undefined;
  try {
    return /^[0-9]+$/.test(s) ? BigInt(s) : BigInt(`0x${s.replace(/[^0-9a-fA-F]/g, '')}`);
  } catch {
    return undefined;
  }
}

/** SHA-256 (lowercase hex) of a DER certificate's SubjectPublicKeyInfo: the key fingerprint. */
export function spkiSha256Of(certificateDer: Uint8Array): string {
  const cert = new X509Certificate(certificateDer);
  return createHash('sha256')
    .update(cert.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/**
 * Whether a manifest signer is this authorised certificate. With the signing certificate's key
 * fingerprint (`signerSpkiSha256`, read from the manifest's COSE x5chain): the same public key, so a
 * renewed certificate for the same key still counts and another key under the same names does not.
 * Without it (the certificate could not be read from the store), the engine's summary: same serial
 * number, issuer common name (or organisation) and subject common name. Only meaningful for a signer
 * whose chain the engine found trusted: anyone can put any key and names in a self-signed certificate.
 */
export function isAuthorizedSigner(
  signer: SignerSummary | undefined,
  authorised: AuthorizedSigner,
  signerSpkiSha256?: string,
): boolean {
  if (signer === undefined) return false;
  if (signerSpkiSha256 !== undefined) return signerSpkiSha256 === authorised.spkiSha256;
  const serial = serialOf(signer.serialNumber);
  if (serial === undefined || serial !== BigInt(`0x${authorised.serialNumber}`)) return false;
  const issuer = attribute(authorised.issuer, 'CN') ?? attribute(authorised.issuer, 'O');
  if (issuer === undefined || signer.issuer !== issuer) return false;
  return signer.commonName === attribute(authorised.subject, 'CN');
}
