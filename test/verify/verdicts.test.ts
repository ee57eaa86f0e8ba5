/**
 * Every inspect verdict on files made here, and the cases the issue reproduced: a Microsoft-EKU
 * signer, an expired signer, a tampered ingredient, a recovered manifest that was changed, a
 * resolver that cannot be reached.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { openSqliteRepository, createHttpRepository } from '../../src/repository/index.js';
import { engineContextJson } from '../../src/c2pa/context.js';
import { signWithEngine } from '../../src/c2pa/build.js';
import { readManifestStore } from '../../src/c2pa/read.js';
import { buildManifestDefinition } from '../../src/sign/manifest.js';
import { protect } from '../../src/flows/protect.js';
import { sign } from '../../src/sign/index.js';
import { inspect, resolveTrust, verify, type ProvenanceReport } from '../../src/verify/index.js';
import { SOFT_BINDING_ALG, softBindingValue } from '../../src/watermark/softbinding.js';
import { devSigner } from '../helpers/credentials.js';
import { indexOfBytes } from '../helpers/jpeg.js';
import { makeImage } from '../helpers/media.js';
import { mintSigner, OID_MICROSOFT_C2PA } from '../helpers/mint.js';
import { photoLike } from '../helpers/photo.js';

const DAY = 86_400_000;
const failureCodes = (r: { statuses: readonly { code: string; kind: string }[] }) =>
  r.statuses.filter((s) => s.kind === 'failure').map((s) => s.code);
const flipAt = (bytes: Uint8Array, marker: string): Uint8Array => {
  const out = bytes.slice();
  const at = indexOfBytes(out, new TextEncoder().encode(marker));
  expect(at, `marker ${marker}`).toBeGreaterThan(0);
  out[at] = out[at]! ^ 0x01;
  return out;
};
/** Words a summary about a credential problem must not use. */
const CHANGED = /changed|tamper|modified/i;

describe('signer EKUs: the official C2PA list by default', () => {
  it('a Microsoft-EKU certificate is valid without anchors and trusted with its root', async () => {
    const { caCertPem, signer } = await mintSigner({ ekus: [OID_MICROSOFT_C2PA] });
    const out = await sign(await makeImage('jpeg'), { signer });
    const bare = await verify(out.bytes);
    expect(bare.state).toBe('valid');
    expect(failureCodes(bare)).toEqual(['signingCredential.untrusted']);
    expect((await verify(out.bytes, { trust: { anchors: [caCertPem] } })).state).toBe('trusted');
    const r = await inspect(out.bytes, { trust: { anchors: [caCertPem] }, detector: false });
    expect(r.verdict).toBe('verified');
  });

  it('an EKU outside an explicit list is a credential problem: invalid-credential, never tampered', async () => {
    const { caCertPem, signer } = await mintSigner({ ekus: [OID_MICROSOFT_C2PA] });
    const out = await sign(await makeImage('jpeg'), { signer });
    const trust = { anchors: [caCertPem], ekus: ['1.3.6.1.5.5.7.3.4'] };
    const v = await verify(out.bytes, { trust });
    expect(v.state).toBe('invalid');
    expect(failureCodes(v)).toContain('signingCredential.invalid');
    const r = await inspect(out.bytes, { trust, detector: false });
    expect(r.verdict).toBe('invalid-credential');
    expect(r.summary).toContain('certificate profile');
    expect(r.summary).not.toMatch(CHANGED);
  });
});

describe('an expired signer is a credential problem, not tampering', () => {
  // provmark's sign() refuses an expired certificate twice (before signing, and by reading the
  // result back), so this file is signed through the engine call beneath sign(): it is what another
  // producer with an expired certificate and no time-stamp would write.
  it('expired without a time-stamp -> engine Invalid, inspect invalid-credential', async () => {
    const now = Date.now();
    const { caCertPem, signer } = await mintSigner({
      ekus: ['1.3.6.1.5.5.7.3.4', '1.3.6.1.5.5.7.3.36'],
      notBefore: new Date(now - 30 * DAY),
      notAfter: new Date(now - 2 * DAY),
    });
    const out = await signWithEngine({
      definition: buildManifestDefinition({ title: 'expired' }, { mime: 'image/jpeg' }),
      contextJson: engineContextJson({ verifyAfterSign: false }),
      mime: 'image/jpeg',
      asset: await makeImage('jpeg'),
      signer,
    });
    for (const trust of [undefined, { anchors: [caCertPem] }]) {
      const v = await verify(out.asset, trust ? { trust } : {});
      expect(v.state).toBe('invalid');
      expect(failureCodes(v)).toContain('signingCredential.expired');
      const r = await inspect(out.asset, { ...(trust ? { trust } : {}), detector: false });
      expect(r.verdict).toBe('invalid-credential');
      expect(r.summary).toContain('expired');
      expect(r.summary).not.toMatch(CHANGED);
    }
  });
});

describe('untrusted-signer', () => {
  it('an intact file from a signer not on the lists', async () => {
    const { signer } = await devSigner();
    const out = await sign(await makeImage('jpeg'), { signer, manifest: { title: 'untrusted one' } });
    const r = await inspect(out.bytes, { detector: false });
    expect(r.verdict).toBe('untrusted-signer');
    expect(r.summary).toContain('not on the configured trust lists');
  });
});

