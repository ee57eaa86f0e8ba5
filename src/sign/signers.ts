/**
 * Signers produce the raw signature over the COSE Sig_structure; provmark wraps it into COSE_Sign1.
 * Three kinds: Ed25519 via @noble/ed25519, ECDSA/RSA-PSS via WebCrypto, and a callback for keys
 * that live in a KMS or HSM. noble's SHA-512 is left as it ships (WebCrypto's `globalThis.crypto`,
 * present in every supported Node): provmark replaces none of its hashes.
 */
import * as ed from '@noble/ed25519';
import {
  constants,
  createPrivateKey,
  createPublicKey,
  verify as nodeVerify,
  webcrypto,
  type KeyObject,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CredentialError, FileError } from '../errors.js';
import type { SigningAlgorithm } from '../c2pa/cose.js';
import {
  assertSignerCertificate,
  leafPublicKey,
  parseCertificate,
  parseCertificateChain,
} from './certificates.js';

export type { SigningAlgorithm } from '../c2pa/cose.js';

/**
 * Something that can sign C2PA claims. `sign` returns the raw signature in the form COSE
 * expects for `alg` (Ed25519: 64 bytes; ECDSA: r‖s, RFC 9053 §2.1; PS256: RSASSA-PSS, salt = hash length).
 */
export interface Signer {
  readonly alg: SigningAlgorithm;
  /** DER certificates, signer first, then intermediates (the root is optional). */
  readonly certificateChain: readonly Uint8Array[];
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** PEM text, a path to a PEM file, or DER bytes. */
export type PemInput = string | Uint8Array;

async function readPemInput(input: PemInput, name: string): Promise<string | Uint8Array> {
  if (input instanceof Uint8Array) return input;
  if (typeof input !== 'string' || input.length === 0) {
    throw new TypeError(`Expected PEM text, a file path or DER bytes for ${name}`);
  }
  if (input.includes('-----BEGIN')) return input;
  try {
    return await readFile(input, 'utf8');
  } catch (err) {
    throw new FileError(
      'ERR_FILE_NOT_FOUND',
      `Cannot read ${name} file ${input}: ${(err as Error).message}`,
      {
        hint: `Give the path of the ${name} PEM file, or the PEM text itself.`,
        cause: err,
      },
    );
  }
}

async function loadChain(input: PemInput | readonly Uint8Array[]): Promise<Uint8Array[]> {
  if (Array.isArray(input)) {
    if (input.length === 0) throw new RangeError('Expected at least one certificate in certificate');
    for (const [i, d] of (input as Uint8Array[]).entries()) await parseCertificate(d, i);
    return [...(input as Uint8Array[])];
  }
  const data = await readPemInput(input as PemInput, 'certificate');
  if (data instanceof Uint8Array) {
    await parseCertificate(data);
    return [data];
  }
  return parseCertificateChain(data);
}

function loadPrivateKey(data: string | Uint8Array): KeyObject {
  try {
    if (typeof data === 'string') return createPrivateKey(data);
    return createPrivateKey({ key: Buffer.from(data), format: 'der', type: 'pkcs8' });
  } catch (err) {
    throw new CredentialError(
      'ERR_INVALID_KEY',
      `The private key cannot be parsed: ${(err as Error).message}`,
      {
        hint: 'Give an unencrypted PKCS#8 ("BEGIN PRIVATE KEY"), SEC1 EC or PKCS#1 RSA PEM key.',
        cause: err,
      },
    );
  }
}

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

function assertKeyMatchesCertificate(key: KeyObject, chain: readonly Uint8Array[]): void {
  if (!spki(createPublicKey(key)).equals(spki(leafPublicKey(chain)))) {
    throw new CredentialError(
      'ERR_KEY_CERT_MISMATCH',
      'The private key does not match the signer certificate',
      {
        hint: 'Use the key the certificate was issued for (the first certificate in --cert is the signer).',
      },
    );
  }
}

function algorithmOf(key: KeyObject, requested: SigningAlgorithm | undefined): SigningAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return 'Ed25519';
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    if (curve === 'secp384r1') return 'ES384';
    if (curve === 'secp521r1') return 'ES512';
    throw new CredentialError('ERR_INVALID_KEY', `Unsupported EC curve ${String(curve)}`, {
      hint: 'C2PA allows P-256, P-384 and P-521.',
    });
  }
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048)
      throw new CredentialError('ERR_INVALID_KEY', `RSA keys must be at least 2048 bits (got ${bits})`);
    if (requested && !requested.startsWith('PS')) {
      throw new RangeError(
        `Expected PS256, PS384 or PS512 for alg with an RSA key but received ${requested}`,
      );
    }
    return requested ?? 'PS256';
  }
  throw new CredentialError('ERR_INVALID_KEY', `Unsupported key type ${String(type)}`, {
    hint: 'C2PA signing keys are Ed25519, ECDSA (P-256/384/521) or RSA (PSS).',
  });
}

