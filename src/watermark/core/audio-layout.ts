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
  type AudioScheme,
} from './audio-params.js';

export interface Layout {
  readonly scheme: AudioScheme;
  /** Columns of one layout cycle (scheme.cycle blocks): the cells below are indexed band * cols + col. */
  readonly cols: number;
  /** For each cell (band * cols + col): coded bit index, or -1 for pilot. */
  readonly bit: Int16Array;
  /** Embedding group of each cell: 0..257 data bits, 258.. pilot groups of 8. */
  readonly group: Int16Array;
  /** Keyed ±1 chip of each cell. */
  readonly chip: Int8Array;
  /** Keyed dither of each coded bit's quantiser, in [0, DELTA). */
  readonly dither: Float64Array;
  /**
   * The data cells as flat lists (coded bit, column in the cycle, band, chip, and the copy they
   * belong to: block of the cycle × CODED_BITS + bit), for the detector's scans.
   */
  readonly data: { bit: Int16Array; col: Int16Array; band: Int16Array; chip: Int8Array; slot: Int16Array };
  /** Data cells of cycle column c: data entries colStart[c] … colStart[c + 1] − 1 (sorted by column). */
  readonly colStart: Int32Array;
  /** First and last cycle column of each copy's cells (per slot). */
  readonly slotLo: Int16Array;
  readonly slotHi: Int16Array;
  readonly groups: number;
}

const layouts = new Map<string, Layout>();

/** The layout of `scheme` under a key (cached). */
export function layoutFor(seed: Uint8Array, scheme: AudioScheme): Layout {
  const id = `${scheme.version}:${Buffer.from(seed).toString('hex')}`;
  const cached = layouts.get(id);
  if (cached) return cached;
  const layout = scheme.version === 1 ? layoutV1(seed, scheme) : layoutV2(seed, scheme);
  layouts.set(id, layout);
  return layout;
}

function layoutV1(seed: Uint8Array, scheme: AudioScheme): Layout {
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
  return finish(seed, scheme, bit, group, chip, CODED_BITS + Math.ceil(PILOT_CELLS / PILOT_GROUP));
}

/** Dither and the flat data lists of a layout whose cells are placed. */
function finish(
  seed: Uint8Array,
  scheme: AudioScheme,
  bit: Int16Array,
  group: Int16Array,
  chip: Int8Array,
  groups: number,
): Layout {
  const cols = scheme.cycle * COLS;
  const dRng = new Rng(seed, 'audio-dither');
  const dither = new Float64Array(CODED_BITS);
  for (let i = 0; i < CODED_BITS; i++) dither[i] = (dRng.nextU32() / 4294967296) * DELTA;
  const n = scheme.cycle * DATA_CELLS;
  const data = {
    bit: new Int16Array(n),
    col: new Int16Array(n),
    band: new Int16Array(n),
    chip: new Int8Array(n),
    slot: new Int16Array(n),
  };
  const colStart = new Int32Array(cols + 1);
  const slotLo = new Int16Array(scheme.cycle * CODED_BITS).fill(cols);
  const slotHi = new Int16Array(scheme.cycle * CODED_BITS).fill(-1);
  // Column by column, so that the detector's scan visits only the columns inside the excerpt.
  let i = 0;
  for (let col = 0; col < cols; col++) {
    colStart[col] = i;
    for (let band = 0; band < BANDS; band++) {
      const cell = band * cols + col;
      if (bit[cell]! < 0) continue;
      const slot = Math.floor(col / COLS) * CODED_BITS + bit[cell]!;
      data.bit[i] = bit[cell]!;
      data.col[i] = col;
      data.band[i] = band;
      data.chip[i] = chip[cell]!;
      data.slot[i] = slot;
      slotLo[slot] = Math.min(slotLo[slot]!, col);
      slotHi[slot] = Math.max(slotHi[slot]!, col);
      i++;
    }
  }
  colStart[cols] = i;
  return { scheme, cols, bit, group, chip, dither, data, colStart, slotLo, slotHi, groups };
}

/**
 * audio.2: the same pairs and spans, but a bit's pairs all lie in one region, and over a cycle of
 * three blocks every bit gets one copy in the telephone band at least once: block c of the cycle
 * puts bits lOrder[112c … 112c + 111] (modulo 258) there, and the others above 3.4 kHz.
 */
