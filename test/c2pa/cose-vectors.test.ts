/**
 * COSE test vectors from the COSE Working Group's examples (test/c2pa/vectors/cose-wg-examples.json,
 * source and commits in the file): our COSE_Sign1 decoder reads them, our Sig_structure encoder
 * rebuilds the exact ToBeSigned bytes, and our signature check (the one run after every signing)
 * accepts their ES256 and Ed25519 signatures and refuses them over changed bytes.
 *
 * Not covered by these vectors: C2PA's v2 time-stamp structure (sigTst2, encodeTimestampedData) is
 * the 4-element "CounterSignature" form c2pa-rs builds, while the WG's countersignature examples
 * use RFC 8152's 5-element form with a countersigner header; test/sign/timestamp.test.ts checks it
 * against the engine instead.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeSign1,
  encodePaddedSign1,
  encodeProtectedHeader,
  encodeSigStructure,
} from '../../src/c2pa/cose.js';
import { verifyRawSignature } from '../../src/sign/signers.js';

interface Sign1Vector {
  file: string;
  title: string;
  plaintext: string;
  key: { kty: string; crv: string; x: string; y: string };
  alg: 'ES256';
  external: string;
  failures?: { ChangeProtected?: string; RemoveCBORTag?: number };
  ToBeSign_hex: string;
  cbor: string;
}

const data = JSON.parse(readFileSync(new URL('vectors/cose-wg-examples.json', import.meta.url), 'utf8')) as {
  sign1: Sign1Vector[];
  ed25519: { x_hex: string; signatures: { ToBeSign_hex: string; signature_hex: string }[] };
};

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const flip = (b: Uint8Array, i: number) => {
  const c = Uint8Array.from(b);
  c[i] = c[i]! ^ 1;
  return c;
};

describe('COSE_Sign1 examples (cose-wg/Examples sign1-tests)', () => {
  it.each(data.sign1.map((v) => [v.title, v] as const))('%s', (_title, v) => {
    const msg = decodeSign1(hex(v.cbor));
    expect(msg).toBeDefined();
    const m = msg!;
    expect(m.tagged).toBe(v.failures?.RemoveCBORTag !== 1);
    expect(m.alg).toBe(v.alg);
    expect(Buffer.from(m.payload!).toString('utf8')).toBe(v.plaintext);
    expect(m.signature).toHaveLength(64);
    expect(m.unprotected.get(4)).toEqual(new Uint8Array(Buffer.from('11')));

    // The example was signed with no protected header; sign-pass-01 then rewrote it to an encoded
    // empty map (a0), which the WG treats as the same: the signed bytes use the zero-length bstr.
    const rewritten = v.failures?.ChangeProtected !== undefined;
    expect(toHex(m.protectedHeader)).toBe(rewritten ? v.failures!.ChangeProtected!.toUpperCase() : 'A10126');
    const signedProtected = rewritten ? new Uint8Array(0) : m.protectedHeader;
    const tbs = encodeSigStructure(signedProtected, m.payload!, hex(v.external));
    expect(toHex(tbs)).toBe(v.ToBeSign_hex.toUpperCase());

    const key = createPublicKey({ key: { ...v.key }, format: 'jwk' });
    expect(verifyRawSignature('ES256', key, tbs, m.signature)).toBe(true);
    expect(verifyRawSignature('ES256', key, flip(tbs, tbs.length - 1), m.signature)).toBe(false);
    expect(verifyRawSignature('ES256', key, tbs, flip(m.signature, 10))).toBe(false);
    // Over the bytes as received, the rewritten header is not what was signed.
    if (rewritten)
      expect(
        verifyRawSignature('ES256', key, encodeSigStructure(m.protectedHeader, m.payload!), m.signature),
      ).toBe(false);
    // The wrong external AAD (C2PA's empty one where the example used one) fails too.
    if (v.external)
      expect(
        verifyRawSignature('ES256', key, encodeSigStructure(m.protectedHeader, m.payload!), m.signature),
      ).toBe(false);
  });
});

describe('Ed25519 signatures (cose-wg/Examples countersign/signed-01, RFC 8032 test key 1)', () => {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(data.ed25519.x_hex, 'hex').toString('base64url') },
    format: 'jwk',
  });
  it.each(data.ed25519.signatures.map((s, i) => [i, s] as const))('signature %i verifies', (_i, s) => {
    const tbs = hex(s.ToBeSign_hex);
    const sig = hex(s.signature_hex);
    expect(verifyRawSignature('Ed25519', key, tbs, sig)).toBe(true);
    expect(verifyRawSignature('Ed25519', key, flip(tbs, 3), sig)).toBe(false);
  });
});

describe('our own COSE_Sign1 decodes to what was encoded', () => {
  it('protected header {1: alg, 33: x5chain}, padding and a detached payload', () => {
    const cert = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);
    const header = encodeProtectedHeader('ES256', [cert]);
    // {1: -7, 33: h'3003020101'} in deterministic CBOR (RFC 8949 §4.2): the ES256 example's a10126 plus x5chain.
    expect(toHex(header)).toBe('A20126182145' + '3003020101');
    const signature = new Uint8Array(64).fill(7);
    const sign1 = encodePaddedSign1(header, signature, 200)!;
    expect(sign1).toHaveLength(200);
    const m = decodeSign1(sign1)!;
    expect(m).toMatchObject({ tagged: true, alg: 'ES256', payload: null });
    expect(m.protected.get(33)).toEqual(cert);
    expect(m.signature).toEqual(signature);
    expect(decodeSign1(sign1.subarray(0, 100))).toBeUndefined();
    expect(decodeSign1(new Uint8Array([0xd2, 0x80]))).toBeUndefined();
  });
});
