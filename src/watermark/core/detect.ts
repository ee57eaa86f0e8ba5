/**
 * Detection on a luma plane already rescaled to the working area (see constants.ts):
 *  1. whitening: sharp high-pass + local energy normalisation (removes the picture's own low
 *     frequencies; brightness/contrast/gamma changes become irrelevant);
 *  2. synchronisation: the pilot is periodic with period SUB, so the whitened plane's spectrum has
 *     lines on the reciprocal lattice of the pilot grid. A weighted comb over that lattice is
 *     searched over scale and rotation (any angle, modulo the square's symmetries);
 *  3. folding: every pixel is added into one TILE×TILE tile through the inverse lattice map, so
 *     every tile present in the picture (whatever the crop) adds its energy;
 *  4. translation and orientation: cyclic correlation of the folded pilot period with the key's
 *     pilot for the 8 symmetries of the square (flips, quarter turns); then the 16 possible
 *     positions of the pilot period inside the tile are resolved by decoding each and keeping the
 *     best codeword agreement;
 *  5. soft Viterbi and the keyed CRC.
 * The payload is reported only when the keyed CRC matches AND the decoded codeword is close to the
 * received bits AND the pilot peak is clear; README.md gives the false-positive arithmetic.
 */
import { CODED_BITS, decodePayload, type DecodedFrame } from './code.js';
import { fft2d } from './fft.js';
import { CELL, DATA_CELLS, GRID, PROFILE, SUB, TILE, renderPilotPeriod, tileLayout } from './pattern.js';
import {
  findAffineGeometries,
  findGeometries,
  normalisedSpectrum,
  scaleAndAngle,
  type Geometry,
  type Lattice,
} from './sync.js';
import { halfResolution, whiten, whitenUnclipped } from './whiten.js';

export { whiten, whitenUnclipped } from './whiten.js';

/**
 * Pilot peak z-score needed before a decode is trusted (null: the best of 8 orientations × 1024
 * shifts of a near-Gaussian field, about 4.1 ± 0.4 on unmarked pictures).
 */
export const PILOT_Z_MIN = 4.5;
/**
 * Most coded bits (of 258) the decoded codeword may disagree with. On noise the maximum-likelihood
 * codeword still disagrees with 64.7 ± 4.5 hard decisions (0.1–0.3 % of 20,000 simulated decodes
 * were at 52 or below, none below 47), and this test comes on top of the keyed CRC (2⁻¹⁶): together
 * about 4 × 10⁻⁸ per decode. Clean marks show 0–25; heavy attacks reach the high 40s with the payload still right.
 */
export const MAX_BIT_ERRORS = 52;
/**
 * Second acceptance tier: a clear pilot (z ≥ 5.5, which unmarked pictures reach far more rarely
 * than 4.5) lets the decode disagree with up to 60 coded bits. On noise about 15 % of
 * maximum-likelihood codewords are at 60 or below, so with the CRC about 2.3 × 10⁻⁶ per decode
 * before the pilot condition; the bench counts how often unmarked content reaches z ≥ 5.5. It takes
 * the heavily damaged but clearly present marks (a 9:16 crop or crop 40 % at 54–59 bit errors).
 */
export const PILOT_Z_STRONG = 5.5;
export const MAX_BIT_ERRORS_STRONG_PILOT = 60;

/** The decision: keyed CRC, and a pilot / bit-distance pair inside one of the two tiers. */
export function acceptDecode(z: number, frame: DecodedFrame): boolean {
  if (!frame.crcOk) return false;
  if (z >= PILOT_Z_MIN && frame.bitErrors <= MAX_BIT_ERRORS) return true;
  return z >= PILOT_Z_STRONG && frame.bitErrors <= MAX_BIT_ERRORS_STRONG_PILOT;
}
/** Affine candidates tried when no similarity candidate decodes (aspect changes, shear). */
const AFFINE_SHORTLIST = 2;
/** Tile-origin hypotheses (of 16) that are actually decoded. */
const OFFSETS_DECODED = 2;

export interface DetectParams {
  readonly seed: Uint8Array;
}

