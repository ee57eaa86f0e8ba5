import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DETECT_LABELS, detect } from '../../src/detect/index.js';
import { loadModel, modelDirectory } from '../../src/detect/model.js';
import { ModelLoadError } from '../../src/errors.js';
import { photoLikeJpeg, photoLikePixels, photoLikePng } from './make.js';

describe('bundled model', () => {
  it('loads from the package path without touching the network, once per process', async () => {
    const realFetch = globalThis.fetch;
    globalThis.fetch = () => Promise.reject(new Error('network used'));
    try {
      expect(modelDirectory()).toMatch(/src[\\/]detect[\\/]models$/);
      const a = await loadModel();
      const b = await loadModel();
      expect(a).toBe(b);
      const crop = a.calibration.input.crop;
      const out = await a.run(new Float32Array(2 * 3 * crop * crop).fill(0.5), 2);
      expect(out).toHaveLength(2);
      expect(Number.isFinite(out[0]!)).toBe(true);
    } finally {
      globalThis.fetch = realFetch;
    }
  });
});

describe('shipped calibration', () => {
  it('orders the thresholds and records a synthetic threshold whose FPR bound meets the target', async () => {
    const { calibration } = await loadModel();
    const t = calibration.thresholds as typeof calibration.thresholds & {
      pooledReals?: number;
      pooledRealsAbove?: number;
    };
    expect(t.camera).toBeLessThanOrEqual(t.synthetic);
    expect(t.synthetic).toBeGreaterThan(0.5);
    expect(t.synthetic).toBeLessThan(1);
    // The rule in calibration.json: one-sided 95% Clopper-Pearson upper bound of k / n <= targetFpr. For k = 0
    // the bound is 1 - 0.05^(1/n); for k > 0 check P(X <= k | p = targetFpr) <= 0.05 (the bound is below target).
    const n = t.pooledReals;
    const k = t.pooledRealsAbove;
    expect(n).toBeGreaterThan(0);
    expect(k).toBeGreaterThanOrEqual(0);
    let cdf = 0;
    let term = (1 - t.targetFpr) ** n!; // P(X = 0)
    for (let i = 0; i <= k!; i++) {
      cdf += term;
      term *= ((n! - i) / (i + 1)) * (t.targetFpr / (1 - t.targetFpr));
    }
    expect(cdf).toBeLessThanOrEqual(0.05);
  });
});

describe('detect() verdicts', () => {
  it('scores a photo-like image deterministically, with a calibrated probability and a valid label', async () => {
    const png = await photoLikePng(400, 300, 3);
    const a = await detect(png);
    const b = await detect(Buffer.from(png));
    expect(DETECT_LABELS).toContain(a.label);
    expect(a.score).not.toBeNull();
    expect(a.score!).toBeGreaterThan(0);
    expect(a.score!).toBeLessThan(1);
    expect(b.score).toBe(a.score);
    expect(b.label).toBe(a.label);
    expect(a.model.name).toBe('provmark-detect');
    expect(a.model.validatedOn.length).toBeGreaterThan(0);
    expect(a.evidence.some((e) => e.kind === 'model')).toBe(true);
    if (a.label === 'inconclusive') expect(a.reason).toBe('uncertain-score');
    else expect(a.reason).toBeUndefined();
  });

  it('answers inconclusive with a reason for corrupt, empty, unsupported and tiny inputs — never throws', async () => {
    const jpeg = await photoLikeJpeg(320, 320);
    const cases: [Uint8Array, string][] = [
      [jpeg.subarray(0, 400), 'corrupt'],
      [new Uint8Array(0), 'corrupt'],
      [new Uint8Array(Buffer.from('hello, this is not an image at all')), 'unsupported-format'],
      [await photoLikePng(64, 64), 'too-small'],
      [await photoLikePng(1000, 100), 'too-small'],
    ];
    for (const [bytes, reason] of cases) {
      const r = await detect(bytes);
      expect(r.label, reason).toBe('inconclusive');
      expect(r.reason).toBe(reason);
      expect(r.explanation).toBeTruthy();
      expect(r.score).toBeNull();
    }
  });

  it('abstains on heavy JPEG compression and on screenshot-like content', async () => {
    const heavy = await detect(await photoLikeJpeg(320, 320, 20));
    expect(heavy).toMatchObject({ label: 'inconclusive', reason: 'heavy-compression' });
    // A flat "user interface": white background, a few solid boxes, lossless.
    const w = 640;
    const h = 400;
    const ui = Buffer.alloc(w * h * 3, 255);
    for (let y = 40; y < 120; y++) for (let x = 40; x < 600; x++) ui.set([30, 90, 200], (y * w + x) * 3);
    const png = await sharp(ui, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toBuffer();
    expect(await detect(new Uint8Array(png))).toMatchObject({
      label: 'inconclusive',
      reason: 'non-photographic',
    });
  });

  it('never labels anything outside the three values, and never "authentic"', async () => {
    const inputs = [
      await photoLikePng(300, 300, 11),
      await photoLikeJpeg(300, 300, 85, 12),
      new Uint8Array(
        await sharp(photoLikePixels(256, 256, 13), { raw: { width: 256, height: 256, channels: 3 } })
          .webp()
          .toBuffer(),
      ),
    ];
    for (const bytes of inputs) {
      const r = await detect(bytes);
      expect(DETECT_LABELS).toContain(r.label);
      expect(JSON.stringify(r)).not.toMatch(/authentic/i);
    }
  });

  it('throws only for misuse and unreadable paths', async () => {
    await expect(detect(42 as unknown as string)).rejects.toBeInstanceOf(TypeError);
    await expect(detect(new Uint8Array(1), { useModel: 'yes' as unknown as boolean })).rejects.toBeInstanceOf(
      TypeError,
    );
    await expect(detect('/nonexistent/file.jpg')).rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND' });
    expect(new ModelLoadError('x').code).toBe('ERR_MODEL_LOAD');
  });
});
