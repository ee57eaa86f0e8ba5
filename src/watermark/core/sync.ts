/**
 * Synchronisation: finds the lattice of the mark's tile in the whitened working plane from the
 * four grating lines of the template (pattern.ts SYNC_FREQS) in the half-resolution power spectrum.
 *
 * A lattice is the working-plane displacement of one whole tile along the tile's x axis (a) and
 * y axis (b); a grating with k cycles per tile then has frequency B⁻ᵀk (B = [a b]) in cycles per
 * working pixel. Two searches produce candidates:
 *  - similarity (scale and angle; crops, resizes, rotations): a fine grid over scale 0.85–1.8 and
 *    one quadrant of angles, scored by the mean normalised power at the four predicted lines;
 *  - affine (any 2×2 map: aspect changes, shear, and scales 0.8–2.8): the strongest individual
 *    spectral peaks are paired, each pair (taken as the images of two template frequencies) fixes
 *    the whole map, the other two lines are predicted and the map scored as above, then polished.
 */
import { boxBlur } from './filters.js';
import { fft2d, nextPow2 } from './fft.js';
import { SYNC_FREQS, TILE } from './pattern.js';

export interface Spectrum {
  readonly p: Float32Array;
  readonly fw: number;
  readonly fh: number;
}

/** Working-plane displacement of one tile along the tile's x axis (a) and y axis (b). */
export interface Lattice {
  readonly ax: number;
  readonly ay: number;
  readonly bx: number;
  readonly by: number;
}

/** A candidate lattice with its template score (mean normalised power at the four lines). */
export interface Geometry extends Lattice {
  readonly v: number;
  /** True for candidates of the affine search (their polish also varies aspect and shear). */
  readonly affine: boolean;
}

/**
 * Similarity search range, relative to the embedding. After area normalisation a resize changes
 * nothing and a crop keeping a fraction f of the area enlarges the tile by 1/√f (40 % → 1.58), so
 * 0.85–1.8 covers crops, screenshots and rounding. Rotation: any angle (±45° are searched and the
 * 8 symmetries cover the rest).
 */
const SCALE_MIN = 0.85;
const SCALE_MAX = 1.8;
const SCALE_STEP = 1.004;
const ANGLE_STEP = (0.22 * Math.PI) / 180;
/** Similarity geometries passed on to the coherent (pilot) check. */
const SHORTLIST = 3;
/**
 * Affine search: singular values of the map (tile scale along its two principal directions) and
 * their ratio. 2.8 covers a centred 9:16 crop of a 4:1 panorama (14 % of the area); 0.8 is where
 * the lines reach the half-resolution spectrum's Nyquist limit.
 */
const AFFINE_SCALE_MIN = 0.8;
const AFFINE_SCALE_MAX = 2.8;
const AFFINE_MAX_ANISOTROPY = 1.6;
/** Strongest spectral peaks paired by the affine search, and the least normalised power of one. */
const AFFINE_PEAKS = 20;
const AFFINE_PEAK_MIN = 2;

/**
 * Normalised power spectrum (Hann-windowed so the borders do not smear energy along the axes),
 * centred, each bin divided by the local mean power: unmarked bins average about 1 whatever the
 * picture, and the pilot's lines stand out.
 */
export function normalisedSpectrum(q: Float32Array, w: number, h: number): Spectrum {
  const fw = nextPow2(w);
  const fh = nextPow2(h);
  const re = new Float64Array(fw * fh);
  const im = new Float64Array(fw * fh);
  const wx = Float64Array.from({ length: w }, (_, x) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (x + 0.5)) / w));
  for (let y = 0; y < h; y++) {
    const wy = 0.5 - 0.5 * Math.cos((2 * Math.PI * (y + 0.5)) / h);
    for (let x = 0; x < w; x++) re[y * fw + x] = q[y * w + x]! * wx[x]! * wy;
  }
  fft2d(re, im, fw, fh);
  const pw = new Float32Array(fw * fh);
  for (let y = 0; y < fh; y++) {
    const sy = (y + fh / 2) % fh;
    for (let x = 0; x < fw; x++) {
      const i = y * fw + x;
      pw[sy * fw + ((x + fw / 2) % fw)] = re[i]! * re[i]! + im[i]! * im[i]!;
    }
  }
  const lobe = boxBlur(pw, fw, fh, 1);
  const background = boxBlur(pw, fw, fh, 8);
  const p = new Float32Array(fw * fh);
  for (let i = 0; i < p.length; i++) p[i] = lobe[i]! / (background[i]! + 1e-12);
  return { p, fw, fh };
}