export interface CoreDetection {
  readonly found: boolean;
  /** 8 payload bytes when found. */
  readonly payload?: Uint8Array;
  /** Score in [0, 1]; 0.5 where the weaker of the two statistics sits at its threshold. */
  readonly confidence: number;
  readonly pilotZ: number;
  readonly agreement: number;
  readonly bitErrors: number;
  readonly crcOk: boolean;
  /** Estimated tile scale relative to embedding (after area normalisation) and rotation (degrees). */
  readonly scale: number;
  readonly rotation: number;
  readonly flipped: boolean;
  readonly quarterTurns: number;
  /** The best decode attempt's payload bytes, verified or not (diagnostics: bit accuracy). */
  readonly decoded?: Uint8Array;
  readonly reason?: string;
}

/** Fold a plane into one n×n tile through the inverse lattice map (lattice in this plane's pixels). */
function fold(q: Float32Array, w: number, h: number, lat: Lattice, n: number): Float64Array {
  const det = lat.ax * lat.by - lat.bx * lat.ay;
  const i00 = (lat.by / det) * n;
  const i01 = (-lat.bx / det) * n;
  const i10 = (-lat.ay / det) * n;
  const i11 = (lat.ax / det) * n;
  const acc = new Float64Array(n * n);
  const cnt = new Float64Array(n * n);
  const cx = w / 2;
  const cy = h / 2;
  const big = n * 4096;
  const mask = n - 1;
  for (let y = 0; y < h; y++) {
    const dy = y - cy;
    let u = i00 * -cx + i01 * dy + big;
    let v = i10 * -cx + i11 * dy + big;
    const row = y * w;
    for (let x = 0; x < w; x++, u += i00, v += i10) {
      const val = q[row + x]!;
      const uf = Math.floor(u);
      const vf = Math.floor(v);
      const fx = u - uf;
      const fy = v - vf;
      const u0 = uf & mask;
      const u1 = (u0 + 1) & mask;
      const v0 = (vf & mask) * n;
      const v1 = ((vf + 1) & mask) * n;
      const w00 = (1 - fx) * (1 - fy);
      const w10 = fx * (1 - fy);
      const w01 = (1 - fx) * fy;
      const w11 = fx * fy;
      acc[v0 + u0]! += val * w00;
      cnt[v0 + u0]! += w00;
      acc[v0 + u1]! += val * w10;
      cnt[v0 + u1]! += w10;
      acc[v1 + u0]! += val * w01;
      cnt[v1 + u0]! += w01;
      acc[v1 + u1]! += val * w11;
      cnt[v1 + u1]! += w11;
    }
  }
  // A position seen by c tiles carries c × signal and √c × noise: dividing by √c keeps the noise
  // variance uniform across the tile, so the correlation statistics stay calibrated.
  for (let i = 0; i < acc.length; i++) acc[i] = cnt[i]! > 0 ? acc[i]! / Math.sqrt(cnt[i]!) : 0;
  return acc;
}

/** The 8 symmetries of the square on an n×n array: variant = flip * 4 + quarter turns. */
function dihedral(src: Float64Array, variant: number, n: number): Float64Array {
  if (variant === 0) return src;
  const out = new Float64Array(n * n);
  const flip = variant >= 4;
  const turns = variant & 3;
  const m = n - 1;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let sx = flip ? m - x : x;
      let sy = y;
      for (let t = 0; t < turns; t++) {
        const tx = sx;
        sx = m - sy;
        sy = tx;
      }
      out[y * n + x] = src[sy * n + sx]!;
    }
  }
  return out;
}

/** Sum the TILE tile's sub-blocks into one SUB×SUB pilot period (noise-normalised). */
function subFold(tile: Float64Array): Float64Array {
  const out = new Float64Array(SUB * SUB);
  for (let y = 0; y < TILE; y++) {
    for (let x = 0; x < TILE; x++) out[(y % SUB) * SUB + (x % SUB)]! += tile[y * TILE + x]!;
  }
  const k = TILE / SUB;
  for (let i = 0; i < out.length; i++) out[i]! /= k;
  return out;
}

const pilotSpectra = new Map<string, { re: Float64Array; im: Float64Array }>();

function pilotSpectrum(seed: Uint8Array): { re: Float64Array; im: Float64Array } {
  const id = Array.from(seed, (b) => b.toString(16).padStart(2, '0')).join('');
  const hit = pilotSpectra.get(id);
  if (hit) return hit;
  const re = Float64Array.from(renderPilotPeriod(tileLayout(seed)));
  const im = new Float64Array(SUB * SUB);
  fft2d(re, im, SUB, SUB);
  if (pilotSpectra.size > 32) pilotSpectra.clear();
  const spec = { re, im };
  pilotSpectra.set(id, spec);
  return spec;
}

