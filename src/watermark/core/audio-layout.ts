/**
 * The audio watermark's keyed block layout (which cell carries which coded bit or pilot, with which
 * chip and dither) and the cell features both the embedder's closed loop and the detector compute from
 * band powers.
 */
import { CODED_BITS, encodePayload } from './code.js';
import { Rng } from './prng.js';
import {
  BANDS,
  CELLS,
  CELL_FRAMES,
  CLIP,
  COLS,
  DATA_CELLS,
  DELTA,
  ELIGIBLE,
  FLOOR_REL,
  PAIRS_PER_BIT,
  PILOT_CELLS,
  PILOT_GROUP,
  SPANS,
  SPAN_COLS,
} from './audio-params.js';

export interface Layout {
  /** For each cell (band * COLS + col): coded bit index, or -1 for pilot. */
  readonly bit: Int16Array;
  /** Embedding group of each cell: 0..257 data bits, 258.. pilot groups of 8. */
  readonly group: Int16Array;
  /** Keyed ±1 chip of each cell. */
  readonly chip: Int8Array;
  /** Keyed dither of each coded bit's quantiser, in [0, DELTA). */
  readonly dither: Float64Array;
  /** The data cells as flat lists (coded bit, column, band, chip), for the detector's scans. */
  readonly data: { bit: Int16Array; col: Int16Array; band: Int16Array; chip: Int8Array };
  readonly groups: number;
}

const layouts = new Map<string, Layout>();

export function layoutFor(seed: Uint8Array): Layout {
  const id = Buffer.from(seed).toString('hex');
  const cached = layouts.get(id);
  if (cached) return cached;
  // Cells are paired inside a band (two columns, opposite chips) and a bit takes PAIRS_PER_BIT
  // pairs: any fixed gain per band (EQ, a resampler's or codec's roll-off, the comb of a stereo
  // downmix) adds the same amount to both cells of a pair and cancels in S. A bit's pairs lie in one
  // span of SPAN_COLS columns, so an excerpt's partial blocks still hold complete copies of most
  // bits; bits go to spans by a keyed permutation, so a pause that erases a span hits coded bits
  // spread over the whole trellis.
  const pairRng = new Rng(seed, 'audio-pairs');
  const chipRng = new Rng(seed, 'audio-chips');
  const bitOrder = new Rng(seed, 'audio-spans').permutation(CODED_BITS);
  const bit = new Int16Array(CELLS);
  const group = new Int16Array(CELLS);
  const chip = new Int8Array(CELLS);
  let pilotCells = 0;
  for (let span = 0; span < SPANS; span++) {
    const pairs: Array<[number, number]> = [];
    for (let b = 0; b < BANDS; b++) {
      const cols = pairRng.permutation(SPAN_COLS);
      for (let k = 0; k + 1 < SPAN_COLS; k += 2) {
        pairs.push([b * COLS + span * SPAN_COLS + cols[k]!, b * COLS + span * SPAN_COLS + cols[k + 1]!]);
      }
    }
    const order = pairRng.permutation(pairs.length);
    const bits: number[] = [];
    for (let i = span; i < CODED_BITS; i += SPANS) bits.push(bitOrder[i]!);
    for (let i = 0; i < pairs.length; i++) {
      const [a, c] = pairs[order[i]!]!;
      const sgn = chipRng.nextSign();
      chip[a] = sgn;
      chip[c] = -sgn as 1 | -1;
      const k = Math.floor(i / PAIRS_PER_BIT);
      for (const cell of [a, c]) {
        if (k < bits.length) {
          bit[cell] = bits[k]!;
          group[cell] = bits[k]!;
        } else {
          bit[cell] = -1;
          group[cell] = CODED_BITS + Math.floor(pilotCells++ / PILOT_GROUP);
        }
      }
    }
  }
  const dRng = new Rng(seed, 'audio-dither');
  const dither = new Float64Array(CODED_BITS);
  for (let i = 0; i < CODED_BITS; i++) dither[i] = (dRng.nextU32() / 4294967296) * DELTA;
  const data = {
    bit: new Int16Array(DATA_CELLS),
    col: new Int16Array(DATA_CELLS),
    band: new Int16Array(DATA_CELLS),
    chip: new Int8Array(DATA_CELLS),
  };
  for (let cell = 0, i = 0; cell < CELLS; cell++) {
    if (bit[cell]! < 0) continue;
    data.bit[i] = bit[cell]!;
    data.col[i] = cell % COLS;
    data.band[i] = Math.floor(cell / COLS);
    data.chip[i] = chip[cell]!;
    i++;
  }
  const layout = {
    bit,
    group,
    chip,
    dither,
    data,
    groups: CODED_BITS + Math.ceil(PILOT_CELLS / PILOT_GROUP),
  };
  layouts.set(id, layout);
  return layout;
}