export function spectrumAt(sp: Spectrum, fx: number, fy: number): number {
  // fx, fy in cycles per (half-resolution) pixel; zero frequency sits at (fw/2, fh/2).
  const x = fx * sp.fw + sp.fw / 2;
  const y = fy * sp.fh + sp.fh / 2;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  if (x0 < 0 || y0 < 0 || x0 + 1 >= sp.fw || y0 + 1 >= sp.fh) return 0;
  const ax = x - x0;
  const ay = y - y0;
  const i = y0 * sp.fw + x0;
  const p = sp.p;
  return (
    (1 - ay) * ((1 - ax) * p[i]! + ax * p[i + 1]!) + ay * ((1 - ax) * p[i + sp.fw]! + ax * p[i + sp.fw + 1]!)
  );
}

/** The similarity lattice of scale `scale` (relative to embedding) and rotation `theta` (radians). */
export function latticeOf(scale: number, theta: number): Lattice {
  const len = TILE * scale;
  return {
    ax: len * Math.cos(theta),
    ay: len * Math.sin(theta),
    bx: -len * Math.sin(theta),
    by: len * Math.cos(theta),
  };
}

/** Scale (√|det| relative to the embedded tile) and rotation (radians, of the a axis) of a lattice. */
export function scaleAndAngle(l: Lattice): { scale: number; angle: number } {
  return { scale: Math.sqrt(Math.abs(l.ax * l.by - l.bx * l.ay)) / TILE, angle: Math.atan2(l.ay, l.ax) };
}

/**
 * Template score of a lattice: mean normalised power at the four grating frequencies B⁻ᵀk
 * (× 2: cycles per half-resolution pixel).
 */
export function templateScore(sp: Spectrum, l: Lattice): number {
  const det = l.ax * l.by - l.bx * l.ay;
  const g = 2 / det;
  let sum = 0;
  for (const [kx, ky] of SYNC_FREQS) {
    sum += spectrumAt(sp, (l.by * kx - l.ay * ky) * g, (-l.bx * kx + l.ax * ky) * g);
  }
  return sum / SYNC_FREQS.length;
}

/** Candidate similarity geometries, best first. */
export function findGeometries(sp: Spectrum): Geometry[] {
  const sSteps: number[] = [];
  for (let s = SCALE_MIN; s <= SCALE_MAX; s *= SCALE_STEP) sSteps.push(s);
  // The template is invariant under quarter turns, so angles are searched over one quadrant.
  const nt = Math.round(Math.PI / 2 / ANGLE_STEP);
  const tSteps = Array.from({ length: nt }, (_, j) => -Math.PI / 4 + j * ANGLE_STEP);
  const ns = sSteps.length;
  const scores = new Float64Array(ns * nt);
  for (let i = 0; i < ns; i++) {
    for (let j = 0; j < nt; j++) scores[i * nt + j] = templateScore(sp, latticeOf(sSteps[i]!, tSteps[j]!));
  }
  const peaks: Array<{ s: number; t: number; v: number }> = [];
  for (let i = 0; i < ns; i++) {
    for (let j = 0; j < nt; j++) {
      const v = scores[i * nt + j]!;
      let isMax = true;
      for (let di = -1; di <= 1 && isMax; di++) {
        for (let dj = -1; dj <= 1; dj++) {
          const ii = i + di;
          const jj = (j + dj + nt) % nt; // angle wraps at ±45°
          if ((di || dj) && ii >= 0 && ii < ns && scores[ii * nt + jj]! > v) {
            isMax = false;
            break;
          }
        }
      }
      if (isMax) peaks.push({ s: sSteps[i]!, t: tSteps[j]!, v });
    }
  }
  peaks.sort((a, b) => b.v - a.v);
  return peaks.slice(0, SHORTLIST).map((g) => {
    // Finer local search: the coarse grid step is about a third of a spectral bin.
    let best = g;
    for (let ds = -3; ds <= 3; ds++) {
      for (let dt = -3; dt <= 3; dt++) {
        const s = g.s * Math.pow(SCALE_STEP, ds / 6);
        const t = g.t + (dt / 6) * ANGLE_STEP;
        const v = templateScore(sp, latticeOf(s, t));
        if (v > best.v) best = { s, t, v };
      }
    }
    return { ...latticeOf(best.s, best.t), v: best.v, affine: false };
  });
}

