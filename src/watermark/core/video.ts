/**
 * Video watermark v1 (`org.provmark.watermark.video.1`): the pure signal processing. The file
 * adapter (../video.ts) decodes and encodes with ffmpeg; everything here works on 8-bit luma planes
 * and imports nothing but the rest of the core.
 *
 * Layout. The frame is divided into a grid of cells defined relative to the frame (80 cells on
 * the long side, the short side in proportion), so any rescale that keeps the whole picture
 * (640×360, ×0.9 screen recordings) leaves the grid where it was: the detector decodes frames at
 * the grid's working size (4 px per cell) and finds every cell in place. Each cell carries a
 * smooth bump (a product of half-sines: no block edges for the codec to spend bits on, energy at
 * low frequencies that survive CRF 28–30 and downscaling) with a key-derived sign. A quarter of
 * the cells are a pilot known to the detector; the rest carry the 258 coded bits of code.ts
 * (64 payload bits, keyed CRC-16, rate-1/3 convolutional code), each bit spread over ~10 cells
 * scattered across the frame.
 *
 * Time. The pattern is held for a group of frames (about one second) and each group takes a
 * key-derived overall sign. Holding matters: a pattern that changes every frame is destroyed by
 * inter-frame prediction at CRF 28 (measured, see shared notes), while a held one is carried by
 * the P/B frames for free. The sign changes make the mark a moving target for simple temporal
 * averaging. The detector does not need to know where groups start: it weights each frame's
 * soft bits by that frame's (smoothed) pilot correlation, whose sign is the group's sign, so any
 * excerpt, frame-rate change or cut combines coherently.
 *
 * Decision. A payload is reported only when the keyed CRC matches, the decoded codeword is within
 * {@link MAX_BIT_ERRORS} of the received hard decisions, and the pilot energy is clearly above
 * what unmarked video shows (see README.md of the image mark for the CRC/codeword arithmetic).
 */
import { CODED_BITS, decodePayload, encodePayload } from './code.js';
import { MAX_BIT_ERRORS } from './detect.js';
import { Rng } from './prng.js';

/** Cells along the frame's long side. */
const LONG_CELLS = 80;
/** Working pixels per cell at detection. */
const CELL_PX = 4;
/** Share of cells used as pilot. */
const PILOT_SHARE = 0.25;
/**
 * Peak amplitude (luma levels) of a cell's bump at strength 1; the RMS is about half of it. At 3.9
 * (luma PSNR of the mark alone 42.46 dB) a 2-second cut of a Game-of-Life clip failed (11/12 clips,
 * 54 bit errors); at 4.5 the same clips decode with at most 38 (bench:video, README). Lower values
 * failed earlier: 3.4 (43.7 dB) lost a 2-second cut of cellular-automaton content.
 */
const PEAK_AMPLITUDE = 4.5;
/** Smallest short side (px) accepted for embedding: cells must stay a few pixels wide. */
export const MIN_VIDEO_EMBED_SIDE = 144;
/** Smallest short side (px) at which detection is attempted. */
export const MIN_VIDEO_DETECT_SIDE = 90;
/**
 * RMS over frames of the per-frame pilot z-score needed before a decode is trusted. Unmarked
 * moving clips give about 1 (0.8–1.2 measured, best of the 8 orientations); a still picture repeats
 * one frame's |z|, so this gate is weak there and the keyed CRC + codeword distance carry the
 * decision (per decode about 4 × 10⁻⁸ false, see MAX_BIT_ERRORS in core/detect.ts; 8 decodes).
 */
export const VIDEO_PILOT_MIN = 2.5;
/** Frames on each side averaged when estimating a frame's group sign. */
const SIGN_SMOOTH = 4;
/** Per-pixel variance floor (levels²) in the cell weighting: about the mark's own power. */
const ENERGY_FLOOR = 4;

/** Grid and key-derived layout for a frame aspect. */
interface Layout {
  readonly cellsX: number;
  readonly cellsY: number;
  /** Per cell: the coded bit it carries (index), or -1 for a pilot cell. */
  readonly bitOf: Int16Array;
  /** Per cell: ±1 chip. */
  readonly chip: Int8Array;
  readonly pilotCells: number;
}

function gridFor(width: number, height: number): { cellsX: number; cellsY: number } {
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  const shortCells = Math.max(1, Math.round((LONG_CELLS * short) / long));
  return width >= height
    ? { cellsX: LONG_CELLS, cellsY: shortCells }
    : { cellsX: shortCells, cellsY: LONG_CELLS };
}