interface PilotMatch {
  readonly z: number;
  /** Cyclic shift (mod SUB) of the pilot period inside the tile. */
  readonly sx: number;
  readonly sy: number;
}

/** Cyclic correlation of a SUB×SUB period with the pilot; normalised height of the best peak. */
function matchPilot(period: Float64Array, seed: Uint8Array): PilotMatch {
  const p = pilotSpectrum(seed);
  const re = Float64Array.from(period);
  const im = new Float64Array(SUB * SUB);
  fft2d(re, im, SUB, SUB);
  for (let i = 0; i < re.length; i++) {
    // F · conj(P): correlation with the pilot at every cyclic shift.
    const a = re[i]!;
    const b = im[i]!;
    re[i] = a * p.re[i]! + b * p.im[i]!;
    im[i] = b * p.re[i]! - a * p.im[i]!;
  }
  fft2d(re, im, SUB, SUB, true);
  let sum = 0;
  let sumSq = 0;
  let top = -Infinity;
  let bi = 0;
  for (let i = 0; i < re.length; i++) {
    const x = re[i]!;
    sum += x;
    sumSq += x * x;
    if (x > top) {
      top = x;
      bi = i;
    }
  }
  const mean = sum / re.length;
  const sd = Math.sqrt(Math.max(1e-30, sumSq / re.length - mean * mean));
  // Sub-pixel peak position (parabola through the neighbours, cyclic): the picture was resampled,
  // so the pattern rarely sits on whole pixels, and a half-pixel slip costs cell energy.
  const px = bi % SUB;
  const py = Math.floor(bi / SUB);
  const at = (x: number, y: number): number => re[((y + SUB) % SUB) * SUB + ((x + SUB) % SUB)]!;
  const frac = (l: number, c: number, r: number): number => {
    const d = l - 2 * c + r;
    return d < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (l - r)) / d)) : 0;
  };
  const fx = frac(at(px - 1, py), top, at(px + 1, py));
  const fy = frac(at(px, py - 1), top, at(px, py + 1));
  return { z: (top - mean) / sd, sx: px + fx, sy: py + fy };
}

/**
 * Soft values of the coded bits from a TILE tile, aligned to the pattern by a (fractional) shift:
 * each data cell's matched filter (its sine profile) is applied to the bilinearly sampled tile.
 */
function demodulate(tile: Float64Array, sx: number, sy: number, seed: Uint8Array): Float64Array {
  const layout = tileLayout(seed);
  const soft = new Float64Array(CODED_BITS);
  const m = TILE - 1;
  const ix = Math.floor(sx);
  const iy = Math.floor(sy);
  const ax = sx - ix;
  const ay = sy - iy;
  const w00 = (1 - ax) * (1 - ay);
  const w10 = ax * (1 - ay);
  const w01 = (1 - ax) * ay;
  const w11 = ax * ay;
  for (let i = 0; i < DATA_CELLS; i++) {
    const cell = layout.dataCells[i]!;
    const cy = Math.floor(cell / GRID) * CELL + iy;
    const cx = Math.floor(cell % GRID) * CELL + ix;
    let v = 0;
    for (let dy = 0; dy < CELL; dy++) {
      const r0 = ((cy + dy) & m) * TILE;
      const r1 = ((cy + dy + 1) & m) * TILE;
      const py = PROFILE[dy]!;
      for (let dx = 0; dx < CELL; dx++) {
        const x0 = (cx + dx) & m;
        const x1 = (cx + dx + 1) & m;
        const sample =
          w00 * tile[r0 + x0]! + w10 * tile[r0 + x1]! + w01 * tile[r1 + x0]! + w11 * tile[r1 + x1]!;
        v += sample * py * PROFILE[dx]!;
      }
    }
    soft[layout.dataBit[i]!]! += v * layout.dataChip[i]!;
  }
  return soft;
}

/** Map the detection statistics to [0, 1]: 0.5 where the weaker one sits at its threshold. */
function confidenceOf(z: number, bitErrors: number): number {
  const tier1 = Math.min((z - PILOT_Z_MIN) / 1.5, (MAX_BIT_ERRORS - bitErrors) / 6);
  const tier2 = Math.min((z - PILOT_Z_STRONG) / 1.5, (MAX_BIT_ERRORS_STRONG_PILOT - bitErrors) / 6);
  const t = Math.max(tier1, tier2);
  return 1 / (1 + Math.exp(-2 * t));
}