/** The coded bits of a payload as ±1. */
export function coded(payload: Uint8Array, seed: Uint8Array): Int8Array {
  const bits = encodePayload(payload, seed);
  const s = new Int8Array(CODED_BITS);
  for (let i = 0; i < CODED_BITS; i++) s[i] = bits[i] ? 1 : -1;
  return s;
}

/**
 * Cell features: log energy of each (band, column) cell for a cell phase q (frames q + 4j ..),
 * then a temporal high-pass (minus the mean of the two neighbouring columns), which removes
 * stationary partials, slow envelopes and any gain change. Returns [cols × BANDS].
 */
export function cellFeatures(
  p: Float64Array,
  frames: number,
  q: number,
  eps: number,
): { f: Float64Array; g: Float64Array; w: Uint8Array; cols: number } {
  const cols = Math.max(0, Math.floor((frames - q) / CELL_FRAMES));
  const e = cellEnergies(p, frames, q, cols);
  const c = new Float64Array(cols * BANDS);
  const g = new Float64Array(cols * BANDS);
  const w = new Uint8Array(cols * BANDS);
  for (let j = 0; j < cols; j++) {
    const floor = columnFloor(e, j, eps);
    // The embedder's eligibility rule (see nominalAmplitudes), seen from the received energies.
    const eligible = ((floor - eps) / FLOOR_REL) * ELIGIBLE;
    let mean = 0;
    for (let b = 0; b < BANDS; b++) {
      const v = Math.log(e[j * BANDS + b]! + floor);
      c[j * BANDS + b] = v;
      mean += v / BANDS;
      w[j * BANDS + b] = e[j * BANDS + b]! >= eligible && e[j * BANDS + b]! > 0 ? 1 : 0;
    }
    for (let b = 0; b < BANDS; b++) g[j * BANDS + b] = c[j * BANDS + b]! - mean;
  }
  return { f: highPass(c, cols), g, w, cols };
}

/** Energy of every (column, band) cell for cell phase q: [cols × BANDS]. */
export function cellEnergies(p: Float64Array, frames: number, q: number, cols: number): Float64Array {
  const e = new Float64Array(cols * BANDS);
  for (let j = 0; j < cols; j++) {
    const t0 = q + j * CELL_FRAMES;
    for (let b = 0; b < BANDS; b++) {
      let s = 0;
      for (let f = 0; f < CELL_FRAMES; f++) {
        const t = t0 + f;
        if (t < frames) s += p[t * BANDS + b]!;
      }
      e[j * BANDS + b] = s;
    }
  }
  return e;
}

/**
 * Floor added to a column's cell energies before the log: FLOOR_REL of the column's mean cell
 * energy. Bands far below the rest of the column (between the partials of a synthetic chord, the
 * empty top of a voiced vowel) carry almost no mark, since the mark is proportional to the program,
 * but their log energy swings wildly; the floor flattens them instead of letting them dominate.
 */
function columnFloor(e: Float64Array, j: number, eps: number): number {
  let s = 0;
  for (let b = 0; b < BANDS; b++) s += e[j * BANDS + b]!;
  return (FLOOR_REL * s) / BANDS + eps;
}

function highPass(c: Float64Array, cols: number): Float64Array {
  const f = new Float64Array(cols * BANDS);
  for (let j = 0; j < cols; j++) {
    const a = j > 0 ? j - 1 : j + 1 < cols ? j + 1 : j;
    const z = j + 1 < cols ? j + 1 : j > 0 ? j - 1 : j;
    for (let b = 0; b < BANDS; b++) {
      const v = c[j * BANDS + b]! - 0.5 * (c[a * BANDS + b]! + c[z * BANDS + b]!);
      // Onsets and note changes move a cell by several log units; clipping keeps them from
      // drowning the mark, which moves it by a few tenths.
      f[j * BANDS + b] = v > CLIP ? CLIP : v < -CLIP ? -CLIP : v;
    }
  }
  return f;
}

/** Energy added before every log: −90 dB under the average cell. */
export function epsilonFor(p: Float64Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i]!;
  const mean = p.length > 0 ? s / p.length : 0;
  // -90 dB under the average cell: keeps log() finite in digital silence without masking quiet
  // passages.
  return mean * CELL_FRAMES * 1e-9 + 1e-30;
}
