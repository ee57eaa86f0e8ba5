/**
 * The attacks of `npm run bench:watermark` (sharp only; the library never runs them). Each takes
 * the marked file's bytes and returns the attacked file's bytes. Issue 13 added the re-framing
 * rows (collage, text band, stretch, shear, 9:16 crop, print-scan); JPEG 30, crop 40 % and the
 * JPEG 60 + crop 50 % + darkening combination became targets.
 */
import sharp from 'sharp';

export type Bytes = Buffer;
export interface Attack {
  readonly name: string;
  /** Added by issue 13 (reported in its own group of the table). */
  readonly reframing?: boolean;
  readonly run: (b: Bytes) => Promise<Bytes>;
}
export interface AttackContext {
  /** Uniform [0, 1) generator (seeded by the bench, so runs repeat). */
  readonly rand: () => number;
  /** Unmarked pictures other than the one under test (the collage's other three cells). */
  readonly others: () => Bytes[];
}

export async function raw(
  b: Bytes,
): Promise<{ data: Buffer; width: number; height: number; channels: 1 | 2 | 3 | 4 }> {
  const { data, info } = await sharp(b).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}
export const png = (s: sharp.Sharp): Promise<Bytes> => s.png({ compressionLevel: 1 }).toBuffer();
async function dims(b: Bytes): Promise<{ w: number; h: number }> {
  const m = await sharp(b).metadata();
  return { w: m.width!, h: m.height! };
}
const fromRaw = (r: Awaited<ReturnType<typeof raw>>): Promise<Bytes> =>
  png(sharp(r.data, { raw: { width: r.width, height: r.height, channels: r.channels } }));
const jpeg = (b: Bytes, q: number): Promise<Bytes> =>
  sharp(b).jpeg({ quality: q, chromaSubsampling: '4:2:0' }).toBuffer();

/**
 * The attack list. `ctx.rand` draws crop offsets, noise, collage cells and band positions.
 *
 * @example
 * ```ts
 * for (const a of makeAttacks({ rand, others: () => [] })) await a.run(bytes);
 * ```
 */