/** Frequency matrix G = B⁻ᵀ (cycles per working pixel per cycle per tile) and back. */
function toFrequency(l: Lattice): [number, number, number, number] {
  const det = l.ax * l.by - l.bx * l.ay;
  return [l.by / det, -l.ay / det, -l.bx / det, l.ax / det];
}
function fromFrequency(g: readonly number[]): Lattice {
  // B = G⁻ᵀ; G = [[g0, g1], [g2, g3]] maps k to (g0 kx + g1 ky, g2 kx + g3 ky).
  const det = g[0]! * g[3]! - g[1]! * g[2]!;
  return { ax: g[3]! / det, ay: -g[1]! / det, bx: -g[2]! / det, by: g[0]! / det };
}

/** Singular values of B / TILE (the tile's scale along its principal directions). */
function singularScales(l: Lattice): [number, number] {
  const a = l.ax / TILE;
  const b = l.bx / TILE;
  const c = l.ay / TILE;
  const d = l.by / TILE;
  const s1 = a * a + b * b + c * c + d * d;
  const det = a * d - b * c;
  const root = Math.sqrt(Math.max(0, s1 * s1 - 4 * det * det));
  return [Math.sqrt((s1 - root) / 2), Math.sqrt((s1 + root) / 2)];
}

/** The 8 predicted line positions (± the four frequencies, half-resolution cycles per pixel). */
function lines(l: Lattice): Array<[number, number]> {
  const [g0, g1, g2, g3] = toFrequency(l);
  const out: Array<[number, number]> = [];
  for (const [kx, ky] of SYNC_FREQS) {
    const fx = 2 * (g0 * kx + g1 * ky);
    const fy = 2 * (g2 * kx + g3 * ky);
    out.push([fx, fy], [-fx, -fy]);
  }
  return out;
}

/** True when two lattices predict the same lines (within `tol` cycles), i.e. the same geometry up to the square's symmetries. */
function sameLines(a: Lattice, b: Lattice, tol: number): boolean {
  const lb = lines(b);
  return lines(a).every(([x, y]) => lb.some(([u, v]) => Math.abs(x - u) <= tol && Math.abs(y - v) <= tol));
}

/**
 * Candidate affine geometries, best first, leaving out any that predicts the same lines as one of
 * `known` (the similarity candidates already tried).
 */