function makeLayout(seed: Uint8Array, cellsX: number, cellsY: number): Layout {
  const n = cellsX * cellsY;
  const perm = new Rng(seed, `video-cells-${cellsX}x${cellsY}`).permutation(n);
  const pilotCells = Math.round(n * PILOT_SHARE);
  const bitOf = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const cell = perm[i]!;
    bitOf[cell] = i < pilotCells ? -1 : (i - pilotCells) % CODED_BITS;
  }
  const chipRng = new Rng(seed, 'video-chips');
  const chip = new Int8Array(n);
  for (let i = 0; i < n; i++) chip[i] = chipRng.nextSign();
  return { cellsX, cellsY, bitOf, chip, pilotCells };
}

/** The sign (+1/-1) of each cell's bump: chip × (pilot: +1, data: coded bit as ±1). */
function cellSigns(layout: Layout, coded: Uint8Array): Int8Array {
  const n = layout.cellsX * layout.cellsY;
  const s = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const b = layout.bitOf[i]!;
    s[i] = layout.chip[i]! * (b < 0 ? 1 : coded[b] ? 1 : -1);
  }
  return s;
}

/** Half-sine profile across one cell, sampled at pixel centres of a `cells`-cell axis of `px` pixels. */
function axisProfile(px: number, cells: number): { cell: Int32Array; weight: Float32Array } {
  const cell = new Int32Array(px);
  const weight = new Float32Array(px);
  for (let x = 0; x < px; x++) {
    const u = ((x + 0.5) * cells) / px; // position in cell units
    const c = Math.min(cells - 1, Math.floor(u));
    cell[x] = c;
    weight[x] = Math.sin(Math.PI * (u - c));
  }
  return { cell, weight };
}

/** The full-resolution luma offset field (levels) for one group sign of +1. */
function renderPattern(
  layout: Layout,
  signs: Int8Array,
  width: number,
  height: number,
  peak: number,
): Float32Array {
  const ax = axisProfile(width, layout.cellsX);
  const ay = axisProfile(height, layout.cellsY);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = ay.cell[y]! * layout.cellsX;
    const wy = ay.weight[y]! * peak;
    const o = y * width;
    for (let x = 0; x < width; x++) out[o + x] = signs[row + ax.cell[x]!]! * wy * ax.weight[x]!;
  }
  return out;
}

function groupSigns(seed: Uint8Array): (group: number) => 1 | -1 {
  const cache: Array<1 | -1> = [];
  const rng = new Rng(seed, 'video-group-signs');
  return (g) => {
    while (cache.length <= g) cache.push(rng.nextSign());
    return cache[g]!;
  };
}

/**
 * High-pass of a working-size luma frame: the frame minus its 9×9 box mean (separable running
 * sums), clipped. A cell's bump is 4 px wide, so the mean removes the picture's low frequencies and
 * keeps most of the bump's energy; clipping (the mark is a few levels, a hard edge tens) keeps one
 * edge from dominating its cell. The filter is symmetric, so one pass serves every orientation.
 */
function highPass(frame: Uint8Array, w: number, h: number, tmp: Float32Array, out: Float32Array): void {
  const r = CELL_PX;
  for (let y = 0; y < h; y++) {
    const o = y * w;
    let s = 0;
    let cnt = 0;
    for (let x = 0; x < Math.min(r, w); x++) {
      s += frame[o + x]!;
      cnt++;
    }
    for (let x = 0; x < w; x++) {
      if (x + r < w) {
        s += frame[o + x + r]!;
        cnt++;
      }
      if (x - r - 1 >= 0) {
        s -= frame[o + x - r - 1]!;
        cnt--;
      }
      tmp[o + x] = s / cnt;
    }
  }
  for (let x = 0; x < w; x++) {
    let s = 0;
    let cnt = 0;
    for (let y = 0; y < Math.min(r, h); y++) {
      s += tmp[y * w + x]!;
      cnt++;
    }
    for (let y = 0; y < h; y++) {
      if (y + r < h) {
        s += tmp[(y + r) * w + x]!;
        cnt++;
      }
      if (y - r - 1 >= 0) {
        s -= tmp[(y - r - 1) * w + x]!;
        cnt--;
      }
      const i = y * w + x;
      let d = frame[i]! - s / cnt;
      if (d > 12) d = 12;
      else if (d < -12) d = -12;
      out[i] = d;
    }
  }
}

/**
 * One candidate orientation of the embedded grid in the decoded frame: the 8 symmetries of the
 * rectangle (an autorotating re-encoder bakes a phone clip's display rotation into the pixels; a
 * selfie pipeline may mirror it). Per decoded pixel: the cell it falls in and its bump weight.
 */
interface Orientation {
  readonly layout: Layout;
  readonly cellOf: Int32Array;
  readonly weight: Float32Array;
  readonly bitCells: Float64Array;
  readonly resp: Float64Array;
  readonly energy: Float64Array;
  readonly pilots: number[];
  readonly softs: Float64Array[];
  /** Bump pixels per cell (for the energy floor). */
  readonly cellPixels: number;
}