export function makeAttacks(ctx: AttackContext): Attack[] {
  const { rand } = ctx;
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  async function cropArea(b: Bytes, area: number): Promise<Bytes> {
    const { w, h } = await dims(b);
    const f = Math.sqrt(area);
    const cw = Math.round(w * f);
    const ch = Math.round(h * f);
    const left = Math.floor(rand() * (w - cw + 1));
    const top = Math.floor(rand() * (h - ch + 1));
    return png(sharp(b).extract({ left, top, width: cw, height: ch }));
  }
  async function rotateInner(b: Bytes, deg: number): Promise<Bytes> {
    const { w, h } = await dims(b);
    const t = (Math.abs(deg) * Math.PI) / 180;
    const k = Math.min(w / (w * Math.cos(t) + h * Math.sin(t)), h / (w * Math.sin(t) + h * Math.cos(t)));
    const r = await png(sharp(b).rotate(deg, { background: '#000' }));
    const rd = await dims(r);
    const cw = Math.floor(w * k) - 2;
    const ch = Math.floor(h * k) - 2;
    return png(
      sharp(r).extract({
        left: Math.floor((rd.w - cw) / 2),
        top: Math.floor((rd.h - ch) / 2),
        width: cw,
        height: ch,
      }),
    );
  }
  async function pixelMap(b: Bytes, f: (v: number) => number): Promise<Bytes> {
    const r = await raw(b);
    const lut = Uint8Array.from({ length: 256 }, (_, v) => Math.max(0, Math.min(255, Math.round(f(v)))));
    for (let i = 0; i < r.data.length; i++) if (r.channels !== 4 || i % 4 !== 3) r.data[i] = lut[r.data[i]!]!;
    return fromRaw(r);
  }
  async function addNoise(b: Bytes, sigma: number): Promise<Bytes> {
    const r = await raw(b);
    for (let i = 0; i < r.data.length; i++) {
      if (r.channels === 4 && i % 4 === 3) continue;
      r.data[i] = Math.max(0, Math.min(255, Math.round(r.data[i]! + sigma * 255 * gauss())));
    }
    return fromRaw(r);
  }
  async function resize(b: Bytes, f: number, kernel: 'lanczos3' | 'cubic' = 'lanczos3'): Promise<Bytes> {
    const { w, h } = await dims(b);
    return png(sharp(b).resize(Math.round(w * f), Math.round(h * f), { kernel, fit: 'fill' }));
  }
  /** The marked picture at half size in one cell of a 2×2 grid (1 % white gutters), the same size as the original. */
  async function collage(b: Bytes): Promise<Bytes> {
    const { w, h } = await dims(b);
    const gutter = Math.max(2, Math.round(0.01 * Math.max(w, h)));
    const cw = Math.floor((w - gutter) / 2);
    const ch = Math.floor((h - gutter) / 2);
    const others = ctx.others();
    const cell = Math.floor(rand() * 4);
    const layers: sharp.OverlayOptions[] = [];
    for (let i = 0, o = 0; i < 4; i++) {
      const src = i === cell ? b : others[o++ % others.length]!;
      const input = await sharp(src)
        .resize(cw, ch, { fit: i === cell ? 'fill' : 'cover', kernel: 'lanczos3' })
        .removeAlpha()
        .toColourspace('srgb')
        .png()
        .toBuffer();
      layers.push({ input, left: (i & 1) * (cw + gutter), top: (i >> 1) * (ch + gutter) });
    }
    return png(sharp({ create: { width: w, height: h, channels: 3, background: '#fff' } }).composite(layers));
  }
  /** An opaque dark caption band over 25 % of the height, top or bottom, with white text. */
  async function textBand(b: Bytes): Promise<Bytes> {
    const { w, h } = await dims(b);
    const bh = Math.round(h * 0.25);
    const fs = Math.round(bh / 3.2);
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${bh}">` +
      `<rect width="100%" height="100%" fill="#151515"/>` +
      `<text x="${Math.round(fs * 0.5)}" y="${Math.round(fs * 1.3)}" font-family="sans-serif" font-size="${fs}" fill="#fff">Breaking: a caption about this picture</text>` +
      `<text x="${Math.round(fs * 0.5)}" y="${Math.round(fs * 2.6)}" font-family="sans-serif" font-size="${Math.round(fs * 0.7)}" fill="#ddd">@provmark · 4 December 2026 · 12,345 likes</text>` +
      `</svg>`;
    const top = rand() < 0.5 ? 0 : h - bh;
    return png(sharp(b).composite([{ input: Buffer.from(svg), left: 0, top }]));
  }
  async function shear(b: Bytes, deg: number): Promise<Bytes> {
    return png(sharp(b).affine([1, Math.tan((deg * Math.PI) / 180), 0, 1], { background: '#fff' }));
  }
  /** Centred 9:16 crop (full height) upscaled to 1080 px high, as a vertical video frame. */
  async function vertical916(b: Bytes): Promise<Bytes> {
    const { w, h } = await dims(b);
    const cw = Math.min(w, Math.round((h * 9) / 16));
    const ch = Math.min(h, Math.round((cw * 16) / 9));
    const left = Math.floor((w - cw) / 2);
    const top = Math.floor((h - ch) / 2);
    const cut = await png(sharp(b).extract({ left, top, width: cw, height: ch }));
    return png(sharp(cut).resize(Math.round((cw * 1080) / ch), 1080, { fit: 'fill', kernel: 'lanczos3' }));
  }
  /** Print and scan: blur σ 1.2, gamma 1.1, rotation 1° (inner crop), noise 1.5 %, JPEG 85. */
  async function printScan(b: Bytes): Promise<Bytes> {
    const blurred = await png(sharp(b).blur(1.2));
    const toned = await pixelMap(blurred, (v) => 255 * (v / 255) ** 1.1);
    const turned = await rotateInner(toned, rand() < 0.5 ? 1 : -1);
    return jpeg(await addNoise(turned, 0.015), 85);
  }

  return [
    { name: 'none', run: async (b) => b },
    { name: 'JPEG 90', run: (b) => jpeg(b, 90) },
    { name: 'JPEG 75', run: (b) => jpeg(b, 75) },
    { name: 'JPEG 50', run: (b) => jpeg(b, 50) },
    { name: 'WebP 75', run: (b) => sharp(b).webp({ quality: 75 }).toBuffer() },
    { name: 'resize x0.5', run: (b) => resize(b, 0.5) },
    { name: 'resize x0.75', run: (b) => resize(b, 0.75) },
    { name: 'resize x1.5', run: (b) => resize(b, 1.5) },
    { name: 'crop 80% area', run: (b) => cropArea(b, 0.8) },
    { name: 'crop 60% area', run: (b) => cropArea(b, 0.6) },
    {
      name: 'crop 75% + resize back',
      run: async (b) => {
        const { w, h } = await dims(b);
        return png(sharp(await cropArea(b, 0.75)).resize(w, h, { fit: 'fill' }));
      },
    },
    { name: 'blur sigma 1', run: (b) => png(sharp(b).blur(1)) },
    { name: 'noise sigma 0.02', run: (b) => addNoise(b, 0.02) },
    { name: 'brightness x0.7', run: (b) => pixelMap(b, (v) => v * 0.7) },
    { name: 'brightness x1.3', run: (b) => pixelMap(b, (v) => v * 1.3) },
    { name: 'contrast x0.7', run: (b) => pixelMap(b, (v) => 128 + (v - 128) * 0.7) },
    { name: 'contrast x1.5', run: (b) => pixelMap(b, (v) => 128 + (v - 128) * 1.5) },
    { name: 'saturation x0.5', run: (b) => png(sharp(b).modulate({ saturation: 0.5 })) },
    { name: 'saturation x1.5', run: (b) => png(sharp(b).modulate({ saturation: 1.5 })) },
    { name: 'gamma 0.8', run: (b) => pixelMap(b, (v) => 255 * (v / 255) ** 0.8) },
    { name: 'gamma 1.25', run: (b) => pixelMap(b, (v) => 255 * (v / 255) ** 1.25) },
    { name: 'grayscale', run: (b) => png(sharp(b).greyscale()) },
    {
      name: 'social (1080 + JPEG 75)',
      run: (b) => sharp(b).resize(1080, 1080, { fit: 'inside' }).jpeg({ quality: 75 }).toBuffer(),
    },
    {
      name: 'screenshot',
      run: async (b) => {
        const up = await resize(b, 1.25, 'cubic');
        const { w, h } = await dims(up);
        const bx = Math.round(w * 0.03);
        const by = Math.round(h * 0.03);
        return sharp(up)
          .extract({ left: bx, top: by, width: w - 2 * bx, height: h - 2 * by })
          .jpeg({ quality: 90 })
          .toBuffer();
      },
    },
    {
      name: 'double JPEG (85, x0.8, 70)',
      run: async (b) => jpeg(await resize(await jpeg(b, 85), 0.8), 70),
    },
    { name: 'rotate +2 (inner crop)', run: (b) => rotateInner(b, 2) },
    { name: 'rotate -2 (inner crop)', run: (b) => rotateInner(b, -2) },
    { name: 'rotate +5 (inner crop)', run: (b) => rotateInner(b, 5) },
    { name: 'rotate -5 (inner crop)', run: (b) => rotateInner(b, -5) },
    { name: 'horizontal flip', run: (b) => png(sharp(b).flop()) },
    { name: 'JPEG 30', reframing: true, run: (b) => jpeg(b, 30) },
    { name: 'crop 40% area', reframing: true, run: (b) => cropArea(b, 0.4) },
    {
      name: 'JPEG 60 + crop 50% + bright x0.5',
      reframing: true,
      run: async (b) => pixelMap(await cropArea(await jpeg(b, 60), 0.5), (v) => v * 0.5),
    },
    { name: 'collage 2x2 (x0.5 cell)', reframing: true, run: collage },
    { name: 'text band 25%', reframing: true, run: textBand },
    {
      name: 'stretch x0.8 horizontal',
      reframing: true,
      run: async (b) => {
        const { w, h } = await dims(b);
        return png(sharp(b).resize(Math.round(w * 0.8), h, { fit: 'fill', kernel: 'lanczos3' }));
      },
    },
    { name: 'shear 8 deg', reframing: true, run: (b) => shear(b, 8) },
    { name: '9:16 centre crop to 1080 high', reframing: true, run: vertical916 },
    { name: 'print-scan', reframing: true, run: printScan },
  ];
}