const WEBCRYPTO: Record<
  Exclude<SigningAlgorithm, 'Ed25519'>,
  { import: RsaHashedImportParams | EcKeyImportParams; sign: EcdsaParams | RsaPssParams }
> = {
  ES256: {
    import: { name: 'ECDSA', namedCurve: 'P-256' },
    sign: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
  },
  ES384: {
    import: { name: 'ECDSA', namedCurve: 'P-384' },
    sign: { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams,
  },
  ES512: {
    import: { name: 'ECDSA', namedCurve: 'P-521' },
    sign: { name: 'ECDSA', hash: 'SHA-512' } as EcdsaParams,
  },
  PS256: { import: { name: 'RSA-PSS', hash: 'SHA-256' }, sign: { name: 'RSA-PSS', saltLength: 32 } },
  PS384: { import: { name: 'RSA-PSS', hash: 'SHA-384' }, sign: { name: 'RSA-PSS', saltLength: 48 } },
  PS512: { import: { name: 'RSA-PSS', hash: 'SHA-512' }, sign: { name: 'RSA-PSS', saltLength: 64 } },
};

export interface PemSignerOptions {
  /** Private key: PEM text, a path to a PEM file, or PKCS#8 DER bytes. */
  readonly key: PemInput;
  /** Certificate chain: PEM text (signer first), a path to a PEM file, or DER certificates. */
  readonly certificate: PemInput | readonly Uint8Array[];
  /** For RSA keys: PS256 (default), PS384 or PS512. Other key types imply their algorithm. */
  readonly alg?: SigningAlgorithm;
  /** Skip the certificate profile and validity checks (for testing invalid files only). */
  readonly skipCertificateChecks?: boolean;
}

/**
 * A signer from a PEM private key and certificate chain. The algorithm follows the key
 * (Ed25519, ES256/384/512, PS256); the key is checked against the certificate first.
 *
 * @example
 * ```ts
 * const signer = await createPemSigner({ key: 'signer.key.pem', certificate: 'chain.pem' });
 * ```
 */
export async function createPemSigner(options: PemSignerOptions): Promise<Signer> {
  if (!options || typeof options !== 'object')
    throw new TypeError('Expected an options object with key and certificate');
  const chain = await loadChain(options.certificate);
  const key = loadPrivateKey(await readPemInput(options.key, 'key'));
  const alg = algorithmOf(key, options.alg);
  assertKeyMatchesCertificate(key, chain);
  if (!options.skipCertificateChecks) await assertSignerCertificate(chain);
  if (alg === 'Ed25519') {
    const seed = Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url');
    return ed25519Signer(new Uint8Array(seed), chain);
  }
  const params = WEBCRYPTO[alg];
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  let cryptoKey: CryptoKey;
  try {
    cryptoKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, params.import, false, ['sign']);
  } catch (err) {
    throw new CredentialError(
      'ERR_INVALID_KEY',
      `WebCrypto cannot use this ${alg} key: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return {
    alg,
    certificateChain: chain,
    sign: async (data) =>
      new Uint8Array(await webcrypto.subtle.sign(params.sign, cryptoKey, data as Uint8Array<ArrayBuffer>)),
  };
}

function ed25519Signer(seed: Uint8Array, chain: Uint8Array[]): Signer {
  return { alg: 'Ed25519', certificateChain: chain, sign: (data) => ed.signAsync(data, seed) };
}

export interface Ed25519SignerOptions {
  /** 32-byte raw secret key (seed), or a PEM private key (text or path). */
  readonly privateKey: Uint8Array | string;
  readonly certificate: PemInput | readonly Uint8Array[];
  readonly skipCertificateChecks?: boolean;
}

/**
 * An Ed25519 signer from a raw 32-byte secret key or a PEM key.
 *
 * @example
 * ```ts
 * const signer = await createEd25519Signer({ privateKey: seed32, certificate: chainPem });
 * ```
 */
export async function createEd25519Signer(options: Ed25519SignerOptions): Promise<Signer> {
  const { privateKey } = options;
  if (typeof privateKey === 'string') {
    const signer = await createPemSigner({
      key: privateKey,
      certificate: options.certificate,
      skipCertificateChecks: options.skipCertificateChecks,
    });
    if (signer.alg !== 'Ed25519')
      throw new CredentialError(
        'ERR_INVALID_KEY',
        `Expected an Ed25519 key but the PEM holds a ${signer.alg} key`,
      );
    return signer;
  }
  if (!(privateKey instanceof Uint8Array))
    throw new TypeError('Expected Uint8Array or PEM string for privateKey');
  if (privateKey.length !== 32) {
    throw new RangeError(`Expected 32-byte Uint8Array for privateKey, got ${privateKey.length}`);
  }
  const chain = await loadChain(options.certificate);
  const pub = await ed.getPublicKeyAsync(privateKey);
  const certKey = leafPublicKey(chain);
  const certRaw =
    certKey.asymmetricKeyType === 'ed25519'
      ? Buffer.from(certKey.export({ format: 'jwk' }).x!, 'base64url')
      : undefined;
  if (!certRaw || !certRaw.equals(Buffer.from(pub))) {
    throw new CredentialError(
      'ERR_KEY_CERT_MISMATCH',
      'The Ed25519 key does not match the signer certificate',
      {
        hint: 'Use the key the certificate was issued for.',
      },
    );
  }
  if (!options.skipCertificateChecks) await assertSignerCertificate(chain);
  return ed25519Signer(new Uint8Array(privateKey), chain);
}

export interface CallbackSignerOptions {
  readonly alg: SigningAlgorithm;
  readonly certificate: PemInput | readonly Uint8Array[];
  /** Returns the raw signature over `data` (e.g. a call to a KMS or HSM). */
  readonly sign: (data: Uint8Array) => Promise<Uint8Array>;
  readonly skipCertificateChecks?: boolean;
}

/**
 * A signer whose key lives elsewhere (KMS/HSM). Each signature is verified against the
 * certificate before use, so a key/certificate mismatch fails with ERR_KEY_CERT_MISMATCH.
 *
 * @example
 * ```ts
 * const signer = await createCallbackSigner({ alg: 'ES256', certificate: chainPem, sign: (d) => kms.sign(d) });
 * ```
 */
export async function createCallbackSigner(options: CallbackSignerOptions): Promise<Signer> {
  if (typeof options?.sign !== 'function') throw new TypeError('Expected a function for sign');
  if (!(options.alg in WEBCRYPTO) && options.alg !== 'Ed25519')
    throw new RangeError(`Unsupported alg ${String(options.alg)}`);
  const chain = await loadChain(options.certificate);
  if (!options.skipCertificateChecks) await assertSignerCertificate(chain);
  return { alg: options.alg, certificateChain: chain, sign: options.sign };
}

/**
 * Verify a raw signature made by `signer` against its leaf certificate. Used after every
 * signing so that a wrong key (common with callback signers) is reported, not embedded.
 */
export function signatureMatchesCertificate(
  signer: Signer,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  return verifyRawSignature(signer.alg, leafPublicKey(signer.certificateChain), data, signature);
}

/**
 * Check a signature in the raw form COSE carries for `alg` (what {@link Signer.sign} returns:
 * Ed25519 64 bytes; ECDSA r‖s, RFC 9053 §2.1; RSASSA-PSS with salt = hash length, RFC 8230 §2)
 * over `data` (a Sig_structure) with the signer's public key.
 */
export function verifyRawSignature(
  alg: SigningAlgorithm,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  switch (alg) {
    case 'Ed25519':
      return nodeVerify(null, data, key, signature);
    case 'ES256':
    case 'ES384':
    case 'ES512': {
      const hash = { ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' }[alg];
      return nodeVerify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    }
    default: {
      const bits = alg.slice(2);
      return nodeVerify(
        `sha${bits}`,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8 },
        signature,
      );
    }
  }
}
