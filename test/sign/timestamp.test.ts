import fc from 'fast-check';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWithEngine } from '../../src/c2pa/build.js';
import { engineContextJson } from '../../src/c2pa/context.js';
import { encodeTimestampedData } from '../../src/c2pa/cose.js';
import { ProvmarkError } from '../../src/errors.js';
import {
  createPemSigner,
  generateDevCredentials,
  sign,
  type DevCredentials,
  type Signer,
} from '../../src/sign/index.js';
import { buildManifestDefinition } from '../../src/sign/manifest.js';
import { encodeTimestampRequest, requestTimestamp } from '../../src/sign/timestamp.js';
import { inspect, verify, type VerifyReport } from '../../src/verify/index.js';
import { devSigner } from '../helpers/credentials.js';
import { makeImage } from '../helpers/media.js';
import { startLocalTsa, type LocalTsa, type TsaBehaviour } from '../helpers/tsa.js';

let tsa: LocalTsa;
let image: Uint8Array;

beforeAll(async () => {
  tsa = await startLocalTsa();
  image = await makeImage('jpeg');
});
afterAll(() => tsa.close());

/** The signer's time-stamp time, when the report has an active manifest. */
function signerTime(report: VerifyReport): string | undefined {
  return 'activeManifest' in report ? report.activeManifest?.signer.time : undefined;
}

function codes(report: { statuses: readonly { kind: string; code: string }[] }, kind?: string): string[] {
  return report.statuses.filter((s) => !kind || s.kind === kind).map((s) => s.code);
}

async function timestampError(p: Promise<unknown>): Promise<ProvmarkError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProvmarkError);
  expect((err as ProvmarkError).code).toBe('ERR_TIMESTAMP');
  return err as ProvmarkError;
}

describe('time-stamped signing through a local TSA', () => {
  it('puts a token the engine validates into the signature; trusted when the TSA root is an anchor', async () => {
    const { creds, signer } = await devSigner();
    const before = Date.now();
    const requestsBefore = tsa.requests;
    const out = await sign(image, { signer, timestamp: { url: tsa.url } });
    const after = Date.now();
    expect(tsa.requests - requestsBefore).toBe(1);

    const withTsaRoot = await verify(out.bytes, { trust: { anchors: [creds.caCertPem, tsa.caCertPem] } });
    expect(withTsaRoot.state).toBe('trusted');
    expect(codes(withTsaRoot, 'success')).toEqual(
      expect.arrayContaining(['timeStamp.validated', 'timeStamp.trusted', 'signingCredential.trusted']),
    );
    expect(codes(withTsaRoot)).not.toContain('timeStamp.untrusted');
    // The signer's time is the time-stamp's genTime (whole seconds), taken during the sign call.
    const time = Date.parse(signerTime(withTsaRoot)!);
    expect(time).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
    expect(time).toBeLessThanOrEqual(after + 1000);

    // Without the TSA root the token still matches the signature but its issuer is not trusted.
    const signerRootOnly = await verify(out.bytes, { trust: { anchors: [creds.caCertPem] } });
    expect(signerRootOnly.state).toBe('trusted');
    expect(codes(signerRootOnly)).toEqual(
      expect.arrayContaining(['timeStamp.validated', 'timeStamp.untrusted']),
    );
    expect(codes(signerRootOnly)).not.toContain('timeStamp.trusted');
  });

  it('an unstamped signature reports no time-stamp at all', async () => {
    const { creds, signer } = await devSigner();
    const out = await sign(image, { signer });
    const report = await verify(out.bytes, { trust: { anchors: [creds.caCertPem, tsa.caCertPem] } });
    expect(report.state).toBe('trusted');
    expect(codes(report).filter((c) => c.startsWith('timeStamp.'))).toEqual([]);
    expect(signerTime(report)).toBeUndefined();
  });

  it('the token covers the v2 countersignature data: a token over other bytes is a timeStamp.mismatch', async () => {
    // Bypass sign()'s read-back: stamp the wrong bytes (the data for a signature one byte off).
    const { creds, signer } = await devSigner();
    const { asset } = await signWithEngine({
      definition: buildManifestDefinition(undefined, { mime: 'image/jpeg' }),
      contextJson: engineContextJson({ verifyAfterSign: false }),
      mime: 'image/jpeg',
      asset: image,
      signer,
      timestamp: async (data) => {
        const other = Uint8Array.from(data);
        other[other.length - 1] = other[other.length - 1]! ^ 1;
        return (await requestTimestamp(other, { url: tsa.url })).token;
      },
    });
    const report = await verify(asset, { trust: { anchors: [creds.caCertPem, tsa.caCertPem] } });
    expect(codes(report)).toContain('timeStamp.mismatch');
    expect(codes(report)).not.toContain('timeStamp.validated');
    expect(signerTime(report)).toBeUndefined();
  });

  it('a token larger than the reserved space is ERR_SIGNING_FAILED naming its size, not a broken file', async () => {
    const { signer } = await devSigner();
    const err = await signWithEngine({
      definition: buildManifestDefinition(undefined, { mime: 'image/jpeg' }),
      contextJson: engineContextJson({ verifyAfterSign: false }),
      mime: 'image/jpeg',
      asset: image,
      signer,
      timestamp: () => Promise.resolve(new Uint8Array(20_000)),
    }).then(
      () => undefined,
      (e: unknown) => e as ProvmarkError,
    );
    expect(err?.code).toBe('ERR_SIGNING_FAILED');
    expect(err?.message).toMatch(/20000-byte time-stamp token do not fit/);
  });

  it('protects the CBOR layout: the countersigned data is ["CounterSignature", protected, h\'\', bstr(signature)]', () => {
    const data = encodeTimestampedData(Uint8Array.of(0xa1, 0x01, 0x27), Uint8Array.of(1, 2, 3));
    expect(Buffer.from(data).toString('hex')).toBe(
      // array(4), text(16) "CounterSignature", bstr(3) a10127, bstr(0), bstr(4) 43 010203
      '84' + '70' + Buffer.from('CounterSignature').toString('hex') + '43a10127' + '40' + '44' + '43010203',
    );
  });
});

