import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { MediaTooSmallError, ProvmarkError } from '../../src/errors.js';
import { detectImageWatermark, embedImageWatermark } from '../../src/watermark/index.js';
import { image } from './helpers.js';

const PAYLOAD = '0123456789abcdef';

async function roundTrip(bytes: Buffer, payload = PAYLOAD): Promise<Buffer> {
  return Buffer.from(await embedImageWatermark(bytes, { payload }));
}

describe('embedImageWatermark + detectImageWatermark round trip', () => {
  const cases: Array<[string, () => Promise<Buffer>]> = [
    ['textured RGB PNG', () => image('textured', 640, 480)],
    ['flat RGB PNG', () => image('flat', 512, 512)],
    ['greyscale PNG', () => image('photo-like', 600, 450, { channels: 1 })],
    ['RGBA PNG', () => image('photo-like', 600, 450, { channels: 4 })],
    ['4:1 panorama', () => image('photo-like', 1600, 400)],
    ['256 px square (minimum)', () => image('textured', 256, 256)],
    ['JPEG input', () => image('photo-like', 800, 600, { format: 'jpeg' })],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const src = await make();
      const marked = await roundTrip(src);
      const before = await sharp(src).metadata();
      const after = await sharp(marked).metadata();
      expect([after.format, after.width, after.height, after.channels]).toEqual([
        before.format,
        before.width,
        before.height,
        before.channels,
      ]);
      const r = await detectImageWatermark(marked);
      expect(r.found).toBe(true);
      expect(r.payload).toBe(PAYLOAD);
      expect(r.confidence).toBeGreaterThan(0.5);
      const clean = await detectImageWatermark(src);
      expect(clean.found).toBe(false);
      expect(clean.payload).toBeUndefined();
    });
  }

  it('keeps EXIF orientation, the ICC profile and the JPEG quality', async () => {
    const src = await sharp(await image('photo-like', 640, 480))
      .withIccProfile('p3')
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 80 })
      .toBuffer();
    const marked = await roundTrip(src);
    const m = await sharp(marked).metadata();
    expect(m.orientation).toBe(6);
    expect(m.icc?.length).toBe((await sharp(src).metadata()).icc?.length);
    // Same quantisation tables → about the same size (re-encoding at q90 would be far larger).
    expect(marked.length / src.length).toBeLessThan(1.35);
    expect((await detectImageWatermark(marked)).payload).toBe(PAYLOAD);
  });
});

describe('survives key attacks (generated textured photo-like image)', async () => {
  const src = await image('photo-like', 1000, 750, { seed: 9 });
  const marked = await roundTrip(src, 'fedcba9876543210');
  const attacks: Array<[string, () => Promise<Buffer>]> = [
    ['JPEG 75', () => sharp(marked).jpeg({ quality: 75 }).toBuffer()],
    ['resize ×0.5', () => sharp(marked).resize(500, 375).png().toBuffer()],
    [
      'crop 60% at an offset',
      () => sharp(marked).extract({ left: 137, top: 41, width: 775, height: 581 }).png().toBuffer(),
    ],
    [
      'rotation 2° cropped to the inner rectangle',
      async () => {
        const r = await sharp(marked).rotate(2).png().toBuffer();
        const m = await sharp(r).metadata();
        return sharp(r)
          .extract({
            left: Math.round((m.width! - 900) / 2),
            top: Math.round((m.height! - 660) / 2),
            width: 900,
            height: 660,
          })
          .png()
          .toBuffer();
      },
    ],
  ];
  for (const [name, attack] of attacks) {
    it(name, async () => {
      const r = await detectImageWatermark(await attack());
      expect(r.found).toBe(true);
      expect(r.payload).toBe('fedcba9876543210');
    });
  }
});

describe('formats', () => {
  it('keeps a lossless WebP lossless', async () => {
    const src = await sharp(await image('photo-like', 600, 400))
      .webp({ lossless: true })
      .toBuffer();
    const marked = Buffer.from(await embedImageWatermark(src, { payload: PAYLOAD }));
    expect(marked.subarray(12, 16).toString('latin1')).toBe('VP8L');
    expect((await detectImageWatermark(marked)).payload).toBe(PAYLOAD);
  });
});

