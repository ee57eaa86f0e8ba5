/**
 * Detector front end: whitening of the working-area luma plane (the picture's own low frequencies
 * and gain removed), the clipped-region variant used by the second look, and the half-resolution
 * plane the synchroniser's spectrum is computed on.
 */
import { boxBlur } from './filters.js';

/**
 * Working-plane luma at or beyond which a pixel counts as clipped (the plane is an area average, so
 * a fully clipped neighbourhood reads at the rail and a mixed one does not), and the share of
 * clipped pixels needed before the second look is worth its time.
 */
const SATURATED_HIGH = 253.5;
const SATURATED_LOW = 1.5;
const MIN_RAILED_SHARE = 0.02;

/**
 * Whitening: a sharp high-pass (pixel minus a 5×5 near-Gaussian mean) divided by the local energy
 * to the power 0.75. The exponent above 1/2 down-weights textured regions, where the picture
 * swamps the mark, relative to smooth ones, where the mark stands out: on the fixture photos this
 * raised the pilot z-score by about 25 % over a plain DoG with unit-variance normalisation.
 */
export function whiten(plane: Float32Array, w: number, h: number): Float32Array {
  const coarse = boxBlur(boxBlur(plane, w, h, 1), w, h, 1);
  const band = new Float32Array(w * h);
  for (let i = 0; i < band.length; i++) band[i] = plane[i]! - coarse[i]!;
  const sq = new Float32Array(w * h);
  for (let i = 0; i < sq.length; i++) sq[i] = band[i]! * band[i]!;
  const energy = boxBlur(sq, w, h, 3);
  for (let i = 0; i < band.length; i++) {
    const e = energy[i]! + 0.25;
    const r = Math.sqrt(e);
    const v = band[i]! / (r * Math.sqrt(r)); // e^0.75
    band[i] = v > 4 ? 4 : v < -4 ? -4 : v;
  }
  return band;
}

/**
 * A copy of `whitened` (= whiten(plane)) with clipped regions silenced. Where a brightness or contrast change pushed
 * pixels past 0 or 255 the mark is gone, and the clip boundary is a hard, content-shaped edge whose
 * high-pass is pure noise for the correlator; a pixel is silenced when any pixel within the
 * high-pass support (±2) is at the rails. Used only as a second look (see detectMark), because on
 * black stage backgrounds and white skies that merely touch the rails the half-clipped mark still
 * carries signal.
 */
export function whitenUnclipped(
  plane: Float32Array,
  whitened: Float32Array,
  w: number,
  h: number,
): Float32Array | undefined {
  const rail = new Float32Array(w * h);
  let railed = 0;
  for (let i = 0; i < rail.length; i++) {
    const v = plane[i]!;
    if (v >= SATURATED_HIGH || v <= SATURATED_LOW) {
      rail[i] = 1;
      railed++;
    }
  }
  if (railed < rail.length * MIN_RAILED_SHARE) return undefined;
  const near = boxBlur(rail, w, h, 2);
  const q = Float32Array.from(whitened);
  for (let i = 0; i < q.length; i++) if (near[i]! > 0) q[i] = 0;
  return q;
}

export function halfResolution(
  q: Float32Array,
  w: number,
  h: number,
): { data: Float32Array; w: number; h: number } {
  const w2 = Math.floor(w / 2);
  const h2 = Math.floor(h / 2);
  const out = new Float32Array(w2 * h2);
  for (let y = 0; y < h2; y++) {
    for (let x = 0; x < w2; x++) {
      const i = 2 * y * w + 2 * x;
      out[y * w2 + x] = q[i]! + q[i + 1]! + q[i + w]! + q[i + w + 1]!;
    }
  }
  return { data: out, w: w2, h: h2 };
}