function makeOrientation(seed: Uint8Array, w: number, h: number, o: number): Orientation {
  // Map decoded (x, y) to embedding-frame (u, v): optional mirror, then o & 3 quarter turns.
  const quarter = o & 3;
  const W = quarter % 2 === 0 ? w : h;
  const H = quarter % 2 === 0 ? h : w;
  const { cellsX, cellsY } = gridFor(W, H);
  const layout = makeLayout(seed, cellsX, cellsY);
  const ax = axisProfile(W, cellsX);
  const ay = axisProfile(H, cellsY);
  const cellOf = new Int32Array(w * h);
  const weight = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let cx = o & 4 ? w - 1 - x : x;
      let cy = y;
      let cw = w;
      let ch = h;
      for (let q = 0; q < quarter; q++) {
        const nx = ch - 1 - cy;
        cy = cx;
        cx = nx;
        const t = cw;
        cw = ch;
        ch = t;
      }
      cellOf[y * w + x] = ay.cell[cy]! * cellsX + ax.cell[cx]!;
      weight[y * w + x] = ay.weight[cy]! * ax.weight[cx]!;
    }
  }
  const nCells = cellsX * cellsY;
  const bitCells = new Float64Array(CODED_BITS);
  for (let i = 0; i < nCells; i++) if (layout.bitOf[i]! >= 0) bitCells[layout.bitOf[i]!]! += 1;
  return {
    layout,
    cellOf,
    weight,
    bitCells,
    resp: new Float64Array(nCells),
    energy: new Float64Array(nCells),
    pilots: [],
    softs: [],
    cellPixels: (W / cellsX) * (H / cellsY),
  };
}

/** Add one high-passed frame's evidence to an orientation: pilot z and per-bit soft values. */
function analyseFrame(d: Float32Array, or: Orientation): void {
  const { resp, energy, cellOf, weight, layout } = or;
  resp.fill(0);
  energy.fill(0);
  for (let i = 0; i < d.length; i++) {
    const c = cellOf[i]!;
    const v = d[i]!;
    resp[c]! += v * weight[i]!;
    energy[c]! += v * v;
  }
  // Divide by the cell's own high-pass energy (plus a floor for flat cells): busy cells, where the
  // picture drowns the mark, count less (an approximate likelihood weighting). Then unit variance.
  const floor = or.cellPixels * ENERGY_FLOOR;
  let ss = 0;
  for (let i = 0; i < resp.length; i++) {
    const v = resp[i]! / Math.sqrt(energy[i]! + floor);
    resp[i] = v;
    ss += v * v;
  }
  const sd = Math.sqrt(ss / resp.length) || 1;
  let pilot = 0;
  const soft = new Float64Array(CODED_BITS);
  for (let i = 0; i < resp.length; i++) {
    const b = layout.bitOf[i]!;
    const v = (resp[i]! / sd) * layout.chip[i]!;
    if (b < 0) pilot += v;
    else soft[b]! += v;
  }
  or.pilots.push(pilot / Math.sqrt(layout.pilotCells));
  // Unit variance per coded bit under the null.
  for (let b = 0; b < CODED_BITS; b++) soft[b]! /= Math.sqrt(or.bitCells[b]!);
  or.softs.push(soft);
}

interface OrientationResult {
  readonly pilotZ: number;
  readonly decoded: ReturnType<typeof decodePayload>;
  readonly found: boolean;
}

/** Combine an orientation's frames (sign-blind, weighted by the smoothed pilot) and decode. */
function decodeOrientation(or: Orientation, seed: Uint8Array): OrientationResult {
  const n = or.pilots.length;
  let ss = 0;
  for (const p of or.pilots) ss += p * p;
  const pilotZ = Math.sqrt(ss / n);
  // Weight each frame by its pilot correlation averaged over neighbours (the group sign is shared
  // by neighbouring frames; a transition frame gets a small weight).
  const combined = new Float64Array(CODED_BITS);
  for (let f = 0; f < n; f++) {
    let c = 0;
    for (let k = Math.max(0, f - SIGN_SMOOTH); k <= Math.min(n - 1, f + SIGN_SMOOTH); k++) c += or.pilots[k]!;
    const soft = or.softs[f]!;
    for (let b = 0; b < CODED_BITS; b++) combined[b]! += c * soft[b]!;
  }
  const decoded = decodePayload(combined, seed);
  const found = pilotZ >= VIDEO_PILOT_MIN && decoded.crcOk && decoded.bitErrors <= MAX_BIT_ERRORS;
  return { pilotZ, decoded, found };
}