describe('orientation', () => {
  it('is found after a platform bakes the EXIF rotation into the pixels (quarter turn)', async () => {
    const src = await sharp(await image('photo-like', 800, 600, { seed: 5 }))
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 85 })
      .toBuffer();
    const marked = await embedImageWatermark(src, { payload: PAYLOAD });
    const baked = await sharp(marked).rotate().jpeg({ quality: 80 }).toBuffer();
    expect((await sharp(baked).metadata()).width).toBe(600);
    const r = await detectImageWatermark(baked);
    expect(r.payload).toBe(PAYLOAD);
    expect(r.geometry?.quarterTurns).not.toBe(0);
  });
});

describe('keys', () => {
  it('a private mark is read with its key and never under another key', async () => {
    const src = await image('photo-like', 640, 480, { seed: 4 });
    const marked = await embedImageWatermark(src, { payload: PAYLOAD, key: 'secret-1' });
    expect((await detectImageWatermark(marked, { key: 'secret-1' })).payload).toBe(PAYLOAD);
    for (const key of [undefined, 'secret-2', new Uint8Array([1, 2, 3])]) {
      const r = await detectImageWatermark(marked, key === undefined ? {} : { key });
      expect(r.found).toBe(false);
      expect(r.payload).toBeUndefined();
    }
  });
});

describe('bad input', () => {
  it('refuses images under 256 px on embed with ERR_MEDIA_TOO_SMALL and reports found:false on detect', async () => {
    const small = await image('textured', 300, 200);
    await expect(embedImageWatermark(small, { payload: PAYLOAD })).rejects.toBeInstanceOf(MediaTooSmallError);
    await expect(embedImageWatermark(small, { payload: PAYLOAD })).rejects.toMatchObject({
      code: 'ERR_MEDIA_TOO_SMALL',
    });
    const tiny = await image('textured', 100, 80);
    const r = await detectImageWatermark(tiny);
    expect(r.found).toBe(false);
    expect(r.reason).toMatch(/minimum/);
  });

  it('rejects malformed payloads and options with RangeError/TypeError', async () => {
    const src = await image('textured', 300, 300);
    for (const payload of ['0123', '0123456789abcdeg', '0123456789abcdef00', '']) {
      await expect(embedImageWatermark(src, { payload })).rejects.toBeInstanceOf(RangeError);
    }
    await expect(embedImageWatermark(src, { payload: PAYLOAD, strength: 0 })).rejects.toBeInstanceOf(
      RangeError,
    );
    await expect(embedImageWatermark(src, { payload: PAYLOAD, quality: 101 })).rejects.toBeInstanceOf(
      RangeError,
    );
    await expect(embedImageWatermark(src, { payload: PAYLOAD, key: '' })).rejects.toBeInstanceOf(RangeError);
    await expect(embedImageWatermark(src, { payload: 42 as unknown as string })).rejects.toBeInstanceOf(
      TypeError,
    );
  });

  it('accepts upper-case hex payloads and reports them in lower case', async () => {
    const marked = await embedImageWatermark(await image('photo-like', 512, 400), {
      payload: 'ABCDEF0123456789',
    });
    expect((await detectImageWatermark(marked)).payload).toBe('abcdef0123456789');
  });

  it('refuses animated images on embed with a coded error', async () => {
    const frame1 = await image('textured', 320, 320, { seed: 1 });
    const frame2 = await image('textured', 320, 320, { seed: 2 });
    const animated = await sharp([frame1, frame2], { join: { animated: true } })
      .gif()
      .toBuffer();
    expect((await sharp(animated).metadata()).pages).toBe(2);
    const err = await embedImageWatermark(animated, { payload: PAYLOAD }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvmarkError);
    expect((err as ProvmarkError).code).toBe('ERR_UNSUPPORTED_FORMAT');
  });

  it('detect never throws on bad content', async () => {
    for (const bytes of [
      new Uint8Array(0),
      new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]),
      Buffer.from('not an image at all'),
    ]) {
      const r = await detectImageWatermark(bytes);
      expect(r.found).toBe(false);
      expect(r.reason).toBeTruthy();
    }
    const truncated = (await image('photo-like', 600, 400, { format: 'jpeg' })).subarray(0, 3000);
    const r = await detectImageWatermark(truncated);
    expect(r.found).toBe(false);
  });

  it('misuse of detect options throws', async () => {
    await expect(
      detectImageWatermark(new Uint8Array(10), { key: 5 as unknown as string }),
    ).rejects.toBeInstanceOf(TypeError);
    await expect(detectImageWatermark(42 as unknown as Uint8Array)).rejects.toBeInstanceOf(TypeError);
  });
});