describe('a tampered ingredient makes the whole file invalid', () => {
  it.each([
    ['the parent manifest title', 'ParentTitle-QWERTY'],
    ['an action of the parent', 'parent-agent-ZXCVB'],
    ['an assertion of the parent', 'parent-note-ASDFG'],
  ])('one byte of %s changed inside the child -> invalid, tampered', async (_what, marker) => {
    const { creds, signer } = await devSigner();
    const trust = { anchors: [creds.caCertPem] };
    const parent = await sign(await makeImage('jpeg', 320, 240, 11), {
      signer,
      manifest: {
        title: 'ParentTitle-QWERTY',
        actions: [{ action: 'c2pa.color_adjustments', softwareAgent: 'parent-agent-ZXCVB' }],
        assertions: [{ label: 'com.example.note', data: { note: 'parent-note-ASDFG' } }],
      },
    });
    const child = await sign(await makeImage('jpeg', 320, 240, 12), {
      signer,
      parent: parent.bytes,
      trust,
      manifest: { title: 'child' },
    });
    expect((await verify(child.bytes, { trust })).state).toBe('trusted');
    const bytes = flipAt(child.bytes, marker);
    const v = await verify(bytes, { trust });
    expect(v.state).toBe('invalid');
    if (v.state !== 'invalid') return;
    const ingredientFailures = v.ingredients.flatMap((i) => failureCodes(i));
    expect([...failureCodes(v), ...ingredientFailures].some((c) => c.endsWith('.mismatch'))).toBe(true);
    const r = await inspect(bytes, { trust, detector: false });
    expect(r.verdict).toBe('tampered');
  });

  it('a byte of the parent thumbnail changed inside the child -> invalid, tampered', async () => {
    const { creds, signer } = await devSigner();
    const trust = { anchors: [creds.caCertPem] };
    const parent = await sign(await makeImage('jpeg', 320, 240, 21), { signer, manifest: { title: 'p' } });
    const child = await sign(await makeImage('jpeg', 320, 240, 22), { signer, parent: parent.bytes, trust });
    // The parent's manifest (with its claim thumbnail, a JPEG) travels whole inside the child's
    // store: take 32 bytes from inside that thumbnail's scan data and find them in the child.
    const label = indexOfBytes(parent.manifestStore, new TextEncoder().encode('c2pa.thumbnail.claim'));
    expect(label).toBeGreaterThan(0);
    const soi = indexOfBytes(parent.manifestStore.subarray(label), new Uint8Array([0xff, 0xd8, 0xff]));
    const probe = parent.manifestStore.subarray(label + soi + 700, label + soi + 732);
    const at = indexOfBytes(child.bytes, probe);
    expect(at).toBeGreaterThan(0);
    const bytes = child.bytes.slice();
    bytes[at + 5] = bytes[at + 5]! ^ 0x01;
    expect((await verify(bytes, { trust })).state).toBe('invalid');
    expect((await inspect(bytes, { trust, detector: false })).verdict).toBe('tampered');
  });
});

describe('recovered manifests and resolvers', () => {
  /** A platform's re-encode: the embedded manifest is gone, the watermark stays. */
  const reencode = async (bytes: Uint8Array) =>
    new Uint8Array(await sharp(bytes).jpeg({ quality: 85 }).toBuffer());

  it('a recovered manifest that was changed in the repository -> tampered; an unreachable resolver is said so', async () => {
    const { creds, signer } = await devSigner();
    const trust = { anchors: [creds.caCertPem] };
    const dir = await mkdtemp(join(tmpdir(), 'provmark-verdicts-'));
    const good = await openSqliteRepository({ path: join(dir, 'good.db') });
    const bad = await openSqliteRepository({ path: join(dir, 'bad.db') });
    try {
      const p = await protect(await photoLike(640, 480, 5), {
        signer,
        repository: good,
        manifest: { title: 'Recovered-Title-MNBVC' },
      });
      await bad.put({
        manifestId: p.manifestId,
        manifestStore: flipAt(p.manifestStore, 'Recovered-Title-MNBVC'),
        bindings: [{ alg: SOFT_BINDING_ALG, value: softBindingValue(p.softBindingId) }],
        format: 'image/jpeg',
      });
      const shared = await reencode(p.bytes);
      const ok = await inspect(shared, { trust, repository: good, detector: false });
      expect(ok.verdict).toBe('recovered');
      // Differential: the recovered state is the bare engine's state of the signed original.
      const original = await readManifestStore(
        p.bytes,
        'image/jpeg',
        engineContextJson({ trust: await resolveTrust(trust) }),
      );
      expect(original.kind === 'store' && original.store.validation_state?.toLowerCase()).toBe(
        ok.recovered?.state,
      );
      const r: ProvenanceReport = await inspect(shared, { trust, repository: bad, detector: false });
      expect(r.recovered?.state).toBe('invalid');
      expect(r.verdict).toBe('tampered');

      const down = createHttpRepository({ url: 'http://127.0.0.1:9' });
      const u = await inspect(shared, { trust, resolver: down, detector: false });
      expect(u.verdict).toBe('no-provenance');
      expect(u.summary).toContain('could not be reached');
      await down.close();
    } finally {
      await good.close();
      await bad.close();
    }
  });
});