export function findAffineGeometries(sp: Spectrum, count: number, known: readonly Lattice[]): Geometry[] {
  const { p, fw, fh } = sp;
  const kMag = Math.hypot(SYNC_FREQS[0]![0], SYNC_FREQS[0]![1]);
  const rMin = (2 * kMag) / (TILE * AFFINE_SCALE_MAX);
  const rMax = Math.min(0.48, (2 * kMag) / (TILE * AFFINE_SCALE_MIN));
  const peaks: Array<{ fx: number; fy: number; v: number }> = [];
  // Upper half-plane only: the power spectrum of a real plane is symmetric.
  for (let y = fh / 2; y < fh - 1; y++) {
    const fy = (y - fh / 2) / fh;
    for (let x = 1; x < fw - 1; x++) {
      if (y === fh / 2 && x <= fw / 2) continue;
      const fx = (x - fw / 2) / fw;
      const r = Math.hypot(fx, fy);
      if (r < rMin || r > rMax) continue;
      const i = y * fw + x;
      const v = p[i]!;
      if (v < AFFINE_PEAK_MIN) continue;
      if (
        v < p[i - 1]! ||
        v < p[i + 1]! ||
        v < p[i - fw]! ||
        v < p[i + fw]! ||
        v < p[i - fw - 1]! ||
        v < p[i - fw + 1]! ||
        v < p[i + fw - 1]! ||
        v < p[i + fw + 1]!
      ) {
        continue;
      }
      // Sub-bin position: parabola through the neighbours on each axis.
      const frac = (l: number, c: number, rr: number): number => {
        const d = l - 2 * c + rr;
        return d < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (l - rr)) / d)) : 0;
      };
      peaks.push({
        fx: fx + frac(p[i - 1]!, v, p[i + 1]!) / fw,
        fy: fy + frac(p[i - fw]!, v, p[i + fw]!) / fh,
        v,
      });
    }
  }
  peaks.sort((a, b) => b.v - a.v);
  const top = peaks.slice(0, AFFINE_PEAKS);
  const [k1x, k1y] = SYNC_FREQS[0]!;
  const hyps: Geometry[] = [];
  for (const pi of top) {
    for (const pj of top) {
      if (pi === pj) continue;
      for (let m = 1; m < SYNC_FREQS.length; m++) {
        const [kmx, kmy] = SYNC_FREQS[m]!;
        // K = [k1 km] (columns); K⁻¹.
        const kd = k1x * kmy - kmx * k1y;
        const ki = [kmy / kd, -kmx / kd, -k1y / kd, k1x / kd];
        for (const sign of [1, -1]) {
          // F = [pi, ±pj] / 2 in cycles per working pixel; G = F K⁻¹.
          const f00 = pi.fx / 2;
          const f10 = pi.fy / 2;
          const f01 = (sign * pj.fx) / 2;
          const f11 = (sign * pj.fy) / 2;
          const g = [
            f00 * ki[0]! + f01 * ki[2]!,
            f00 * ki[1]! + f01 * ki[3]!,
            f10 * ki[0]! + f11 * ki[2]!,
            f10 * ki[1]! + f11 * ki[3]!,
          ];
          if (Math.abs(g[0]! * g[3]! - g[1]! * g[2]!) < 1e-12) continue;
          const l = fromFrequency(g);
          const [smin, smax] = singularScales(l);
          if (smin < AFFINE_SCALE_MIN || smax > AFFINE_SCALE_MAX || smax > smin * AFFINE_MAX_ANISOTROPY)
            continue;
          hyps.push({ ...l, v: templateScore(sp, l), affine: true });
        }
      }
    }
  }
  hyps.sort((a, b) => b.v - a.v);
  const tol = 1.5 / Math.min(fw, fh);
  const out: Geometry[] = [];
  for (const h of hyps) {
    if (out.length >= count) break;
    if (known.some((k) => sameLines(h, k, tol)) || out.some((k) => sameLines(h, k, tol))) continue;
    const polished = polishTemplate(sp, h);
    if (known.some((k) => sameLines(polished, k, tol))) continue;
    out.push(polished);
  }
  return out;
}

/** Coordinate ascent of the template score over the four entries of the frequency matrix. */
function polishTemplate(sp: Spectrum, start: Geometry): Geometry {
  const g = toFrequency(start);
  let best = start.v;
  // One bin moves a line by 1/fw; an entry step ε moves it by about 2·|k|·ε.
  const kMag = Math.hypot(SYNC_FREQS[0]![0], SYNC_FREQS[0]![1]);
  let eps = 0.5 / (Math.min(sp.fw, sp.fh) * 2 * kMag);
  for (let round = 0; round < 4; round++) {
    let improved = true;
    for (let pass = 0; pass < 4 && improved; pass++) {
      improved = false;
      for (let e = 0; e < 4; e++) {
        for (const d of [eps, -eps]) {
          const trial = [...g];
          trial[e]! += d;
          const v = templateScore(sp, fromFrequency(trial));
          if (v > best) {
            best = v;
            g[e] = trial[e]!;
            improved = true;
          }
        }
      }
    }
    eps /= 2;
  }
  return { ...fromFrequency(g), v: best, affine: true };
}
