import { describe, expect, it } from 'vitest';
import { DWTDCT_MATCH_THRESHOLD, KNOWN_DWTDCT_MARKS, readDwtDctMarks } from '../../src/detect/dwtdct.js';
import { detect } from '../../src/detect/index.js';
import { photoLikePixels } from './make.js';
import sharp from 'sharp';

/**
 * A test-only embedder written from the published description of invisible-watermark's dwtDct mode (OpenCV
 * BGR2YUV, Haar LL of the U plane, 4x4 blocks, the largest non-first entry quantised with step 36), so the reader
 * can be checked on a round trip through 8-bit RGB.
 */
function embed(rgb: Buffer, width: number, height: number, bits: readonly number[]): Buffer {
  const rows = Math.floor(height / 4) * 4;
  const cols = Math.floor(width / 4) * 4;
  const n = width * height;
  const Y = new Float64Array(n);
  const U = new Float64Array(n);
  const V = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = rgb[i * 3]!;
    const g = rgb[i * 3 + 1]!;
    const b = rgb[i * 3 + 2]!;
    const y = 0.299 * r + 0.587 * g + 0.114 * b;
    Y[i] = Math.round(y);
    U[i] = Math.min(255, Math.max(0, Math.round(0.492 * (b - y) + 128)));
    V[i] = Math.min(255, Math.max(0, Math.round(0.877 * (r - y) + 128)));
  }
  const llW = cols / 2;
  const llH = rows / 2;
  const ll = new Float64Array(llW * llH);
  for (let y = 0; y < llH; y++)
    for (let x = 0; x < llW; x++) {
      const p = 2 * y * width + 2 * x;
      ll[y * llW + x] = (U[p]! + U[p + 1]! + U[p + width]! + U[p + width + 1]!) / 2;
    }
  let num = 0;
  for (let by = 0; by < Math.floor(llH / 4); by++)
    for (let bx = 0; bx < Math.floor(llW / 4); bx++) {
      let best = 1;
      for (let k = 1; k < 16; k++) {
        const at = (kk: number): number => Math.abs(ll[(by * 4 + (kk >> 2)) * llW + bx * 4 + (kk & 3)]!);
        if (at(k) > at(best)) best = k;
      }
      const idx = (by * 4 + (best >> 2)) * llW + bx * 4 + (best & 3);
      const v = ll[idx]!;
      const bit = bits[num % bits.length]!;
      const q = (Math.floor(Math.abs(v) / 36) + 0.25 + 0.5 * bit) * 36;
      const nv = v >= 0 ? q : -q;
      const delta = (nv - v) / 2; // inverse orthonormal Haar: each of the 2x2 pixels moves by delta_LL / 2
      const y0 = (idx / llW) | 0;
      const x0 = idx % llW;
      for (const [dy, dx] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ] as const) {
        const p = (2 * y0 + dy) * width + 2 * x0 + dx;
        U[p] = Math.trunc(U[p]! + delta); // numpy stores the float result into the uint8 YUV array
      }
      num++;
    }
  const out = Buffer.alloc(n * 3);
  const clamp = (x: number): number => Math.min(255, Math.max(0, Math.round(x)));
  for (let i = 0; i < n; i++) {
    const u = U[i]! - 128;
    const v = V[i]! - 128;
    out[i * 3] = clamp(Y[i]! + 1.14 * v);
    out[i * 3 + 1] = clamp(Y[i]! - 0.395 * u - 0.581 * v);
    out[i * 3 + 2] = clamp(Y[i]! + 2.032 * u);
  }
  return out;
}

describe('dwtDct open watermark reader', () => {
  const W = 512;
  const H = 512;
  const clean = photoLikePixels(W, H, 7);

  it('finds the "StableDiffusionV1" payload after an 8-bit round trip and names it', () => {
    const mark = KNOWN_DWTDCT_MARKS[0]!;
    const marked = embed(clean, W, H, mark.bits);
    const m = readDwtDctMarks({ data: marked, width: W, height: H })!;
    expect(m.mark.name).toBe(mark.name);
    expect(m.matchedBits / m.totalBits).toBeGreaterThanOrEqual(DWTDCT_MATCH_THRESHOLD);
  });

  it('finds the 48-bit SDXL payload', () => {
    const mark = KNOWN_DWTDCT_MARKS[1]!;
    const m = readDwtDctMarks({ data: embed(clean, W, H, mark.bits), width: W, height: H })!;
    expect(m.mark.name).toBe(mark.name);
    expect(m.matchedBits / m.totalBits).toBeGreaterThanOrEqual(DWTDCT_MATCH_THRESHOLD);
  });

  it('reports no mark on unmarked pixels, or under the library minimum of 256x256', () => {
    const m = readDwtDctMarks({ data: clean, width: W, height: H })!;
    expect(m.matchedBits / m.totalBits).toBeLessThan(DWTDCT_MATCH_THRESHOLD);
    expect(readDwtDctMarks({ data: Buffer.alloc(200 * 200 * 3), width: 200, height: 200 })).toBeUndefined();
  });

  it('detect() decides likely-synthetic from the mark in a PNG and names the method', async () => {
    const marked = embed(clean, W, H, KNOWN_DWTDCT_MARKS[0]!.bits);
    const png = await sharp(marked, { raw: { width: W, height: H, channels: 3 } })
      .png()
      .toBuffer();
    const r = await detect(new Uint8Array(png), { useModel: false });
    expect(r.label).toBe('likely-synthetic');
    const wm = r.evidence.find((e) => e.kind === 'watermark')!;
    expect(wm.source).toMatch(/dwtDct/);
    expect(wm.value).toContain('StableDiffusionV1');
  });
});