interface Attempt {
  readonly geometry: Geometry;
  readonly variant: number;
  readonly z: number;
  readonly frame: DecodedFrame;
}

/** Fold at one geometry, find orientation and translation, decode the best of the 16 offsets. */
function attempt(q: Float32Array, w: number, h: number, g: Geometry, seed: Uint8Array): Attempt {
  const folded = fold(q, w, h, g, TILE);
  const period = subFold(folded);
  let bestZ = -Infinity;
  let variant = 0;
  let shift = { sx: 0, sy: 0 };
  for (let v = 0; v < 8; v++) {
    const m = matchPilot(dihedral(period, v, SUB), seed);
    if (m.z > bestZ) {
      bestZ = m.z;
      variant = v;
      shift = m;
    }
  }
  const tile = dihedral(folded, variant, TILE);
  // The pilot repeats every SUB pixels, so the tile origin is one of 16 offsets. At the right one
  // the data cells add coherent energy to the soft values; only the two most energetic offsets
  // are decoded (fewer decodes: faster, and fewer chances for noise to pass the CRC).
  const offsets: Array<{ soft: Float64Array; energy: number }> = [];
  for (let oy = 0; oy < TILE; oy += SUB) {
    for (let ox = 0; ox < TILE; ox += SUB) {
      const soft = demodulate(tile, shift.sx + ox, shift.sy + oy, seed);
      let energy = 0;
      for (const v of soft) energy += v * v;
      offsets.push({ soft, energy });
    }
  }
  offsets.sort((a, b) => b.energy - a.energy);
  let frame: DecodedFrame | undefined;
  for (const o of offsets.slice(0, OFFSETS_DECODED)) {
    const f = decodePayload(o.soft, seed);
    if (!frame || f.agreement > frame.agreement) frame = f;
  }
  return { geometry: g, variant, z: bestZ, frame: frame! };
}

/** Pilot z-score of one lattice with a known orientation variant (no decoding). */
function pilotZAt(
  q: Float32Array,
  w: number,
  h: number,
  l: Lattice,
  variant: number,
  seed: Uint8Array,
): number {
  const period = subFold(fold(q, w, h, l, TILE));
  return matchPilot(dihedral(period, variant, SUB), seed).z;
}

/**
 * Small changes of the lattice, as maps of the plane applied to it: scale, rotation, and for
 * affine candidates also aspect and shear. Each is [m00, m01, m10, m11] per unit step.
 */
const SIMILARITY_MOVES: ReadonlyArray<readonly [number, number, number, number]> = [
  [1, 0, 0, 1],
  [0, -1, 1, 0],
];
const AFFINE_MOVES: ReadonlyArray<readonly [number, number, number, number]> = [
  ...SIMILARITY_MOVES,
  [1, 0, 0, -1],
  [0, 1, 1, 0],
];

/**
 * Coordinate ascent on the pilot z-score around `g`: steps of 0.2 % (scale, aspect, shear) and
 * about 0.1° (rotation), then halved.
 */
function refineGeometry(
  q: Float32Array,
  w: number,
  h: number,
  g: Geometry,
  variant: number,
  z: number,
  seed: Uint8Array,
): Geometry {
  let best = g;
  let bestZ = z;
  // Affine candidates come from single peaks and can be off by half a percent in one direction:
  // they start with larger steps, take one more round, and repeat a step while it helps.
  let eps = g.affine ? 0.004 : 0.002;
  const rounds = g.affine ? 3 : 2;
  const repeats = g.affine ? 3 : 1;
  const moves = g.affine ? AFFINE_MOVES : SIMILARITY_MOVES;
  for (let round = 0; round < rounds; round++) {
    for (const [m00, m01, m10, m11] of moves) {
      for (const e of [eps, -eps]) {
        for (let rep = 0; rep < repeats; rep++) {
          const a00 = 1 + e * m00;
          const a01 = e * m01;
          const a10 = e * m10;
          const a11 = 1 + e * m11;
          const c = {
            ...best,
            ax: a00 * best.ax + a01 * best.ay,
            ay: a10 * best.ax + a11 * best.ay,
            bx: a00 * best.bx + a01 * best.by,
            by: a10 * best.bx + a11 * best.by,
          };
          const cz = pilotZAt(q, w, h, c, variant, seed);
          if (cz <= bestZ) break;
          bestZ = cz;
          best = c;
        }
      }
    }
    eps /= 2;
  }
  return best;
}

