/**
 * Where the audio mark goes and how strong: the nominal amplitude of every cell (water-filling of
 * the column's power budget), the closed loop that moves each group's statistic onto its lattice
 * (informed embedding), and the per-column SNR limit.
 */
import { CODED_BITS } from './code.js';
import {
  BANDS,
  BOOST_MAX,
  BOOST_MIN,
  CELL_FRAMES,
  COLS,
  DAMPING,
  DELTA,
  ELIGIBLE,
  MARGIN,
  MODEL_PASSES,
  M_CAP,
  PARSEVAL,
  REAL_PASSES,
  SNR_NOMINAL_DB,
  type AudioScheme,
} from './audio-params.js';
import { cellEnergies, cellFeatures, epsilonFor, type Layout } from './audio-layout.js';
import { stftPower, synthesise, type Spectra } from './audio-stft.js';

/**
 * The hard SNR floor per column: where a column's mark would exceed `floor` × the program's
 * power over the same frames, the column is scaled down (in place).
 */
export function limitColumns(
  m: Float64Array,
  pc: Float64Array,
  frameProg: Float64Array,
  frames: number,
  cols: number,
  floor: number,
): void {
  for (let j = 0; j < cols; j++) {
    let markPow = 0;
    let progPow = 0;
    for (let f = 0; f < CELL_FRAMES; f++) {
      const t = j * CELL_FRAMES + f;
      if (t < frames) progPow += frameProg[t]!;
    }
    for (let b = 0; b < BANDS; b++) {
      const mv = m[j * BANDS + b]!;
      if (mv === 0) continue;
      let e = 0;
      for (let f = 0; f < CELL_FRAMES; f++) {
        const t = j * CELL_FRAMES + f;
        if (t < frames) e += pc[t * BANDS + b]!;
      }
      markPow += mv * mv * e * PARSEVAL;
    }
    if (markPow > floor * progPow && markPow > 0) {
      const s = Math.sqrt((floor * progPow) / markPow);
      for (let b = 0; b < BANDS; b++) m[j * BANDS + b]! *= s;
    }
  }
}

/**
 * Nominal mark amplitude of every cell. Per column, the mark may add SNR_NOMINAL_DB under the
 * program's power (all bands, native rate). Detection gains with m² in every cell while the power
 * cost is m² × the cell's energy, so the budget goes first to the quieter bands of the column
 * (water-filling), each capped at M_CAP (−14 dB under the cell itself: inside the masking
 * threshold of the cell's own content and of its louder neighbours). Bands under ELIGIBLE × the
 * column mean (audio.2: the mean of their region) are skipped: there the cell-energy floor hides
 * the mark from the detector.
 */
export function nominalAmplitudes(
  pc: Float64Array,
  frameProg: Float64Array,
  frames: number,
  cols: number,
  strength: number,
  scheme: AudioScheme,
): Float64Array {
  const amp = new Float64Array(cols * BANDS);
  const nominal = 10 ** (-SNR_NOMINAL_DB / 10) * strength * strength;
  const cap = Math.min(0.5, M_CAP * strength);
  const e = cellEnergies(pc, frames, 0, cols);
  const { regions, shares } = scheme;
  const orders = shares.map((_, r) => new Int32Array(regions[r + 1]! - regions[r]!));
  for (let j = 0; j < cols; j++) {
    let prog = 0;
    for (let f = 0; f < CELL_FRAMES; f++) {
      const t = j * CELL_FRAMES + f;
      if (t < frames) prog += frameProg[t]!;
    }
    // Region by region (audio.2: the telephone band first), each with its share of the budget plus
    // what the regions before it left.
    let carry = 0;
    for (let r = 0; r < shares.length; r++) {
      const b0 = regions[r]!;
      const n = regions[r + 1]! - b0;
      const order = orders[r]!;
      let budget = nominal * prog * shares[r]! + carry;
      let mean = 0;
      for (let b = b0; b < b0 + n; b++) mean += e[j * BANDS + b]! / n;
      for (let k = 0; k < n; k++) order[k] = b0 + k;
      order.sort((x, y) => e[j * BANDS + x]! - e[j * BANDS + y]!);
      for (const b of order) {
        const cellPow = e[j * BANDS + b]! * PARSEVAL;
        if (e[j * BANDS + b]! < ELIGIBLE * mean || cellPow <= 0) continue;
        if (budget <= 0) break;
        const a = Math.min(cap, Math.sqrt(budget / cellPow));
        amp[j * BANDS + b] = a;
        budget -= a * a * cellPow;
      }
      carry = Math.max(0, budget);
    }
  }
  return amp;
}

/**
 * The closed loop that places the mark. Data groups (a coded bit's 6 cells, per block): dither
 * modulation, the group's statistic moved to the nearest point of its bit's lattice coset. Pilot
 * groups (8 cells): sign-conditioned improved spread spectrum (Malvar & Florêncio, IEEE TSP 2003),
 * raised where the program opposes the pilot and lowered where it helps. Model passes predict the
 * statistics from cell energies scaled by (1 + m)²; real passes synthesise the mark, re-analyse the
 * result exactly as the detector will and correct what the model missed (leakage across cell
 * edges, frame overlap). Every pass applies the SNR limit first, so the loop corrects the mark
 * that will actually be written.
 */
