import { describe, expect, it } from 'vitest';
import { sign } from '../../src/sign/index.js';
import { verify } from '../../src/verify/index.js';
import { devSigner } from '../helpers/credentials.js';
import { hasFfmpeg, makeAv, makeImage, SVG } from '../helpers/media.js';

const images = ['jpeg', 'png', 'webp', 'avif', 'gif', 'tiff'] as const;
const avFormats = ['mp4', 'mov', 'm4a', 'wav', 'mp3'] as const;
const ffmpeg = await hasFfmpeg();

describe('sign -> verify round trip', () => {
  it.each(images)('%s is trusted with our CA and valid-but-untrusted without it', async (format) => {
    const { creds, signer } = await devSigner();
    const input = await makeImage(format);
    const out = await sign(input, {
      signer,
      manifest: { title: `test.${format}`, digitalSourceType: 'digitalCapture' },
    });
    expect(out.format).toBe(format);
    const trusted = await verify(out.bytes, { trust: { anchors: [creds.caCertPem] } });
    expect(trusted.state).toBe('trusted');
    if (trusted.state !== 'trusted') return;
    expect(trusted.activeManifest?.title).toBe(`test.${format}`);
    expect(trusted.activeManifest?.manifestId).toBe(out.manifestId);
    expect(trusted.activeManifest?.actions[0]).toMatchObject({
      action: 'c2pa.created',
      digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture',
    });
    expect(trusted.activeManifest?.signer).toMatchObject({
      commonName: 'provmark development signer',
      algorithm: 'Ed25519',
    });
    expect(
      trusted.activeManifest?.hasThumbnail ||
        trusted.activeManifest?.assertions.some((l) => l.startsWith('c2pa.thumbnail')),
    ).toBe(true);

    const untrusted = await verify(out.bytes);
    expect(untrusted.state).toBe('valid');
    expect(untrusted.statuses.filter((s) => s.kind === 'failure').map((s) => s.code)).toEqual([
      'signingCredential.untrusted',
    ]);
  });

  it('a HEIF container with heic brands is trusted (no HEVC encoder here: the AVIF payload is relabelled)', async () => {
    const { creds, signer } = await devSigner();
    const heif = Buffer.from(await makeImage('avif'));
    const ftypSize = heif.readUInt32BE(0);
    for (let o = 8; o < ftypSize; o += 4)
      if (heif.toString('latin1', o, o + 4) === 'avif') heif.write('heic', o, 'latin1');
    const out = await sign(new Uint8Array(heif), { signer, thumbnail: false });
    expect(out.format).toBe('heic');
    expect((await verify(out.bytes, { trust: { anchors: [creds.caCertPem] } })).state).toBe('trusted');
  });

  it('svg is trusted', async () => {
    const { creds, signer } = await devSigner();
    const out = await sign(SVG, { signer });
    expect(out.format).toBe('svg');
    expect((await verify(out.bytes, { trust: { anchors: [creds.caCertPem] } })).state).toBe('trusted');
  });

  it.skipIf(!ffmpeg).each(avFormats)('%s made by ffmpeg is trusted', async (format) => {
    const { creds, signer } = await devSigner();
    const input = await makeAv(format);
    const out = await sign(input, { signer, manifest: { title: `clip.${format}` } });
    expect(out.format).toBe(format);
    const report = await verify(out.bytes, { trust: { anchors: [creds.caCertPem] } });
    expect(report.state).toBe('trusted');
  });

  it('keeps author, custom assertions and extra actions', async () => {
    const { creds, signer } = await devSigner();
    const out = await sign(await makeImage('jpeg'), {
      signer,
      manifest: {
        title: 'custom',
        author: 'Ada Lovelace',
        claimGenerator: { name: 'ExampleCam', version: '2.1' },
        actions: [{ action: 'c2pa.color_adjustments', softwareAgent: 'ExampleCam' }],
        assertions: [{ label: 'com.example.settings', data: { iso: 200, exposure: '1/250' } }],
      },
    });
    const r = await verify(out.bytes, { trust: { anchors: [creds.caCertPem] }, detailed: true });
    expect(r.state).toBe('trusted');
    if (r.state !== 'trusted') return;
    const m = r.activeManifest!;
    expect(m.signer.issuer).toBe('provmark development CA (NOT FOR PRODUCTION)');
    expect(m.assertions).toEqual(
      expect.arrayContaining(['com.example.settings', 'stds.schema-org.CreativeWork', 'c2pa.hash.data']),
    );
    expect(m.actions.map((a) => a.action)).toEqual(['c2pa.created', 'c2pa.color_adjustments']);
    expect(m.claimGenerator).toBe('ExampleCam/2.1');
  });

  it('a sidecar leaves the asset unchanged and verifies with it', async () => {
    const { creds, signer } = await devSigner();
    const input = await makeImage('jpeg');
    const out = await sign(input, { signer, sidecar: true });
    expect(Buffer.compare(out.bytes, input)).toBe(0);
    const ok = await verify(input, { sidecar: out.manifestStore, trust: { anchors: [creds.caCertPem] } });
    expect(ok.state).toBe('trusted');
    const other = await makeImage('jpeg', 330, 240);
    const bad = await verify(other, { sidecar: out.manifestStore, trust: { anchors: [creds.caCertPem] } });
    expect(bad.state).toBe('invalid');
    expect(bad.statuses.map((s) => s.code)).toContain('assertion.dataHash.mismatch');
  });
});

describe('remote manifests', () => {
  it('a file that only links to its manifest reports the URL, and verifies with the published store', async () => {
    const { creds, signer } = await devSigner();
    const url = 'https://example.com/manifests/photo.c2pa';
    const out = await sign(await makeImage('jpeg'), { signer, sidecar: true, remoteUrl: url });
    const alone = await verify(out.bytes);
    expect(alone.state).toBe('remote');
    expect(alone.state === 'remote' && alone.remoteManifestUrl).toBe(url);
    const withStore = await verify(out.bytes, {
      sidecar: out.manifestStore,
      trust: { anchors: [creds.caCertPem] },
    });
    expect(withStore.state).toBe('trusted');
  });
});