function layoutV2(seed: Uint8Array, scheme: AudioScheme): Layout {
  const cols = scheme.cycle * COLS;
  const pairRng = new Rng(seed, 'audio2-pairs');
  const chipRng = new Rng(seed, 'audio2-chips');
  const spanRng = new Rng(seed, 'audio2-spans');
  const lOrder = new Rng(seed, 'audio2-phone').permutation(CODED_BITS);
  const [, phoneEnd] = scheme.regions as [number, number, number];
  const lPerBlock = (phoneEnd * COLS) / (2 * PAIRS_PER_BIT); // 112
  const bit = new Int16Array(BANDS * cols).fill(-1);
  const group = new Int16Array(BANDS * cols);
  const chip = new Int8Array(BANDS * cols);
  let maxPilotGroups = 0;
  for (let blk = 0; blk < scheme.cycle; blk++) {
    const inPhone = new Uint8Array(CODED_BITS);
    const phoneBits: number[] = [];
    for (let i = 0; i < lPerBlock; i++) {
      const b = lOrder[(blk * lPerBlock + i) % CODED_BITS]!;
      inPhone[b] = 1;
      phoneBits.push(b);
    }
    const order = spanRng.permutation(CODED_BITS);
    const highBits = Array.from(order).filter((b) => !inPhone[b]);
    let pilotCells = 0;
    for (let span = 0; span < SPANS; span++) {
      const c0 = blk * COLS + span * SPAN_COLS;
      for (let r = 0; r < 2; r++) {
        const pairs: Array<[number, number]> = [];
        for (let b = scheme.regions[r]!; b < scheme.regions[r + 1]!; b++) {
          const pc = pairRng.permutation(SPAN_COLS);
          for (let k = 0; k + 1 < SPAN_COLS; k += 2)
            pairs.push([b * cols + c0 + pc[k]!, b * cols + c0 + pc[k + 1]!]);
        }
        const pOrder = pairRng.permutation(pairs.length);
        const list = r === 0 ? phoneBits : highBits;
        const bits: number[] = [];
        for (let i = span; i < list.length; i += SPANS) bits.push(list[i]!);
        for (let i = 0; i < pairs.length; i++) {
          const [a, c] = pairs[pOrder[i]!]!;
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
    }
    maxPilotGroups = Math.max(maxPilotGroups, Math.ceil(pilotCells / PILOT_GROUP));
  }
  return finish(seed, scheme, bit, group, chip, CODED_BITS + maxPilotGroups);
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
  regions: readonly number[],
): { f: Float64Array; g: Float64Array; w: Uint8Array; cols: number } {
  const cols = Math.max(0, Math.floor((frames - q) / CELL_FRAMES));
  const e = cellEnergies(p, frames, q, cols);
  const c = new Float64Array(cols * BANDS);
  const g = new Float64Array(cols * BANDS);
  const w = new Uint8Array(cols * BANDS);
  for (let j = 0; j < cols; j++) {
    // Floor, eligibility and mean per region of the column (audio.1: one region, the whole column).
    for (let r = 0; r + 1 < regions.length; r++) {
      const b0 = regions[r]!;
      const b1 = regions[r + 1]!;
      const floor = columnFloor(e, j, b0, b1, eps);
      // The embedder's eligibility rule (see nominalAmplitudes), seen from the received energies.
      const eligible = ((floor - eps) / FLOOR_REL) * ELIGIBLE;
      let mean = 0;
      for (let b = b0; b < b1; b++) {
        const v = Math.log(e[j * BANDS + b]! + floor);
        c[j * BANDS + b] = v;
        mean += v / (b1 - b0);
        w[j * BANDS + b] = e[j * BANDS + b]! >= eligible && e[j * BANDS + b]! > 0 ? 1 : 0;
      }
      for (let b = b0; b < b1; b++) g[j * BANDS + b] = c[j * BANDS + b]! - mean;
    }
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
 * energy (of the region's cells). Bands far below the rest of the column (between the partials of a synthetic chord, the
 * empty top of a voiced vowel) carry almost no mark, since the mark is proportional to the program,
 * but their log energy swings wildly; the floor flattens them instead of letting them dominate.
 */
function columnFloor(e: Float64Array, j: number, b0: number, b1: number, eps: number): number {
  let s = 0;
  for (let b = b0; b < b1; b++) s += e[j * BANDS + b]!;
  return (FLOOR_REL * s) / (b1 - b0) + eps;
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
