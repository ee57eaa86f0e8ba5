/**
 * The issue 13 synchronisation: the affine search (aspect change, shear) and the window pass
 * (the marked picture shrunk into one cell of a collage), on generated planes.
 */
import { describe, expect, it } from 'vitest';
import { computeMarkDelta, detectMark, detectMarkInWindows } from '../../src/watermark/core/index.js';
import { plane } from './helpers.js';

const seed = Uint8Array.from({ length: 32 }, (_, i) => i * 13 + 5);
const payload = Uint8Array.from([0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78]);

function mark(p: Float32Array, w: number, h: number): Float32Array {
  const d = computeMarkDelta(p, w, h, { seed, payload, strength: 1 });
  return p.map((v, i) => Math.max(0, Math.min(255, Math.round(v + d[i]!))));
}

/**
 * Bilinear warp: out(x, y) = src(M⁻¹ · (x - out centre) + src centre), grey 128 outside, rounded
 * to 8 bits. `m` = [m00, m01, m10, m11] maps source offsets to output offsets.
 */
function warp(
  src: Float32Array,
  w: number,
  h: number,
  m: readonly [number, number, number, number],
  ow: number,
  oh: number,
): Float32Array {
  const det = m[0] * m[3] - m[1] * m[2];
  const i00 = m[3] / det;
  const i01 = -m[1] / det;
  const i10 = -m[2] / det;
  const i11 = m[0] / det;
  const out = new Float32Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const dx = x + 0.5 - ow / 2;
      const dy = y + 0.5 - oh / 2;
      const sx = i00 * dx + i01 * dy + w / 2 - 0.5;
      const sy = i10 * dx + i11 * dy + h / 2 - 0.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < 0 || y0 < 0 || x0 + 1 >= w || y0 + 1 >= h) {
        out[y * ow + x] = 128;
        continue;
      }
      const fx = sx - x0;
      const fy = sy - y0;
      const i = y0 * w + x0;
      const v =
        (1 - fy) * ((1 - fx) * src[i]! + fx * src[i + 1]!) +
        fy * ((1 - fx) * src[i + w]! + fx * src[i + w + 1]!);
      out[y * ow + x] = Math.round(v);
    }
  }
  return out;
}

describe('affine synchronisation', () => {
  const W = 591;
  const H = 443;
  const marked = mark(plane('textured', W, H, 4), W, H);

  it('reads the mark after a horizontal stretch ×0.8 (area renormalised as the adapter does)', () => {
    const k = 1 / Math.sqrt(0.8);
    const ow = Math.round(W * 0.8 * k);
    const oh = Math.round(H * k);
    const r = detectMark(warp(marked, W, H, [0.8 * k, 0, 0, k], ow, oh), ow, oh, { seed });
    expect(r.found).toBe(true);
    expect(Array.from(r.payload!)).toEqual(Array.from(payload));
  });

  it('reads the mark after an 8° shear', () => {
    const t = Math.tan((8 * Math.PI) / 180);
    const r = detectMark(warp(marked, W, H, [1, t, 0, 1], W, H), W, H, { seed });
    expect(r.found).toBe(true);
    expect(Array.from(r.payload!)).toEqual(Array.from(payload));
  });

  it('does not find a stretched mark without the affine search (the similarity search alone misses it)', () => {
    const k = 1 / Math.sqrt(0.75);
    const ow = Math.round(W * 0.75 * k);
    const oh = Math.round(H * k);
    const r = detectMark(
      warp(marked, W, H, [0.75 * k, 0, 0, k], ow, oh),
      ow,
      oh,
      { seed },
      { affine: false },
    );
    expect(r.found).toBe(false);
  });
});

describe('window pass', () => {
  it('finds a picture shrunk to half size in one cell of a 2×2 collage', () => {
    // The frame is read at four working areas (1182 × 886); the marked picture, embedded at that
    // size, is box-shrunk by 2 into the top-right quadrant, the others hold unmarked content.
    const W = 1182;
    const H = 886;
    const big = mark(plane('photo-like', W, H, 9), W, H);
    const frame = plane('textured', W, H, 11);
    const w2 = W / 2;
    const h2 = H / 2;
    for (let y = 0; y < h2; y++) {
      for (let x = 0; x < w2; x++) {
        const i = 2 * y * W + 2 * x;
        frame[y * W + w2 + x] = Math.round((big[i]! + big[i + 1]! + big[i + W]! + big[i + W + 1]!) / 4);
      }
    }
    const r = detectMarkInWindows(frame, W, H, { seed });
    expect(r.found).toBe(true);
    expect(Array.from(r.payload!)).toEqual(Array.from(payload));
  });
});