export function informedMark(
  mono16: Float32Array,
  mono: Spectra,
  p: Float64Array,
  frames: number,
  cols: number,
  amp: Float64Array,
  sign: Int8Array,
  layout: Layout,
  j0: number,
  bitSign: Int8Array,
  limit: (m: Float64Array) => void,
): Float64Array {
  const eps = epsilonFor(p);
  const blocks = Math.ceil(cols / COLS);
  const G = layout.groups;
  const groupOf = new Int32Array(cols * BANDS);
  for (let j = 0; j < cols; j++) {
    for (let b = 0; b < BANDS; b++) {
      // Chunks start on block boundaries: column j0 + j is in the chunk's block ⌊j / COLS⌋.
      groupOf[j * BANDS + b] =
        Math.floor(j / COLS) * G + layout.group[b * layout.cols + ((j0 + j) % layout.cols)]!;
    }
  }
  // Group statistics (data groups from the column-relative features, pilots from the high-passed
  // ones) of a band-power array, as the detector computes them.
  const groupStats = (power: Float64Array): Float64Array => {
    const { f, g, cols: fc } = cellFeatures(power, frames, 0, eps, layout.scheme.regions);
    const st = new Float64Array(blocks * G);
    for (let i = 0; i < fc * BANDS; i++) {
      const grp = groupOf[i]!;
      st[grp]! += sign[i]! * (grp % G < CODED_BITS ? g[i]! : f[i]!);
    }
    return st;
  };
  const stats = (x: Float32Array): Float64Array => groupStats(x === mono16 ? p : stftPower(x, 0, frames));
  // The same statistics predicted without any FFT: every cell's band powers scaled by (1 + m)².
  // Exact inside a cell; it misses only the leakage across cell edges, which the real passes see.
  const py = new Float64Array(p.length);
  const modelStats = (mm: Float64Array): Float64Array => {
    for (let t = 0; t < frames; t++) {
      const j = Math.floor(t / CELL_FRAMES);
      for (let b = 0; b < BANDS; b++) {
        const v = 1 + (mm[j * BANDS + b] ?? 0);
        py[t * BANDS + b] = p[t * BANDS + b]! * v * v;
      }
    }
    return groupStats(py);
  };
  const host = stats(mono16);
  const gb = new Float64Array(blocks * G).fill(1);
  const m = new Float64Array(cols * BANDS);
  const y = new Float32Array(mono16.length);
  const unit = new Float64Array(blocks * G);
  for (let i = 0; i < amp.length; i++) unit[groupOf[i]!]! += 2 * amp[i]!;
  const target = new Float64Array(blocks * G);
  for (let g = 0; g < gb.length; g++) {
    const local = g % G;
    if (local >= CODED_BITS) continue;
    const off = layout.dither[local]! + (bitSign[local]! > 0 ? DELTA / 2 : 0);
    target[g] = off + DELTA * Math.round((host[g]! - off) / DELTA);
  }
  const update = (st: Float64Array, k: Float64Array, damping: number): void => {
    for (let g = 0; g < gb.length; g++) {
      const local = g % G;
      const kg = k[g]!;
      if (!(kg > 1e-6)) {
        if (local < CODED_BITS) gb[g] = 0;
        continue;
      }
      if (local < CODED_BITS) {
        // Dither modulation: move the statistic to the nearest point of the bit's lattice coset.
        gb[g] = Math.max(-BOOST_MAX, Math.min(BOOST_MAX, gb[g]! + (damping * (target[g]! - st[g]!)) / kg));
      } else {
        // Pilot: sign-conditioned improved spread spectrum towards MARGIN × the group's own effect.
        const own = st[g]! - host[g]!;
        const h = st[g]! - own;
        gb[g] = Math.min(BOOST_MAX, Math.max(BOOST_MIN, (MARGIN * kg - h) / kg));
      }
    }
  };
  const fill = (): void => {
    for (let i = 0; i < m.length; i++) m[i] = sign[i]! * amp[i]! * gb[groupOf[i]!]!;
    limit(m);
  };
  // Model passes first (cheap), then real passes: synthesise, re-analyse, correct.
  for (let g = 0; g < gb.length; g++) if (g % G < CODED_BITS) gb[g] = 0;
  for (let pass = 0; pass < MODEL_PASSES; pass++) {
    fill();
    update(modelStats(m), unit, pass === 0 ? 1 : DAMPING);
  }
  for (let pass = 0; pass < REAL_PASSES; pass++) {
    fill();
    const d = synthesise(mono, m, mono16.length);
    for (let i = 0; i < y.length; i++) y[i] = mono16[i]! + d[i]!;
    const st = stats(y);
    if (pass === 0) {
      // Leakage across cell edges makes the real effect smaller than the model's: one measured
      // ratio rescales every group's unit effect (per-group measurements would pick up the
      // neighbours' marks too and make the loop unstable).
      const sm = modelStats(m);
      let real = 0;
      let model = 0;
      for (let g = 0; g < gb.length; g++) {
        real += Math.abs(st[g]! - host[g]!);
        model += Math.abs(sm[g]! - host[g]!);
      }
      const ratio = model > 0 ? Math.min(1, Math.max(0.3, real / model)) : 1;
      for (let g = 0; g < unit.length; g++) unit[g]! *= ratio;
    }
    update(st, unit, DAMPING);
  }
  for (let i = 0; i < m.length; i++) m[i] = sign[i]! * amp[i]! * gb[groupOf[i]!]!;
  limit(m);
  return m;
}
