/**
 * Development credentials: a throw-away CA and a C2PA signer certificate with the profile that
 * c2pa-rs and c2pa-ts accept (C2PA 2.x §14.5 "X.509 certificates": end-entity, critical keyUsage
 * digitalSignature, EKU emailProtection + documentSigning + C2PA claim signing, SKI and AKI present).
 * NOT FOR PRODUCTION: production signers need a certificate from a CA on the C2PA trust list.
 */
import { webcrypto } from 'node:crypto';
import { loadX509 } from './x509.js';

/** WebCrypto handed to each x509 call (its global provider is left alone). */
const x509Crypto = webcrypto as unknown as Crypto;

/** Key algorithms {@link generateDevCredentials} can create. */
export type DevKeyAlgorithm = 'ed25519' | 'es256';

/** OID of id-kp-documentSigning (RFC 9336), required by C2PA validators alongside emailProtection. */
export const OID_DOCUMENT_SIGNING = '1.3.6.1.5.5.7.3.36';
/** OID of id-kp-emailProtection. */
export const OID_EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
/** The C2PA claim-signing EKU, listed in the official C2PA trust configuration (`store.cfg`). */
export const OID_C2PA_CLAIM_SIGNING = '1.3.6.1.4.1.62558.2.1';

export interface DevCredentialOptions {
  readonly alg?: DevKeyAlgorithm;
  /** Signer common name. Default "provmark development signer". */
  readonly commonName?: string;
  readonly organization?: string;
  /** Validity of the signer certificate in days (default 365). The CA gets ten times as long. */
  readonly validDays?: number;
  /** Start of validity (default: now minus one hour, to tolerate clock skew). */
  readonly notBefore?: Date;
}

export interface DevCredentials {
  readonly alg: DevKeyAlgorithm;
  /** Trust anchor to give verifiers (`--trust`). */
  readonly caCertPem: string;
  readonly caKeyPem: string;
  readonly signerCertPem: string;
  /** PKCS#8 private key of the signer. */
  readonly signerKeyPem: string;
  /** Signer certificate followed by the CA certificate: what `--cert` takes. */
  readonly chainPem: string;
}

const KEY_PARAMS: Record<
  DevKeyAlgorithm,
  { gen: EcKeyGenParams | Algorithm; sign: Algorithm | EcdsaParams }
> = {
  ed25519: { gen: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
  es256: {
    gen: { name: 'ECDSA', namedCurve: 'P-256' },
    sign: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
  },
};

const DAY_MS = 86_400_000;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function serial(): string {
  // Positive 16-byte serial (top bit clear), RFC 5280 §4.1.2.2.
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = b[0]! & 0x7f;
  return Buffer.from(b).toString('hex');
}

/**
 * Create a development CA and a signer certificate for C2PA signing.
 *
 * @example
 * ```ts
 * const creds = await generateDevCredentials({ alg: 'ed25519' });
 * const signer = await createPemSigner({ key: creds.signerKeyPem, certificate: creds.chainPem });
 * ```
 */
export async function generateDevCredentials(options: DevCredentialOptions = {}): Promise<DevCredentials> {
  const alg = options.alg ?? 'ed25519';
  if (!(alg in KEY_PARAMS))
    throw new RangeError(`Expected 'ed25519' or 'es256' for alg but received ${String(alg)}`);
  const validDays = options.validDays ?? 365;
  if (!Number.isFinite(validDays) || validDays <= 0) {
    throw new RangeError(`Expected a positive number of days for validDays but received ${validDays}`);
  }
  const params = KEY_PARAMS[alg];
  const notBefore = options.notBefore ?? new Date(Date.now() - 3_600_000);
  const org = options.organization ?? 'provmark development (NOT FOR PRODUCTION)';
  const x509 = await loadX509();

  const caKeys = (await webcrypto.subtle.generateKey(params.gen, true, ['sign', 'verify'])) as CryptoKeyPair;
  const caName = `CN=provmark development CA (NOT FOR PRODUCTION), O=${org}`;
  const ca = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: caName,
      notBefore,
      notAfter: new Date(notBefore.getTime() + validDays * 10 * DAY_MS),
      signingAlgorithm: params.sign,
      keys: caKeys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, x509Crypto),
      ],
    },
    x509Crypto,
  );

  const signerKeys = (await webcrypto.subtle.generateKey(params.gen, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const signer = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: `CN=${options.commonName ?? 'provmark development signer'}, O=${org}`,
      issuer: ca.subject,
      notBefore,
      notAfter: new Date(notBefore.getTime() + validDays * DAY_MS),
      signingAlgorithm: params.sign,
      publicKey: signerKeys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(
          [OID_EMAIL_PROTECTION, OID_DOCUMENT_SIGNING, OID_C2PA_CLAIM_SIGNING],
          false,
        ),
        await x509.SubjectKeyIdentifierExtension.create(signerKeys.publicKey, false, x509Crypto),
        await x509.AuthorityKeyIdentifierExtension.create(ca, false, x509Crypto),
      ],
    },
    x509Crypto,
  );

  const signerKeyPem = pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', signerKeys.privateKey));
  const caKeyPem = pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', caKeys.privateKey));
  const signerCertPem = signer.toString('pem') + '\n';
  const caCertPem = ca.toString('pem') + '\n';
  return { alg, caCertPem, caKeyPem, signerCertPem, signerKeyPem, chainPem: signerCertPem + caCertPem };
}
