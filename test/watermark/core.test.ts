import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CODED_BITS,
  computeMarkDelta,
  decodePayload,
  detectMark,
  encodePayload,
} from '../../src/watermark/core/index.js';
import { whiten, whitenUnclipped } from '../../src/watermark/core/detect.js';
import { lcg, plane } from './helpers.js';

const seedA = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
const seedB = Uint8Array.from({ length: 32 }, (_, i) => i * 11 + 3);
const payload = Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0x45, 0x67]);

/** Soft values for a codeword: ±amplitude plus Gaussian noise. */
function channel(coded: Uint8Array, amplitude: number, sigma: number, seed: number): Float64Array {
  const r = lcg(seed);
  return Float64Array.from(coded, (b) => {
    const g = Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
    return (b ? amplitude : -amplitude) + sigma * g;
  });
}

describe('payload code', () => {
  it('round-trips every payload through encode and soft Viterbi', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (p) => {
        const d = decodePayload(channel(encodePayload(p, seedA), 1, 0, 1), seedA);
        expect(d.crcOk).toBe(true);
        expect(Array.from(d.payload)).toEqual(Array.from(p));
      }),
      { numRuns: 50 },
    );
  });

  it('corrects channel errors (about 16% of the coded bits flipped by noise)', () => {
    const soft = channel(encodePayload(payload, seedA), 1, 1, 7);
    const hardErrors = Array.from(encodePayload(payload, seedA)).filter(
      (b, i) => (soft[i]! > 0 ? 1 : 0) !== b,
    ).length;
    expect(hardErrors).toBeGreaterThan(CODED_BITS * 0.08);
    const d = decodePayload(soft, seedA);
    expect(d.crcOk).toBe(true);
    expect(Array.from(d.payload)).toEqual(Array.from(payload));
  });

  it('fails the keyed CRC under another key and on pure noise', () => {
    const wrongKey = decodePayload(channel(encodePayload(payload, seedA), 1, 0, 1), seedB);
    expect(wrongKey.crcOk).toBe(false);
    let passes = 0;
    for (let i = 0; i < 300; i++)
      if (decodePayload(channel(new Uint8Array(CODED_BITS), 0, 1, 100 + i), seedA).crcOk) passes++;
    expect(passes).toBe(0);
  });

  it('rejects payloads that are not 8 bytes', () => {
    expect(() => encodePayload(new Uint8Array(7), seedA)).toThrow(RangeError);
  });
});

describe('core embed + detect on planes', () => {
  const W = 591;
  const H = 443;

  function marked(kind: 'textured' | 'photo-like' | 'flat', seed: Uint8Array): Float32Array {
    const p = plane(kind, W, H, 3);
    const d = computeMarkDelta(p, W, H, { seed, payload, strength: 1 });
    return p.map((v, i) => Math.max(0, Math.min(255, Math.round(v + d[i]!))));
  }

  it('finds the payload at the working size for textured, photo-like and flat content', () => {
    for (const kind of ['textured', 'photo-like', 'flat'] as const) {
      const r = detectMark(marked(kind, seedA), W, H, { seed: seedA });
      expect(r.found, kind).toBe(true);
      expect(Array.from(r.payload!)).toEqual(Array.from(payload));
      expect(r.confidence).toBeGreaterThan(0.5);
    }
  });

  it('never reports a payload under the wrong key', () => {
    const r = detectMark(marked('photo-like', seedA), W, H, { seed: seedB });
    expect(r.found).toBe(false);
    expect(r.payload).toBeUndefined();
  });

  it('never reports a payload on unmarked planes (bounded loop over content kinds)', () => {
    const kinds = ['textured', 'photo-like', 'flat', 'smooth'] as const;
    for (let i = 0; i < 24; i++) {
      const p = plane(kinds[i % kinds.length]!, W, H, 100 + i);
      const r = detectMark(p, W, H, { seed: seedA });
      expect(r.found).toBe(false);
      expect(r.reason).toBeTruthy();
    }
  });

  it('keeps the offset small: luma PSNR of the field alone ≥ 42 dB', () => {
    const p = plane('photo-like', W, H, 5);
    const d = computeMarkDelta(p, W, H, { seed: seedA, payload, strength: 1 });
    const mse = d.reduce((s, v) => s + v * v, 0) / d.length;
    expect(10 * Math.log10((255 * 255) / mse)).toBeGreaterThanOrEqual(42);
  });

  it('second look: silences pixels near the rails, and only when enough of the picture is clipped', () => {
    const p = plane('textured', W, H, 9);
    expect(whitenUnclipped(p, whiten(p, W, H), W, H)).toBeUndefined(); // nothing at 0 or 255
    // A clipped white block (as brightness ×1.3 leaves on paper): its ±2 px surround goes silent.
    for (let y = 100; y < 200; y++) for (let x = 100; x < 300; x++) p[y * W + x] = 255;
    const plain = whiten(p, W, H);
    const q = whitenUnclipped(p, plain, W, H)!;
    expect(q[150 * W + 98]).toBe(0); // two pixels left of the block
    expect(q[150 * W + 97]).toBe(plain[150 * W + 97]); // three pixels left: untouched
    expect(q[300 * W + 400]).toBe(plain[300 * W + 400]);
  });

  it('survives brightness ×1.3 that clips a quarter of a hatched picture to white', () => {
    const p = new Float32Array(W * H);
    const r = lcg(21);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        // Engraving-like: fine hatching on paper between 150 and 230.
        const hatch = Math.sin((x + y) / 2.1) > 0.3 ? -30 : 0;
        p[y * W + x] = 190 + 40 * Math.sin(x / 90) * Math.cos(y / 70) + hatch + 10 * (r() - 0.5);
      }
    }
    const d = computeMarkDelta(p, W, H, { seed: seedA, payload, strength: 1 });
    let railed = 0;
    const attacked = p.map((v, i) => {
      const out = Math.max(
        0,
        Math.min(255, Math.round(1.3 * Math.max(0, Math.min(255, Math.round(v + d[i]!))))),
      );
      if (out === 255) railed++;
      return out;
    });
    expect(railed / attacked.length).toBeGreaterThan(0.1);
    const found = detectMark(attacked, W, H, { seed: seedA });
    expect(found.found).toBe(true);
    expect(Array.from(found.payload!)).toEqual(Array.from(payload));
  });
});
