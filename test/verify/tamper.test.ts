import { describe, expect, it } from 'vitest';
import { JPEG, PNG } from '@trustnxt/c2pa-ts/asset';
import { SuperBox } from '@trustnxt/c2pa-ts/jumbf';
import { ManifestStore } from '@trustnxt/c2pa-ts/manifest';
import { sign, type Signer } from '../../src/sign/index.js';
import { verify } from '../../src/verify/index.js';
import { devSigner } from '../helpers/credentials.js';
import { indexOfBytes, jpegSegments } from '../helpers/jpeg.js';
import { makeImage } from '../helpers/media.js';

const codesOf = (r: { statuses: readonly { code: string; kind: string }[] }) =>
  r.statuses.filter((s) => s.kind === 'failure').map((s) => s.code);

/** A signer that remembers the last signature it made, to find it in the file. */
function recording(signer: Signer): Signer & { last?: Uint8Array } {
  const r: Signer & { last?: Uint8Array } = {
    alg: signer.alg,
    certificateChain: signer.certificateChain,
    sign: async (d) => (r.last = await signer.sign(d)),
  };
  return r;
}

describe('tamper matrix', () => {
  it('a byte flipped in the JPEG scan data -> invalid, assertion.dataHash.mismatch', async () => {
    const { creds, signer } = await devSigner();
    const out = await sign(await makeImage('jpeg'), { signer });
    const bytes = out.bytes.slice();
    const { scanStart } = jpegSegments(bytes);
    bytes[scanStart + 200] = bytes[scanStart + 200]! ^ 0x01;
    const r = await verify(bytes, { trust: { anchors: [creds.caCertPem] } });
    expect(r.state).toBe('invalid');
    expect(codesOf(r)).toContain('assertion.dataHash.mismatch');
  });

  it('a byte flipped in the PNG IDAT -> invalid, assertion.dataHash.mismatch', async () => {
    const { creds, signer } = await devSigner();
    const out = await sign(await makeImage('png'), { signer });
    const bytes = out.bytes.slice();
    const idat = indexOfBytes(bytes, new TextEncoder().encode('IDAT'));
    bytes[idat + 40] = bytes[idat + 40]! ^ 0x01;
    const r = await verify(bytes, { trust: { anchors: [creds.caCertPem] } });
    expect(r.state).toBe('invalid');
    expect(codesOf(r)).toContain('assertion.dataHash.mismatch');
  });

  it('an assertion changed -> invalid, assertion.hashedURI.mismatch', async () => {
    const { creds, signer } = await devSigner();
    const marker = 'tamper-target-ABCDEFGH';
    const out = await sign(await makeImage('jpeg'), {
      signer,
      manifest: { assertions: [{ label: 'com.example.note', data: { note: marker } }] },
    });
    const bytes = out.bytes.slice();
    const at = indexOfBytes(bytes, new TextEncoder().encode(marker));
    expect(at).toBeGreaterThan(0);
    bytes[at] = 'X'.charCodeAt(0);
    const r = await verify(bytes, { trust: { anchors: [creds.caCertPem] } });
    expect(r.state).toBe('invalid');
    expect(codesOf(r)).toContain('assertion.hashedURI.mismatch');
  });

  it('a signature bit flipped -> invalid, claimSignature.mismatch', async () => {
    const { creds, signer } = await devSigner();
    const rec = recording(signer);
    const out = await sign(await makeImage('jpeg'), { signer: rec });
    const bytes = out.bytes.slice();
    const at = indexOfBytes(bytes, rec.last!);
    expect(at).toBeGreaterThan(0);
    bytes[at + 10] = bytes[at + 10]! ^ 0x04;
    const r = await verify(bytes, { trust: { anchors: [creds.caCertPem] } });
    expect(r.state).toBe('invalid');
    expect(codesOf(r)).toContain('claimSignature.mismatch');
  });

  it('a manifest transplanted from another file -> invalid, assertion.dataHash.mismatch', async () => {
    const { creds, signer } = await devSigner();
    const donor = (await sign(await makeImage('jpeg', 320, 240), { signer })).bytes;
    const target = await makeImage('jpeg', 320, 240, 999);
    // Move the donor's APP11 (JUMBF) segments into the unsigned target, right after its SOI.
    const app11 = jpegSegments(donor).segments.filter((s) => s.marker === 0xeb);
    expect(app11.length).toBeGreaterThan(0);
    const parts = [
      target.subarray(0, 2),
      ...app11.map((s) => donor.subarray(s.start, s.end)),
      target.subarray(2),
    ];
    const forged = new Uint8Array(Buffer.concat(parts));
    const r = await verify(forged, { trust: { anchors: [creds.caCertPem] } });
    expect(r.state).toBe('invalid');
    expect(codesOf(r)).toContain('assertion.dataHash.mismatch');
  });
});

describe('a second, independent verifier (c2pa-ts)', () => {
  it.each(['jpeg', 'png'] as const)(
    'validates the %s files we sign, and flags a flipped byte',
    async (format) => {
      const { signer } = await devSigner();
      const out = await sign(await makeImage(format), { signer, manifest: { title: 'cross-check' } });
      const check = async (bytes: Uint8Array) => {
        const buf = new Uint8Array(bytes) as Uint8Array<ArrayBuffer>;
        const asset = format === 'jpeg' ? new JPEG(buf) : new PNG(buf);
        const store = ManifestStore.read(
          SuperBox.fromBuffer(asset.getManifestJUMBF()! as Uint8Array<ArrayBuffer>),
        );
        return store.validate(asset);
      };
      const good = await check(out.bytes);
      expect(good.isValid, JSON.stringify(good.statusEntries.filter((e) => !e.success))).toBe(true);
      const bytes = out.bytes.slice();
      const at =
        format === 'jpeg'
          ? jpegSegments(bytes).scanStart + 100
          : indexOfBytes(bytes, new TextEncoder().encode('IDAT')) + 40;
      bytes[at] = bytes[at]! ^ 0x01;
      const bad = await check(bytes);
      expect(bad.isValid).toBe(false);
      expect(bad.statusEntries.map((e) => e.code)).toContain('assertion.dataHash.mismatch');
    },
  );
});