/** Which searches {@link detectMark} runs (the window pass of windows.ts runs a lighter one). */
export interface SearchOptions {
  /** Try the affine candidates when no similarity candidate decodes (default true). */
  readonly affine?: boolean;
  /** Second look with clipped regions silenced (default true). */
  readonly secondLook?: boolean;
}

/**
 * Detect the mark in `plane` (luma 0–255 at the working area, width × height).
 * Never throws for content: returns found:false with a reason.
 *
 * @example
 * ```ts
 * const r = detectMark(lumaAtWorkingArea, w, h, { seed });
 * if (r.found) use(r.payload);
 * ```
 */
export function detectMark(
  plane: Float32Array,
  width: number,
  height: number,
  params: DetectParams,
  search: SearchOptions = {},
): CoreDetection {
  const none = {
    confidence: 0,
    pilotZ: 0,
    agreement: 0,
    bitErrors: CODED_BITS,
    crcOk: false,
    scale: 0,
    rotation: 0,
    flipped: false,
    quarterTurns: 0,
  };
  if (width < 64 || height < 64) return { found: false, ...none, reason: 'image too small' };
  const q = whiten(plane, width, height);
  const half = halfResolution(q, width, height);
  const sp = normalisedSpectrum(half.data, half.w, half.h);
  const geometries = findGeometries(sp);
  let best: Attempt | undefined;
  const accept = (a: Attempt): boolean => acceptDecode(a.z, a.frame);
  const tryGeometry = (g: Geometry): Attempt => {
    let a = attempt(q, width, height, g, params.seed);
    if (!accept(a) && a.z >= PILOT_Z_MIN - 1) {
      // The pattern is there but the decode failed: the template's geometry can be a fraction of
      // a degree off, which on a wide picture misaligns the far tiles. Polish the lattice on
      // the pilot peak (no decoding, so no extra chances for a false CRC match), then decode once.
      const g2 = refineGeometry(q, width, height, g, a.variant, a.z, params.seed);
      if (g2 !== g) a = attempt(q, width, height, g2, params.seed);
    }
    if (!best || a.z > best.z) best = a;
    return a;
  };
  for (const g of geometries) {
    const a = tryGeometry(g);
    if (accept(a)) return report(a, true);
  }
  if (search.affine !== false) {
    // Aspect changes and shear move the four lines independently; the affine search fits them.
    for (const g of findAffineGeometries(sp, AFFINE_SHORTLIST, geometries)) {
      const a = tryGeometry(g);
      if (accept(a)) return report(a, true);
    }
  }
  if (!best) return { found: false, ...none, reason: 'no candidate geometry' };
  if (search.secondLook !== false && (best as Attempt).z >= PILOT_Z_MIN - 1) {
    // Second look at the same geometries with clipped regions silenced (brightness ×1.3 on a
    // picture with large near-white areas): one more decode per geometry, and only when a pilot
    // was seen, so unmarked pictures rarely pay for it.
    const qm = whitenUnclipped(plane, q, width, height);
    if (qm) {
      for (const g of geometries) {
        const a = attempt(qm, width, height, g, params.seed);
        if (accept(a)) return report(a, true);
      }
    }
  }
  return report(best, false);
}

function report(a: Attempt, found: boolean): CoreDetection {
  const common = {
    confidence: confidenceOf(a.z, a.frame.bitErrors),
    pilotZ: a.z,
    agreement: a.frame.agreement,
    bitErrors: a.frame.bitErrors,
    crcOk: a.frame.crcOk,
    scale: scaleAndAngle(a.geometry).scale,
    rotation: (scaleAndAngle(a.geometry).angle * 180) / Math.PI,
    flipped: a.variant >= 4,
    quarterTurns: a.variant & 3,
    decoded: a.frame.payload,
  };
  if (found) return { found: true, payload: a.frame.payload, ...common };
  const reason =
    a.z < PILOT_Z_MIN
      ? 'no watermark pattern found'
      : !a.frame.crcOk
        ? 'pattern found but the payload check failed'
        : 'payload too damaged to trust';
  return { found: false, ...common, confidence: Math.min(common.confidence, 0.49), reason };
}