describe('a signer certificate that has since expired', () => {
  let creds: DevCredentials;
  let stamped: Uint8Array;
  let unstamped: Uint8Array;

  beforeAll(async () => {
    // A signer certificate valid for a few more seconds: sign during its validity, then let it lapse.
    const notBefore = new Date(Date.now() - 3_600_000);
    const notAfter = Date.now() + 4_000;
    creds = await generateDevCredentials({
      notBefore,
      validDays: (notAfter - notBefore.getTime()) / 86_400_000,
    });
    const signer: Signer = await createPemSigner({ key: creds.signerKeyPem, certificate: creds.chainPem });
    stamped = (await sign(image, { signer, timestamp: { url: tsa.url } })).bytes;
    unstamped = (await sign(image, { signer })).bytes;
    await new Promise((r) => setTimeout(r, Math.max(0, notAfter - Date.now()) + 1_500));
    expect(Date.now()).toBeGreaterThan(notAfter);
  }, 30_000);

  it('stays trusted with a trusted time-stamp from inside its validity', async () => {
    // The TSA root as an ordinary anchor, or as a TSA anchor: the same result.
    for (const trust of [
      { anchors: [creds.caCertPem, tsa.caCertPem] },
      { anchors: [creds.caCertPem], tsaAnchors: [tsa.caCertPem] },
    ]) {
      const report = await verify(stamped, { trust });
      expect(report.state).toBe('trusted');
      expect(codes(report, 'failure')).toEqual([]);
      expect(codes(report)).toEqual(
        expect.arrayContaining(['timeStamp.trusted', 'signingCredential.trusted']),
      );
      const inspected = await inspect(stamped, { trust, detector: false });
      expect(inspected.verdict).toBe('verified');
    }
  });

  it('is an expired credential when the time-stamp is not trusted (the engine ignores it)', async () => {
    const report = await verify(stamped, { trust: { anchors: [creds.caCertPem] } });
    expect(report.state).toBe('invalid');
    expect(codes(report, 'failure')).toContain('signingCredential.expired');
    expect(codes(report)).toContain('timeStamp.untrusted');
    // Integrity is intact: the claim signature and the hashes still validate.
    expect(codes(report, 'success')).toEqual(
      expect.arrayContaining(['claimSignature.validated', 'assertion.dataHash.match']),
    );
  });

  it('is an expired credential without a time-stamp, with or without anchors, never tampered', async () => {
    for (const trust of [{ anchors: [creds.caCertPem, tsa.caCertPem] }, undefined]) {
      const report = await verify(unstamped, trust ? { trust } : {});
      expect(report.state).toBe('invalid');
      expect(codes(report, 'failure')).toContain('signingCredential.expired');
      expect(codes(report, 'success')).toEqual(
        expect.arrayContaining(['claimSignature.validated', 'assertion.dataHash.match']),
      );
      const inspected = await inspect(unstamped, { ...(trust ? { trust } : {}), detector: false });
      expect(inspected.verdict).toBe('invalid-credential');
      expect(inspected.summary).not.toMatch(/changed after signing/);
    }
    // The stamped file with an untrusted TSA is the same credential problem.
    const inspected = await inspect(stamped, { trust: { anchors: [creds.caCertPem] }, detector: false });
    expect(inspected.verdict).toBe('invalid-credential');
  });
});

