/**
 * The registry of watermark schemes: what the built-ins answer, that files signed under the
 * legacy identifier are still recovered, and that a new scheme (test/watermark/toy-scheme, plus
 * one registration line) is picked up by protect, inspect, the manifest summary and the server.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspect, protect, sign } from '../../src/index.js';
import { openSqliteRepository, type SqliteRepository } from '../../src/repository/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { FORMATS } from '../../src/media/sniff.js';
import {
  LEGACY_WATERMARK_ALG,
  bindingVariants,
  canCarryWatermark,
  detectMediaWatermark,
  embedImageWatermark,
  embedWatermark,
  registerWatermarkScheme,
  softBindingValue,
  watermarkAlgorithms,
  watermarkScheme,
  watermarkSchemesFor,
} from '../../src/watermark/index.js';
import { runCli } from '../helpers/cli.js';
import { devSigner } from '../helpers/credentials.js';
import { SVG } from '../helpers/media.js';
import { photoLike } from '../helpers/photo.js';
import { toyScheme } from './toy-scheme/index.js';

const IMAGE = 'org.provmark.watermark.image.1';
const VIDEO = 'org.provmark.watermark.video.1';
const VIDEO2 = 'org.provmark.watermark.video.2';
const AUDIO = 'org.provmark.watermark.audio.1';
const AUDIO2 = 'org.provmark.watermark.audio.2';
const toyValue = (id: string): string => Buffer.from(id, 'ascii').toString('base64');

let repo: SqliteRepository;
beforeAll(async () => {
  repo = await openSqliteRepository({
    path: join(await mkdtemp(join(tmpdir(), 'provmark-registry-')), 'r.db'),
  });
});
afterAll(async () => {
  await repo?.close();
});

describe('the built-in schemes', () => {
  it('one identifier per medium and version; the legacy identifier names the v1 of the file’s medium', () => {
    expect(watermarkAlgorithms()).toEqual([IMAGE, VIDEO, VIDEO2, AUDIO, AUDIO2, LEGACY_WATERMARK_ALG]);
    expect(LEGACY_WATERMARK_ALG).toBe('org.provmark.watermark.1');
    expect(watermarkScheme(LEGACY_WATERMARK_ALG, 'image')?.id).toBe(IMAGE);
    expect(watermarkScheme(LEGACY_WATERMARK_ALG, 'video')?.id).toBe(VIDEO);
    expect(watermarkScheme(LEGACY_WATERMARK_ALG, 'audio')?.id).toBe(AUDIO);
    expect(watermarkScheme('org.provmark.watermark.2')).toBeUndefined();
  });

  it('one answer to "can this format carry a mark": not SVG, HEIC or documents', () => {
    for (const f of [
      'jpeg',
      'png',
      'webp',
      'avif',
      'gif',
      'tiff',
      'mp4',
      'mov',
      'wav',
      'mp3',
      'm4a',
    ] as const) {
      expect(canCarryWatermark(f), f).toBe(true);
    }
    for (const f of ['svg', 'heic', 'jxl', 'pdf', 'c2pa'] as const)
      expect(canCarryWatermark(f), f).toBe(false);
    // A video's frames first (the newest layout marks, both read), then its soundtrack (audio.2
    // marks; audio.1 is detect-only and still reads).
    expect(watermarkSchemesFor('mp4', 'embed').map((s) => s.id)).toEqual([VIDEO2, AUDIO2]);
    expect(watermarkSchemesFor('mp4', 'detect').map((s) => s.id)).toEqual([VIDEO2, VIDEO, AUDIO2, AUDIO]);
    expect(watermarkSchemesFor(FORMATS.m4a, 'detect').map((s) => s.id)).toEqual([AUDIO2, AUDIO]);
  });

  it('a lookup by either identifier covers rows stored under both', () => {
    const value = softBindingValue('0123456789abcdef');
    expect(bindingVariants(IMAGE, value)).toEqual([
      { alg: IMAGE, value },
      { alg: LEGACY_WATERMARK_ALG, value },
    ]);
    expect(bindingVariants(LEGACY_WATERMARK_ALG, value).map((b) => b.alg)).toEqual([
      LEGACY_WATERMARK_ALG,
      IMAGE,
      VIDEO,
      AUDIO,
    ]);
    expect(bindingVariants('com.example.fingerprint', 'x')).toEqual([
      { alg: 'com.example.fingerprint', value: 'x' },
    ]);
    expect(bindingVariants(IMAGE, 'not-base64')).toEqual([{ alg: IMAGE, value: 'not-base64' }]);
  });

  it('provmark watermark schemes lists them', async () => {
    const r = await runCli(['watermark', 'schemes', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ id: string; embeds: boolean; legacyIds: string[] }>;
    expect(rows.map((x) => [x.id, x.embeds, x.legacyIds])).toEqual([
      [IMAGE, true, [LEGACY_WATERMARK_ALG]],
      [VIDEO, false, [LEGACY_WATERMARK_ALG]],
      [VIDEO2, true, []],
      [AUDIO, false, [LEGACY_WATERMARK_ALG]],
      [AUDIO2, true, []],
    ]);
  });

  it('refuses a second scheme under a taken identifier', () => {
    expect(() => registerWatermarkScheme({ ...toyScheme, id: IMAGE })).toThrow(RangeError);
    expect(() => registerWatermarkScheme({ ...toyScheme, legacyIds: [VIDEO] })).toThrow(RangeError);
  });
});

describe('protect writes the per-medium identifier; files signed under the legacy one are still recovered', () => {
  it('protect declares org.provmark.watermark.image.1 and registers it', async () => {
    const { signer } = await devSigner();
    const p = await protect(await photoLike(640, 480, 31), { signer, repository: repo });
    const bindings = p.report.activeManifest?.softBindings;
    expect(bindings).toEqual([
      { alg: IMAGE, values: [softBindingValue(p.softBindingId)], softBindingId: p.softBindingId },
    ]);
    expect(await repo.findByBinding(IMAGE, softBindingValue(p.softBindingId))).toHaveLength(1);
  });

  it('an image signed by an earlier release (legacy identifier) is recovered by inspect and the server', async () => {
    const { creds, signer } = await devSigner();
    // What releases before the registry did: mark, then sign with alg org.provmark.watermark.1.
    const id = 'fedcba9876543210';
    const original = await photoLike(800, 600, 32);
    const marked = await embedImageWatermark(original, { payload: id });
    const signed = await sign(marked, {
      signer,
      manifest: {
        assertions: [
          {
            label: 'c2pa.soft-binding',
            data: { alg: LEGACY_WATERMARK_ALG, blocks: [{ scope: {}, value: softBindingValue(id) }] },
          },
        ],
      },
    });
    await repo.put({
      manifestId: signed.manifestId,
      manifestStore: signed.manifestStore,
      bindings: [{ alg: LEGACY_WATERMARK_ALG, value: softBindingValue(id) }],
    });
    const trust = { anchors: [creds.caCertPem] };
    // The manifest's legacy binding is still read as provmark's (a watermark that agrees, no conflict).
    const embedded = await inspect(signed.bytes, { trust, repository: repo, detector: false });
    expect(embedded.verdict).toBe('verified');
    expect(embedded.softBindingId).toBe(id);
    expect(embedded.summary).toMatch(/watermark in the pixels matches the manifest/);
    // Manifest gone (the marked pixels alone): the image scheme reads the mark, the legacy row answers.
    const stripped = await inspect(marked, { trust, repository: repo, detector: false });
    expect(stripped.watermark).toMatchObject({ found: true, payload: id, scheme: IMAGE });
    expect(stripped.verdict).toBe('recovered');
    expect(stripped.manifestId).toBe(signed.manifestId);

    const server: RunningServer = await startServer({
      repository: repo,
      port: 0,
      logLevel: 'silent',
      rateLimit: false,
    });
    try {
      for (const alg of [IMAGE, LEGACY_WATERMARK_ALG]) {
        const q = new URLSearchParams({ alg, value: softBindingValue(id) });
        const res = await fetch(`${server.url}/matches/byBinding?${q}`);
        expect(res.status, alg).toBe(200);
        expect(await res.json(), alg).toEqual({ matches: [{ manifestId: signed.manifestId }] });
      }
    } finally {
      await server.close();
    }
  });
});

describe('a toy scheme: its folder plus one registration line', () => {
  let unregister: () => void;
  beforeAll(() => {
    unregister = registerWatermarkScheme(toyScheme); // the one registration line
  });
  afterAll(() => unregister());

  it('is in the registry’s answers: can-carry, dispatch, supported algorithms', async () => {
    expect(canCarryWatermark('svg')).toBe(true);
    expect(watermarkSchemesFor('svg', 'embed')).toEqual([toyScheme]);
    expect(watermarkAlgorithms()).toContain(toyScheme.id);
    const { bytes, schemes } = await embedWatermark(SVG, FORMATS.svg, { payload: '00112233aabbccdd' });
    expect(schemes).toEqual([toyScheme]);
    expect(await detectMediaWatermark(bytes, FORMATS.svg)).toEqual({
      found: true,
      payload: '00112233aabbccdd',
      confidence: 1,
      carrier: 'pixels',
      scheme: toyScheme.id,
    });
    expect((await detectMediaWatermark(bytes, FORMATS.svg, { key: 'other' })).payload).not.toBe(
      '00112233aabbccdd',
    );
  });

  it('protect marks and declares it; the summary decodes its value; inspect reads it and recovers through it', async () => {
    const { creds, signer } = await devSigner();
    const p = await protect(SVG, { signer, repository: repo });
    expect(p.format).toBe('svg');
    const binding = {
      alg: toyScheme.id,
      values: [toyValue(p.softBindingId)],
      softBindingId: p.softBindingId,
    };
    expect(p.report.activeManifest?.softBindings).toEqual([binding]);
    const actions = p.report.activeManifest?.actions.map((a) => a.parameters?.description);
    expect(actions).toContain(`invisible watermark ${toyScheme.id}`);
    expect(await repo.findByBinding(toyScheme.id, toyValue(p.softBindingId))).toHaveLength(1);

    const trust = { anchors: [creds.caCertPem] };
    const direct = await inspect(p.bytes, { trust, repository: repo, detector: false });
    expect(direct.verdict).toBe('verified');
    expect(direct.watermark).toMatchObject({ found: true, payload: p.softBindingId, scheme: toyScheme.id });

    // The same mark without the manifest (what a platform that drops metadata would pass on).
    const { bytes: bare } = await embedWatermark(SVG, FORMATS.svg, { payload: p.softBindingId });
    const r = await inspect(bare, { trust, repository: repo, detector: false });
    expect(r.verdict).toBe('recovered');
    expect(r.manifestId).toBe(p.manifestId);
  });

  it('the server reads it from an upload (POST /matches/byContent), and reads no SVG without it', async () => {
    const { signer } = await devSigner();
    const p = await protect(SVG, { signer, repository: repo, manifest: { title: 'toy upload' } });
    const { bytes: bare } = await embedWatermark(SVG, FORMATS.svg, { payload: p.softBindingId });
    const server = await startServer({ repository: repo, port: 0, logLevel: 'silent', rateLimit: false });
    const upload = (body: Uint8Array) =>
      fetch(`${server.url}/matches/byContent`, {
        method: 'POST',
        headers: { 'content-type': 'image/svg+xml' },
        body: new Uint8Array(body),
      });
    try {
      const hit = await upload(bare);
      expect(hit.status).toBe(200);
      expect(await hit.json()).toEqual({ matches: [{ manifestId: p.manifestId }] });
      unregister();
      // Without a scheme for SVG the server refuses it rather than rasterising it for the image mark.
      const refused = await upload(bare);
      expect(refused.status).toBe(415);
      expect(((await refused.json()) as { code: string }).code).toBe('ERR_UNSUPPORTED_FORMAT');
    } finally {
      unregister = registerWatermarkScheme(toyScheme);
      await server.close();
    }
  });

  it('a new version embeds; the old one, kept detect-only, still reads its marks', async () => {
    unregister();
    const v1 = registerWatermarkScheme({ ...toyScheme, embed: undefined }); // detect-only now
    const v2 = registerWatermarkScheme({ ...toyScheme, id: 'org.example.watermark.toy.2', version: 2 });
    try {
      expect(watermarkSchemesFor('svg', 'embed').map((s) => s.id)).toEqual(['org.example.watermark.toy.2']);
      expect(watermarkSchemesFor('svg', 'detect').map((s) => s.id)).toEqual([
        'org.example.watermark.toy.2',
        toyScheme.id,
      ]);
      const { schemes } = await embedWatermark(SVG, FORMATS.svg, { payload: '0123456789abcdef' });
      expect(schemes.map((s) => s.id)).toEqual(['org.example.watermark.toy.2']);
      // An old mark: v2 (same signal here) reads it first; with v2 gone, the detect-only v1 does.
      const old = await toyScheme.embed!(SVG, FORMATS.svg, { payload: '0123456789abcdef' });
      expect((await detectMediaWatermark(old!, FORMATS.svg)).scheme).toBe('org.example.watermark.toy.2');
      v2();
      expect(canCarryWatermark('svg')).toBe(false);
      expect(await detectMediaWatermark(old!, FORMATS.svg)).toMatchObject({
        found: true,
        payload: '0123456789abcdef',
        scheme: toyScheme.id,
      });
    } finally {
      v2();
      v1();
      unregister = registerWatermarkScheme(toyScheme);
    }
  });

  it('is gone once unregistered: SVG carries no mark again', async () => {
    const again = registerWatermarkScheme({ ...toyScheme, id: 'org.example.watermark.toy.2', version: 2 });
    again();
    unregister();
    expect(canCarryWatermark('svg')).toBe(false);
    await expect(embedWatermark(SVG, FORMATS.svg, { payload: '00112233aabbccdd' })).rejects.toMatchObject({
      code: 'ERR_UNSUPPORTED_FORMAT',
    });
    unregister = registerWatermarkScheme(toyScheme);
  });
});