/** What the embedder adds to each frame's luma: the rounded pattern of either group sign. */
export interface VideoEmbedPlan {
  readonly pattern: Int8Array;
  readonly negPattern: Int8Array;
  /** Key-derived overall sign of group `g` (0, 1, …). */
  readonly signOf: (group: number) => 1 | -1;
}

/**
 * The v1 pattern for a `width` × `height` frame carrying `payload` (8 bytes) at `strength`.
 * Adding a real offset to an integer sample and rounding equals adding the rounded offset (up to
 * ties), so the field is rounded once and the per-frame loop ({@link addLumaOffset}) is integer-only.
 */
export function planVideoMark(
  seed: Uint8Array,
  payload: Uint8Array,
  width: number,
  height: number,
  strength: number,
): VideoEmbedPlan {
  const { cellsX, cellsY } = gridFor(width, height);
  const layout = makeLayout(seed, cellsX, cellsY);
  const coded = encodePayload(payload, seed);
  const field = renderPattern(layout, cellSigns(layout, coded), width, height, PEAK_AMPLITUDE * strength);
  const pattern = Int8Array.from(field, (v) => Math.round(v));
  return { pattern, negPattern: pattern.map((v) => -v), signOf: groupSigns(seed) };
}

/** Add `offset` to the first `offset.length` bytes of `frame` (the luma plane), saturating at 0 and 255. */
export function addLumaOffset(frame: Uint8Array, offset: Int8Array): void {
  // A clamped view rounds and saturates on store: exactly the 8-bit add we want.
  const y = new Uint8ClampedArray(frame.buffer, frame.byteOffset, offset.length);
  const n = offset.length;
  for (let k = 0; k < n; k++) y[k] = y[k]! + offset[k]!;
}

/** A v1 detection before the adapter adds its file-level fields. */
export interface VideoCoreDetection {
  readonly found: boolean;
  /** The 8 payload bytes, only when `found`. */
  readonly payload?: Uint8Array;
  readonly confidence: number;
  readonly bitErrors: number;
  readonly pilotZ: number;
  readonly frames: number;
  readonly reason?: string;
}

/**
 * Streaming v1 detector: frames (8-bit luma at {@link width} × {@link height}, the grid's working
 * size for the decoded aspect, 4 px per cell) go in one at a time; {@link finish} decides.
 */
export class VideoMarkDetectorV1 {
  readonly width: number;
  readonly height: number;
  private readonly seed: Uint8Array;
  private readonly orientations: Orientation[];
  private readonly tmp: Float32Array;
  private readonly d: Float32Array;
  private n = 0;

  /** `width` × `height`: the decoded video's size. */
  constructor(seed: Uint8Array, width: number, height: number) {
    const grid = gridFor(width, height);
    this.width = grid.cellsX * CELL_PX;
    this.height = grid.cellsY * CELL_PX;
    this.seed = seed;
    this.orientations = Array.from({ length: 8 }, (_, o) =>
      makeOrientation(seed, this.width, this.height, o),
    );
    this.tmp = new Float32Array(this.width * this.height);
    this.d = new Float32Array(this.width * this.height);
  }

  get frames(): number {
    return this.n;
  }

  addFrame(frame: Uint8Array): void {
    highPass(frame, this.width, this.height, this.tmp, this.d);
    for (const or of this.orientations) analyseFrame(this.d, or);
    this.n++;
  }

  /** The decision over the frames seen so far (at least one). */
  finish(): VideoCoreDetection {
    // Every orientation is decoded (8 decodes: the false-report bound of one decode times 8); the
    // reported one is a found one if any, else the one with the strongest pilot.
    const results = this.orientations.map((or) => decodeOrientation(or, this.seed));
    const best =
      results.find((r) => r.found) ?? results.reduce((a, b2) => (b2.pilotZ > a.pilotZ ? b2 : a), results[0]!);
    const { pilotZ, decoded: dec } = best;
    const confidence = Math.min(
      1 / (1 + Math.exp(-(MAX_BIT_ERRORS + 0.5 - dec.bitErrors) / 4)),
      1 / (1 + Math.exp(-(pilotZ - VIDEO_PILOT_MIN) / 0.5)),
    );
    const common = {
      confidence: Math.round((best.found ? confidence : Math.min(confidence, 0.49)) * 1e4) / 1e4,
      bitErrors: dec.bitErrors,
      pilotZ: Math.round(pilotZ * 100) / 100,
      frames: this.n,
    };
    if (pilotZ < VIDEO_PILOT_MIN) {
      return { found: false, ...common, reason: 'no watermark pattern (pilot too weak)' };
    }
    if (!dec.crcOk)
      return { found: false, ...common, reason: 'pattern present but the payload check failed' };
    if (dec.bitErrors > MAX_BIT_ERRORS) return { found: false, ...common, reason: 'too many bit errors' };
    return { found: true, payload: dec.payload, ...common };
  }
}