describe('a TSA that cannot give a usable time-stamp is ERR_TIMESTAMP, and nothing is signed', () => {
  const cases: [TsaBehaviour, RegExp][] = [
    ['garbage', /not an RFC 3161 time-stamp response/],
    ['http-error', /HTTP 500/],
    ['rejection', /refused the request \(status 2, badAlg\)/],
    ['wrong-imprint', /message imprint is not the one requested/],
    ['no-nonce', /omits the requested nonce/],
  ];
  it.each(cases)('%s', async (behaviour, message) => {
    const { signer } = await devSigner();
    tsa.behaviour = behaviour;
    try {
      const err = await timestampError(sign(image, { signer, timestamp: { url: tsa.url } }));
      expect(err.message).toMatch(message);
      expect(err.message).toContain(tsa.url);
      expect(err.details).toMatchObject({ url: tsa.url });
    } finally {
      tsa.behaviour = 'ok';
    }
  });

  it('a TSA that never answers times out', async () => {
    const { signer } = await devSigner();
    tsa.behaviour = 'hang';
    try {
      const started = Date.now();
      const err = await timestampError(sign(image, { signer, timestamp: { url: tsa.url, timeoutMs: 300 } }));
      expect(err.message).toMatch(/no answer within 300 ms/);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      tsa.behaviour = 'ok';
    }
  });

  it('an unreachable TSA', async () => {
    const { signer } = await devSigner();
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((r) => closed.close(() => r()));
    const url = `http://127.0.0.1:${port}/tsa`;
    const err = await timestampError(sign(image, { signer, timestamp: { url } }));
    expect(err.message).toMatch(/cannot connect \(.*ECONNREFUSED/);
    expect(err.details).toMatchObject({ url });
  });

  it('any truncated or byte-changed TSA answer is ERR_TIMESTAMP, never another error', async () => {
    // One honest answer, recorded; a server then replays it with a random change. The replayed
    // token is for another request, so only a change that breaks parsing can alter the outcome.
    tsa.behaviour = 'ok';
    let answer = new Uint8Array(0);
    const recorder = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end(answer));
    });
    await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}/`;
    try {
      const query = encodeTimestampRequest(new Uint8Array(32).fill(7), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
      const honest = new Uint8Array(
        await (
          await fetch(tsa.url, {
            method: 'POST',
            headers: { 'content-type': 'application/timestamp-query' },
            body: query as Uint8Array<ArrayBuffer>,
          })
        ).arrayBuffer(),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: honest.length - 1 }),
          fc.integer({ min: 0, max: 256 }),
          async (at, change) => {
            // change 256: truncate at `at`; otherwise XOR the byte there with change (0 = unchanged).
            answer = change === 256 ? honest.subarray(0, at) : Uint8Array.from(honest);
            if (change !== 256) answer[at] = answer[at]! ^ change;
            const err = await requestTimestamp(new Uint8Array(8), { url }).then(
              () => undefined,
              (e: unknown) => e,
            );
            expect(err).toBeInstanceOf(ProvmarkError);
            expect((err as ProvmarkError).code).toBe('ERR_TIMESTAMP');
          },
        ),
        { numRuns: 150 },
      );
    } finally {
      await new Promise<void>((r) => recorder.close(() => r()));
    }
  });

  it('misuse is a TypeError/RangeError before any work', async () => {
    const { signer } = await devSigner();
    const requests = tsa.requests;
    await expect(sign(image, { signer, timestamp: { url: 'ftp://tsa.example' } })).rejects.toThrow(
      /Expected an http\(s\) URL for timestamp.url/,
    );
    await expect(sign(image, { signer, timestamp: { url: 'not a url' } })).rejects.toThrow(RangeError);
    await expect(sign(image, { signer, timestamp: { url: tsa.url, timeoutMs: 0 } })).rejects.toThrow(
      /Expected integer between 1 and 600000 for timestamp.timeoutMs but received 0/,
    );
    await expect(sign(image, { signer, timestamp: {} as { url: string } })).rejects.toThrow(TypeError);
    expect(tsa.requests).toBe(requests);
  });
});
