/**
 * COSE_Sign1 (RFC 9052 §4.2) as C2PA uses it for claim signatures (C2PA 2.x §14.2):
 * detached payload, protected header `{1: alg, 33: x5chain}`, and an unprotected `pad`
 * byte string so the structure fills exactly the space the engine reserved. A time-stamp, when
 * there is one, goes into the unprotected `sigTst2` header (C2PA 2.1+ §10.3.2.5, "v2").
 */
import { Decoder, Encoder, Tag } from 'cbor-x';

/** COSE algorithm identifiers (IANA COSE Algorithms registry). */
export const COSE_ALG = {
  Ed25519: -8,
  ES256: -7,
  ES384: -35,
  ES512: -36,
  PS256: -37,
  PS384: -38,
  PS512: -39,
} as const;
export type SigningAlgorithm = keyof typeof COSE_ALG;

const HEADER_ALG = 1;
const HEADER_X5CHAIN = 33;
const COSE_SIGN1_TAG = 18;

// Maps must encode as CBOR maps (not objects with string keys) and byte strings as bstr.
const cbor = new Encoder({
  mapsAsObjects: false,
  useRecords: false,
  variableMapSize: true,
  tagUint8Array: false,
});

const encode = (value: unknown): Uint8Array => {
  const out = cbor.encode(value);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
};

/** The serialized protected header for `alg` and the certificate chain (leaf first, DER). */
export function encodeProtectedHeader(alg: SigningAlgorithm, chain: readonly Uint8Array[]): Uint8Array {
  const x5chain = chain.length === 1 ? chain[0] : [...chain];
  return encode(
    new Map<number, unknown>([
      [HEADER_ALG, COSE_ALG[alg]],
      [HEADER_X5CHAIN, x5chain],
    ]),
  );
}

/**
 * Sig_structure for COSE_Sign1 (RFC 9052 §4.4): what the signature covers. C2PA signs a detached
 * payload (the claim) with empty external AAD; `externalAad` is there for the RFC's test vectors.
 */
export function encodeSigStructure(
  protectedHeader: Uint8Array,
  payload: Uint8Array,
  externalAad: Uint8Array = new Uint8Array(0),
): Uint8Array {
  return encode(['Signature1', protectedHeader, externalAad, payload]);
}

/** A decoded COSE_Sign1 (RFC 9052 §4.2). */
export interface Sign1 {
  /** Whether the structure carried COSE_Sign1's CBOR tag 18. */
  readonly tagged: boolean;
  /** The protected header as serialized (the bytes the signature covers). */
  readonly protectedHeader: Uint8Array;
  readonly protected: ReadonlyMap<unknown, unknown>;
  readonly unprotected: ReadonlyMap<unknown, unknown>;
  /** Null when the payload is detached (C2PA: the claim). */
  readonly payload: Uint8Array | null;
  readonly signature: Uint8Array;
  /** The `alg` header (protected first, then unprotected) when it is one provmark signs with. */
  readonly alg: SigningAlgorithm | undefined;
}

const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });

const bytesOf = (v: unknown): Uint8Array | undefined =>
  v instanceof Uint8Array ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : undefined;

/** Decode a COSE_Sign1, tagged or untagged; undefined when the bytes are not one. */
export function decodeSign1(bytes: Uint8Array): Sign1 | undefined {
  let value: unknown;
  try {
    value = decoder.decode(bytes);
  } catch {
    return undefined;
  }
  const tagged = value instanceof Tag;
  if (value instanceof Tag) {
    if (value.tag !== COSE_SIGN1_TAG) return undefined;
    value = value.value;
  }
  if (!Array.isArray(value) || value.length !== 4) return undefined;
  const [protectedRaw, unprotected, payloadRaw, signatureRaw] = value as unknown[];
  const protectedHeader = bytesOf(protectedRaw);
  const signature = bytesOf(signatureRaw);
  const payload = payloadRaw === null ? null : bytesOf(payloadRaw);
  if (!protectedHeader || !signature || payload === undefined || !(unprotected instanceof Map))
    return undefined;
  let protectedMap: unknown = new Map();
  if (protectedHeader.length > 0) {
    try {
      protectedMap = decoder.decode(protectedHeader);
    } catch {
      return undefined;
    }
  }
  if (!(protectedMap instanceof Map)) return undefined;
  const algId = protectedMap.get(HEADER_ALG) ?? unprotected.get(HEADER_ALG);
  const alg = (Object.keys(COSE_ALG) as SigningAlgorithm[]).find((name) => COSE_ALG[name] === algId);
  return { tagged, protectedHeader, protected: protectedMap, unprotected, payload, signature, alg };
}

/**
 * The bytes a v2 (`sigTst2`) time-stamp covers (C2PA 2.1 §10.3.2.5, as c2pa-rs builds and checks it): a COSE countersignature
 * Sig_structure (RFC 9338 §3.3, context "CounterSignature") over the protected header with
 * empty external AAD, whose payload is the claim signature encoded as a CBOR byte string.
 * The time-stamp's message imprint is the hash of these bytes.
 */
export function encodeTimestampedData(protectedHeader: Uint8Array, signature: Uint8Array): Uint8Array {
  return encode(['CounterSignature', protectedHeader, new Uint8Array(0), encode(signature)]);
}

/**
 * The `sigTst2` header value: a `tstContainer` map `{tstTokens: [{val: TimeStampToken}]}`
 * (C2PA 2.1 §10.3.2.5.4); v2 stores the DER TimeStampToken, not the whole TimeStampResp.
 */
function timestampContainer(token: Uint8Array): Map<string, unknown> {
  return new Map([['tstTokens', [new Map([['val', token]])]]]);
}

function encodeSign1(
  protectedHeader: Uint8Array,
  signature: Uint8Array,
  padLength: number | undefined,
  timestampToken: Uint8Array | undefined,
): Uint8Array {
  const unprotected = new Map<string, unknown>();
  if (timestampToken) unprotected.set('sigTst2', timestampContainer(timestampToken));
  if (padLength !== undefined) unprotected.set('pad', new Uint8Array(padLength));
  return encode(new Tag([protectedHeader, unprotected, null, signature], COSE_SIGN1_TAG));
}

/**
 * Assemble a tagged COSE_Sign1 padded to exactly `reserveSize` bytes, with the time-stamp token
 * (DER TimeStampToken over {@link encodeTimestampedData}) in `sigTst2` when one is given.
 * Returns undefined when the signature, chain and token do not fit in the reserved space.
 */
export function encodePaddedSign1(
  protectedHeader: Uint8Array,
  signature: Uint8Array,
  reserveSize: number,
  timestampToken?: Uint8Array,
): Uint8Array | undefined {
  // The length prefix of the pad grows with the pad, so search the few lengths near the estimate.
  const bare = encodeSign1(protectedHeader, signature, 0, timestampToken).length;
  const base = reserveSize - bare;
  for (let pad = Math.max(0, base - 10); pad <= base; pad++) {
    const out = encodeSign1(protectedHeader, signature, pad, timestampToken);
    if (out.length === reserveSize) return out;
  }
  return undefined;
}
