/**
 * Audio watermark core: pure signal processing on float PCM, no IO. README.md ("Audio") gives
 * the reasoning and the measurements.
 *
 * Domain. Everything is defined on the program resampled to 16 kHz (AUDIO_WORK_RATE), analysed by
 * a 512-point STFT (32 ms, hop 16 ms, √Hann analysis and synthesis windows, which overlap-add to
 * one). The mark lives in 50 bands of 4 bins (125 Hz each) between 0.75 and 7 kHz: above the
 * bass and the first formant that hold most of the program's energy, below the top octave that
 * 128 kb/s codecs thin out, and inside what a 16 kHz detector sees.
 *
 * Cells. A cell is one band × 4 frames (125 Hz × 64 ms). The mark multiplies a cell's spectrum by
 * (1 + m), m small and signed: it follows the program's own spectro-temporal envelope (silence
 * stays silent) and moves the cell's log energy by 2·log(1 + m) whatever the level.
 *
 * Block. 32 cell columns (128 frames, 2.048 s) × 50 bands = 1600 cells, repeated over the whole
 * program: 1548 cells carry the 258 coded bits (3 pairs each; a pair is two columns of one band
 * with opposite keyed chips, so fixed per-band gains cancel) and 52 a keyed spread-spectrum pilot
 * (diagnostics). A bit's pairs lie inside one of the block's four 8-column spans (0.512 s), so a
 * partial block at either end of an excerpt still holds complete copies of the bits of the spans
 * it covers: any 2.6 s holds every bit once, a 5 s excerpt about 2.2 times on average (with pairs
 * scattered over the whole block, more than half of all 5 s excerpts held one complete copy).
 *
 * Data: dither modulation (quantisation index modulation, Chen & Wornell, IEEE Trans. IT 2001, in
 * its spread-transform form). A bit's statistic S is the chip-weighted sum of its 6 cells' log
 * energies, each taken relative to its column's mean (so gain changes cancel). The embedder moves S
 * onto the lattice DELTA·ℤ + dither (bit 0) or DELTA·ℤ + dither + DELTA/2 (bit 1), with a closed
 * loop: cheap model passes (the cell energies scaled by (1 + m)²), then real passes that
 * synthesise, re-analyse exactly as the detector will, and correct. The program itself does not
 * interfere with the decision (it would in plain spread spectrum, where a noise-like program's
 * cell energies scatter ten times more than a −30 dB mark moves them).
 *
 * Synchronisation: at the right alignment every complete copy of a group sits on its lattice, so
 * Σ cos(4π(S − dither)/DELTA) is large whatever the bits; elsewhere it averages zero. The
 * detector scans 8 sub-hop phases × 4 cell phases × 32 column shifts, so any excerpt holding one
 * block decodes, and every further block adds its votes.
 *
 * Streaming. The embedder ({@link AudioMarkEmbedder}) places the mark two blocks (4.1 s) at a
 * time as samples arrive: a chunk's closed loop sees the previous chunk's mark, its synthesis
 * frames spill half a frame into the next chunk and are summed there, and the resamplers compute
 * exactly the output ranges whose inputs have arrived, so the result is the same however the
 * input is split (tested), memory stays bounded, and the file adapter runs ffmpeg's decoder, this
 * code and ffmpeg's encoder at the same time.
 */
import { CODED_BITS, decodePayload, encodePayload } from './code.js';
import { bitReverse } from './fft.js';
import { Rng } from './prng.js';
import { resampleAudio, Resampler } from './audio-resample.js';

/** Internal rate of the audio watermark (Hz). */
export const AUDIO_WORK_RATE = 16000;
const FRAME = 512;
const HOP = 256;
const BIN_LO = 24; // 750 Hz
const BAND_BINS = 4;
const BANDS = 50; // bins 24..223: 750–7000 Hz
const CELL_FRAMES = 4;
const COLS = 32;
/** Frames per block, samples per block at the working rate. */
const BLOCK_FRAMES = COLS * CELL_FRAMES;
export const AUDIO_BLOCK_SAMPLES = BLOCK_FRAMES * HOP; // 32768 = 2.048 s
const CELLS = BANDS * COLS;
const PAIRS_PER_BIT = 3;
const CELLS_PER_BIT = 2 * PAIRS_PER_BIT;
const DATA_CELLS = CODED_BITS * CELLS_PER_BIT; // 1548
const PILOT_CELLS = CELLS - DATA_CELLS; // 52
const PILOT_GROUP = 8;
/** Columns of one span (a bit's cells all lie in one span of the block) and spans per block. */
const SPAN_COLS = 8;
const SPANS = COLS / SPAN_COLS;
/**
 * Cell-energy floor relative to the column's mean cell (−10 dB): codecs zero weak bands between
 * harmonics, which would swing their log energy; the floor makes them inert. Pilot feature clip
 * (log units) against onsets.
 */
const FLOOR_REL = 0.1;
const CLIP = 1.2;

/**
 * Masking cap on a cell's nominal amplitude (−14 dB under the cell itself) and the eligibility
 * floor: cells under 5 % of their column's mean energy carry no mark and cast no vote (the log
 * floor, 10 %, hides most of what they could carry). Cells at 5–10 % still carry part of the mark:
 * lowering the floor from 10 % to 5 % cut the mean coded-bit errors on 5 s excerpts from 20.1 to
 * 16.4 (speech: clean, AAC, 44.1 kHz) and from 18.5 to 14.2 (chord music), measured before bits
 * were gathered into spans.
 */
const M_CAP = 0.2;
const ELIGIBLE = 0.05;
/**
 * Parseval for one-sided band energies of √Hann-windowed frames: mean square per sample =
 * 2·Σ|X|² / (N · Σw²), with Σw² = N/2.
 */
const PARSEVAL = 4 / (FRAME * FRAME);
const BOOST_MIN = 0.5;
const BOOST_MAX = 4;
/** Pilot groups: informed spread spectrum towards MARGIN × their own effect. Loop passes and damping. */
const MARGIN = 1.5;
const MODEL_PASSES = 4;
/**
 * Synthesise-and-reanalyse passes. Each costs an inverse and a forward STFT; a third pass changed
 * the mean coded-bit errors on 5 s speech excerpts by 0.6 of 258 (23.5 vs 24.1) for 8 % of the
 * embedding time, so two are made (measured before bits were gathered into spans).
 */
const REAL_PASSES = 2;
const DAMPING = 0.8;
/** Quantiser step of the data statistic (chip-weighted sum of 6 column-relative log energies). */
const DELTA = 1.4;
/**
 * Mark power budget per column relative to the program's (all bands, native rate): the nominal
 * amplitudes may use −27 dB (dither modulation spends far less on average); the per-column limit
 * is −30.5 dB on the conservative cell-energy estimate, relaxed by LEAK_ALLOWANCE (the estimate
 * overstates the real mark, energy leaking across cell edges cancels in overlap-add), and the
 * exact per-chunk check then brings every 4-second chunk to −30.7 dB at most. Measured on 5 s
 * excerpts of three espeak-ng sentences (74 excerpts, clean, AAC 128k, 48 → 44.1 kHz): nominal −29
 * dB and allowance 1.4 left 2 undecodable excerpts, mean 23.5 coded-bit errors; −27 dB and 2.0
 * none, 20.1 errors; pushing further (−24 dB, 3.0) made the per-chunk check scale whole chunks
 * down and lost 15 (measured before bits were gathered into spans).
 */
const SNR_NOMINAL_DB = 27;
const SNR_FLOOR_DB = 30.5;
const LEAK_ALLOWANCE = 2;

/**
 * Lattice synchronisation z needed before a decode is trusted. On unmarked audio z is close to
 * N(0, 1) at each of the 8 × 4 × 32 alignments (sd 0.96–1.02 over all of them on noise and chord
 * programs); the best of them reached 4.62 in 336 unmarked detections (`npm run bench:audio --
 * --fp-only --fp 3`). Union bound: P(best ≥ 5) ≤ 1024 · P(N(0,1) ≥ 5) ≈ 3 · 10⁻⁴ per detection.
 */
export const AUDIO_SYNC_Z_MIN = 5;
/**
 * Most coded bits (of 258) the decoded codeword may disagree with, a bit without a vote counting
 * one half. Null: the best decode of those 336 unmarked detections, 62.3 ± 3.6, minimum 49; every
 * decoded alignment of 228 detections of 26 other unmarked programs (music-like, noise, espeak-ng;
 * WAV, AAC, MP3; whole and 5 s), 66.6 ± 4.7, minimum 54. A weak test on its own: the bound rests on
 * the keyed CRC-16 (3 decodes × 2⁻¹⁶) times the synchronisation threshold, ≈ 10⁻⁸ per detection
 * before this test removes most of what is left.
 */
export const AUDIO_MAX_BIT_ERRORS = 50;
/** Working-rate samples searched for synchronisation (30 s). */
const SYNC_SAMPLES = 30 * AUDIO_WORK_RATE;
/** Shortest program (working-rate samples) detection is attempted on: one block plus a column. */
export const AUDIO_MIN_DETECT_SAMPLES = AUDIO_BLOCK_SAMPLES + CELL_FRAMES * HOP;
/** Analysis phases (sub-hop offsets) tried by the detector. */
const PHASES = 8;
/** Candidates (phase, cell phase, column shift) that are decoded. */
const SHORTLIST = 3;

const WINDOW = (() => {
  const w = new Float64Array(FRAME);
  for (let i = 0; i < FRAME; i++) w[i] = Math.sin((Math.PI * i) / FRAME); // √(periodic Hann)
  return w;
})();

/** Twiddles of stages 8, 16, …, FRAME: stage `size` keeps size/2 values from offset size/2 − 4. */
const FFT_TW = (() => {
  const re = new Float64Array(FRAME);
  const im = new Float64Array(FRAME);
  for (let size = 8; size <= FRAME; size <<= 1) {
    const half = size >> 1;
    for (let k = 0; k < half; k++) {
      re[half - 4 + k] = Math.cos((2 * Math.PI * k) / size);
      im[half - 4 + k] = -Math.sin((2 * Math.PI * k) / size);
    }
  }
  return { re, im };
})();

/**
 * The FRAME-point FFT, specialised: the STFT and its inverse are most of the embedder's work.
 * Radix-2, decimation in time, with each stage's twiddles stored contiguously (no index
 * arithmetic or stride in the inner loop) and the first two stages done without multiplications; the bit-reversal is fft.ts's.
 */
function fftFrame(re: Float64Array, im: Float64Array): void {
  bitReverse(re, im, FRAME);
  // Stages 2 and 4 together: a 4-point DFT per group (twiddles 1 and −i).
  for (let s = 0; s < FRAME; s += 4) {
    const ar = re[s]! + re[s + 1]!;
    const ai = im[s]! + im[s + 1]!;
    const br = re[s]! - re[s + 1]!;
    const bi = im[s]! - im[s + 1]!;
    const cr = re[s + 2]! + re[s + 3]!;
    const ci = im[s + 2]! + im[s + 3]!;
    const dr = re[s + 2]! - re[s + 3]!;
    const di = im[s + 2]! - im[s + 3]!;
    re[s] = ar + cr;
    im[s] = ai + ci;
    re[s + 2] = ar - cr;
    im[s + 2] = ai - ci;
    // (b) ± (−i)·(d)
    re[s + 1] = br + di;
    im[s + 1] = bi - dr;
    re[s + 3] = br - di;
    im[s + 3] = bi + dr;
  }
  const twr = FFT_TW.re;
  const twi = FFT_TW.im;
  for (let size = 8; size <= FRAME; size <<= 1) {
    const half = size >> 1;
    const tw0 = half - 4;
    for (let start = 0; start < FRAME; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = twr[tw0 + k]!;
        const wi = twi[tw0 + k]!;
        const a = start + k;
        const b = a + half;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
}

interface Layout {
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

function layoutFor(seed: Uint8Array): Layout {
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

/** Per-channel mark parameters. */
export interface AudioEmbedParams {
  readonly seed: Uint8Array;
  /** 8 payload bytes. */
  readonly payload: Uint8Array;
  /** Amplitude multiplier (1 = nominal). */
  readonly strength: number;
}

export interface AudioEmbedResult {
  /** Marked channels at the input rate (new arrays). */
  readonly channels: Float32Array[];
  /** Mark-to-program ratio actually added, in dB (all channels together); Infinity when silent. */
  readonly snrDb: number;
}

interface Spectra {
  re: Float64Array;
  im: Float64Array;
  frames: number;
}

/**
 * STFT (only the bins up to BIN_LO + BANDS·BAND_BINS are kept) of a working-rate signal whose
 * sample i sits at x[i − base] (samples outside [0, n) count as zero). Two real
 * frames share one complex FFT (frame t in the real part, t + 1 in the imaginary part), separated
 * afterwards by conjugate symmetry: half the FFT work.
 */
function stft(x: Float32Array, offset: number, frames: number, base = 0, n = base + x.length): Spectra {
  const keep = BIN_LO + BANDS * BAND_BINS;
  const re = new Float64Array(frames * keep);
  const im = new Float64Array(frames * keep);
  const zr = new Float64Array(FRAME);
  const zi = new Float64Array(FRAME);
  for (let t = 0; t < frames; t += 2) {
    const s0 = offset + t * HOP;
    const s1 = s0 + HOP;
    const second = t + 1 < frames;
    for (let i = 0; i < FRAME; i++) {
      const a = s0 + i;
      const b = s1 + i;
      zr[i] = a >= 0 && a < n ? x[a - base]! * WINDOW[i]! : 0;
      zi[i] = second && b >= 0 && b < n ? x[b - base]! * WINDOW[i]! : 0;
    }
    fftFrame(zr, zi);
    const o0 = t * keep;
    const o1 = o0 + keep;
    for (let k = 0; k < keep; k++) {
      const nk = k === 0 ? 0 : FRAME - k;
      re[o0 + k] = 0.5 * (zr[k]! + zr[nk]!);
      im[o0 + k] = 0.5 * (zi[k]! - zi[nk]!);
      if (second) {
        re[o1 + k] = 0.5 * (zi[k]! + zi[nk]!);
        im[o1 + k] = -0.5 * (zr[k]! - zr[nk]!);
      }
    }
  }
  return { re, im, frames };
}

/** Band power per frame: [frames × BANDS]. */
function bandPower(sp: Spectra): Float64Array {
  const keep = BIN_LO + BANDS * BAND_BINS;
  const p = new Float64Array(sp.frames * BANDS);
  for (let t = 0; t < sp.frames; t++) {
    for (let b = 0; b < BANDS; b++) {
      let s = 0;
      for (let k = BIN_LO + b * BAND_BINS, e = k + BAND_BINS; k < e; k++) {
        const i = t * keep + k;
        s += sp.re[i]! * sp.re[i]! + sp.im[i]! * sp.im[i]!;
      }
      p[t * BANDS + b] = s;
    }
  }
  return p;
}

/**
 * Band power per frame straight from the signal ({@link bandPower} of {@link stft}, same
 * arithmetic) without storing the spectrum: the closed loop's re-analyses and the detector's scans
 * only need the powers, and skipping the two spectrum arrays saves most of their allocation.
 */
function stftPower(x: Float32Array, offset: number, frames: number): Float64Array {
  const p = new Float64Array(frames * BANDS);
  const zr = new Float64Array(FRAME);
  const zi = new Float64Array(FRAME);
  const n = x.length;
  for (let t = 0; t < frames; t += 2) {
    const s0 = offset + t * HOP;
    const s1 = s0 + HOP;
    const second = t + 1 < frames;
    if (s0 >= 0 && s1 + FRAME <= n) {
      for (let i = 0; i < FRAME; i++) {
        zr[i] = x[s0 + i]! * WINDOW[i]!;
        zi[i] = x[s1 + i]! * WINDOW[i]!;
      }
    } else {
      for (let i = 0; i < FRAME; i++) {
        const a = s0 + i;
        const b = s1 + i;
        zr[i] = a >= 0 && a < n ? x[a]! * WINDOW[i]! : 0;
        zi[i] = second && b >= 0 && b < n ? x[b]! * WINDOW[i]! : 0;
      }
    }
    fftFrame(zr, zi);
    const o0 = t * BANDS;
    const o1 = o0 + BANDS;
    for (let b = 0; b < BANDS; b++) {
      let s = 0;
      let s2 = 0;
      for (let k = BIN_LO + b * BAND_BINS, e = k + BAND_BINS; k < e; k++) {
        const nk = FRAME - k;
        const re0 = 0.5 * (zr[k]! + zr[nk]!);
        const im0 = 0.5 * (zi[k]! - zi[nk]!);
        s += re0 * re0 + im0 * im0;
        const re1 = 0.5 * (zi[k]! + zi[nk]!);
        const im1 = -0.5 * (zr[k]! - zr[nk]!);
        s2 += re1 * re1 + im1 * im1;
      }
      p[o0 + b] = s;
      if (second) p[o1 + b] = s2;
    }
  }
  return p;
}

/**
 * Cell features: log energy of each (band, column) cell for a cell phase q (frames q + 4j ..),
 * then a temporal high-pass (minus the mean of the two neighbouring columns), which removes
 * stationary partials, slow envelopes and any gain change. Returns [cols × BANDS].
 */
function cellFeatures(
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
function cellEnergies(p: Float64Array, frames: number, q: number, cols: number): Float64Array {
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

/**
 * Delta signal (working rate) for per-cell multipliers m: ISTFT of X·m over the mark band. Two
 * frames share one inverse FFT (Z = A + iB gives a + ib for Hermitian A and B).
 */
function synthesise(sp: Spectra, m: Float64Array, wlen: number): Float32Array {
  const keep = BIN_LO + BANDS * BAND_BINS;
  const delta = new Float32Array(wlen);
  const zr = new Float64Array(FRAME);
  const zi = new Float64Array(FRAME);
  for (let t = 0; t < sp.frames; t += 2) {
    zr.fill(0);
    zi.fill(0);
    let any = false;
    for (let u = 0; u < 2; u++) {
      const tt = t + u;
      if (tt >= sp.frames) break;
      const j = Math.floor(tt / CELL_FRAMES);
      for (let b = 0; b < BANDS; b++) {
        const mv = m[j * BANDS + b] ?? 0;
        if (mv === 0) continue;
        any = true;
        for (let k = BIN_LO + b * BAND_BINS, e = k + BAND_BINS; k < e; k++) {
          const ar = sp.re[tt * keep + k]! * mv;
          const ai = sp.im[tt * keep + k]! * mv;
          if (u === 0) {
            // A[k] at k, conj(A[k]) at N − k.
            zr[k]! += ar;
            zi[k]! += ai;
            zr[FRAME - k]! += ar;
            zi[FRAME - k]! -= ai;
          } else {
            // i·B[k] at k, i·conj(B[k]) at N − k.
            zr[k]! -= ai;
            zi[k]! += ar;
            zr[FRAME - k]! += ai;
            zi[FRAME - k]! += ar;
          }
        }
      }
    }
    if (!any) continue;
    // Unnormalised inverse: the forward transform with real and imaginary parts swapped.
    fftFrame(zi, zr);
    const s0 = t * HOP;
    const s1 = s0 + HOP;
    for (let i = 0; i < FRAME; i++) {
      const w = WINDOW[i]! / FRAME;
      if (s0 + i < wlen) delta[s0 + i]! += zr[i]! * w;
      if (s1 + i < wlen) delta[s1 + i]! += zi[i]! * w;
    }
  }
  return delta;
}

/**
 * The hard SNR floor per column: where a column's mark would exceed `floor` × the program's
 * power over the same frames, the column is scaled down (in place).
 */
function limitColumns(
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

function coded(payload: Uint8Array, seed: Uint8Array): Int8Array {
  const bits = encodePayload(payload, seed);
  const s = new Int8Array(CODED_BITS);
  for (let i = 0; i < CODED_BITS; i++) s[i] = bits[i] ? 1 : -1;
  return s;
}

/**
 * Columns marked at a time by the streaming embedder: two blocks (4.1 s). Chunks start on block
 * boundaries, so every group of a block is placed in one closed loop.
 */
const CHUNK_COLS = 2 * COLS;

/** A window of a growing signal: sample i (global index) sits at data[i − base], base ≤ i < end. */
class Track {
  data = new Float32Array(0);
  base = 0;
  end = 0;

  /** Make room up to global index `end` (new samples are zero) and extend the window to it. */
  grow(end: number): void {
    if (end <= this.end) return;
    const need = end - this.base;
    if (need > this.data.length) {
      const d = new Float32Array(Math.max(need, Math.ceil(this.data.length * 1.5), 8192));
      d.set(this.data.subarray(0, this.end - this.base));
      this.data = d;
    }
    this.end = end;
  }

  append(src: Float32Array): void {
    const at = this.end;
    this.grow(at + src.length);
    this.data.set(src, at - this.base);
  }

  /** Forget samples before global index `keep` (amortised: only once they fill half the buffer). */
  discardBefore(keep: number): void {
    const drop = Math.min(keep, this.end) - this.base;
    if (drop <= 0 || drop < this.data.length / 2) return;
    this.data.copyWithin(0, drop, this.end - this.base);
    this.data.fill(0, this.end - this.base - drop);
    this.base += drop;
  }
}

/**
 * Streaming embedder: native-rate planar samples go in as they are decoded, marked samples come
 * out a little later (about one chunk), so the decoder, this code and the encoder can run at the
 * same time and memory stays bounded. The mark is computed chunk by chunk (CHUNK_COLS columns,
 * block-aligned); a chunk's synthesis frames spill half a frame into the next chunk, which the
 * overlap-add simply sums, so the result does not depend on how the input was split.
 *
 * @example
 * ```ts
 * const emb = new AudioMarkEmbedder(2, 48000, { seed, payload, strength: 1 });
 * for (const block of blocks) write(emb.push(block));
 * write(emb.end());
 * console.log(emb.snrDb);
 * ```
 */
export class AudioMarkEmbedder {
  private readonly nch: number;
  private readonly rate: number;
  private readonly ratio: number;
  private readonly params: AudioEmbedParams;
  private readonly layout: Layout;
  private readonly bitSign: Int8Array;
  private readonly down: Resampler | undefined;
  private readonly up: Resampler | undefined;
  private readonly native: Track[];
  private readonly work: Track[];
  private readonly delta: Track[];
  /** Native samples received, working samples computed, next chunk's first column, native out. */
  private nIn = 0;
  private wDone = 0;
  private nextCol = 0;
  private outDone = 0;
  private ended = false;
  private markEnergy = 0;
  private progEnergy = 0;

  constructor(channels: number, sampleRate: number, params: AudioEmbedParams) {
    if (!Number.isInteger(channels) || channels < 1) {
      throw new RangeError(`Expected a positive integer for channels but received ${String(channels)}`);
    }
    if (!(sampleRate > 0)) throw new RangeError(`Expected a positive sampleRate but received ${sampleRate}`);
    this.nch = channels;
    this.rate = sampleRate;
    this.ratio = sampleRate / AUDIO_WORK_RATE;
    this.params = params;
    this.layout = layoutFor(params.seed);
    this.bitSign = coded(params.payload, params.seed);
    const same = sampleRate === AUDIO_WORK_RATE;
    this.down = same ? undefined : new Resampler(sampleRate, AUDIO_WORK_RATE);
    this.up = same ? undefined : new Resampler(AUDIO_WORK_RATE, sampleRate);
    this.native = Array.from({ length: channels }, () => new Track());
    this.work = Array.from({ length: channels }, () => new Track());
    this.delta = Array.from({ length: channels }, () => new Track());
  }

  /** Program-to-mark power ratio (dB) of everything emitted so far; Infinity while silent. */
  get snrDb(): number {
    return this.markEnergy > 0 ? 10 * Math.log10(this.progEnergy / this.markEnergy) : Infinity;
  }

  /** Samples received so far (per channel). */
  get samplesIn(): number {
    return this.nIn;
  }

  /** Add planar samples (one array per channel, equal lengths); returns the marked samples now final. */
  push(channels: readonly Float32Array[]): Float32Array[] {
    if (this.ended) throw new Error('AudioMarkEmbedder: push after end');
    if (channels.length !== this.nch) throw new RangeError(`Expected ${this.nch} channels`);
    const n = channels[0]!.length;
    for (let c = 0; c < this.nch; c++) {
      if (channels[c]!.length !== n) throw new RangeError('Expected all channels to have the same length');
      this.native[c]!.append(channels[c]!);
    }
    this.nIn += n;
    this.advance(false);
    return this.emit(false);
  }

  /** End of the program: mark and return the rest. */
  end(): Float32Array[] {
    if (this.ended) throw new Error('AudioMarkEmbedder: end called twice');
    this.ended = true;
    this.advance(true);
    return this.emit(true);
  }

  /** Working-rate length of the whole program (final only). */
  private workTotal(): number {
    return this.down ? this.down.outputLength(this.nIn) : this.nIn;
  }

  private advance(final: boolean): void {
    const wReady = final ? this.workTotal() : this.down ? this.down.outputsReady(this.nIn) : this.nIn;
    if (wReady > this.wDone) {
      for (let c = 0; c < this.nch; c++) {
        const w = this.work[c]!;
        const src = this.native[c]!;
        w.grow(wReady);
        if (this.down)
          this.down.process(src.data, src.base, this.nIn, this.wDone, wReady, w.data, this.wDone - w.base);
        else w.data.set(src.data.subarray(this.wDone - src.base, wReady - src.base), this.wDone - w.base);
      }
      this.wDone = wReady;
    }
    const totalFrames = Math.ceil(this.wDone / HOP) + 1;
    const totalCols = Math.ceil(totalFrames / CELL_FRAMES);
    for (;;) {
      const j0 = this.nextCol;
      let j1 = j0 + CHUNK_COLS;
      let frames = CHUNK_COLS * CELL_FRAMES;
      if (final) {
        if (j0 >= totalCols) break;
        j1 = Math.min(j1, totalCols);
        frames = Math.min(j1 * CELL_FRAMES, totalFrames) - j0 * CELL_FRAMES;
      } else if (j1 * CELL_FRAMES * HOP + FRAME - HOP > this.wDone) break;
      this.markChunk(j0, frames);
      this.nextCol = j1;
    }
    // What the next chunk and the pending output still need.
    const next = this.nextCol * CELL_FRAMES * HOP;
    const upStart = Math.floor(this.outDone / this.ratio) - 64;
    const nativeKeep = Math.min(this.outDone, Math.floor((next - HOP - 64) * this.ratio));
    for (let c = 0; c < this.nch; c++) {
      this.native[c]!.discardBefore(nativeKeep);
      this.work[c]!.discardBefore(next - 64);
      this.delta[c]!.discardBefore(Math.min(next, upStart));
    }
  }

  /** Native-rate program energy (all channels) over working-rate hops [h0, h1): per hop. */
  private hopEnergies(h0: number, h1: number): { e: Float64Array; count: Float64Array } {
    const e = new Float64Array(h1 - h0);
    const count = new Float64Array(h1 - h0);
    for (let h = h0; h < h1; h++) {
      const s0 = Math.max(0, Math.floor(h * HOP * this.ratio));
      const s1 = Math.min(this.nIn, Math.floor((h + 1) * HOP * this.ratio));
      let s = 0;
      for (const tr of this.native) {
        const d = tr.data;
        for (let i = s0 - tr.base, end = s1 - tr.base; i < end; i++) s += d[i]! * d[i]!;
      }
      e[h - h0] = s;
      count[h - h0] = Math.max(0, s1 - s0);
    }
    return { e, count };
  }

  /** Place the mark in columns j0 … (frames of them, from frame 4·j0) and add it to the deltas. */
  private markChunk(j0: number, frames: number): void {
    const nch = this.nch;
    const t0 = j0 * CELL_FRAMES;
    const off = t0 * HOP;
    const len = frames * HOP + FRAME - HOP;
    const keep = BIN_LO + BANDS * BAND_BINS;
    const spectra = this.work.map((w) => stft(w.data, off, frames, w.base, this.wDone));
    // Mono mix spectrum (the detector downmixes): the average of the channels' spectra.
    let mono: Spectra;
    if (nch === 1) mono = spectra[0]!;
    else {
      const re = new Float64Array(frames * keep);
      const im = new Float64Array(frames * keep);
      for (const s of spectra) {
        for (let i = 0; i < re.length; i++) {
          re[i]! += s.re[i]! / nch;
          im[i]! += s.im[i]! / nch;
        }
      }
      mono = { re, im, frames };
    }
    const p = bandPower(mono);
    // The mark's power budget uses the channels' own band power (for uncorrelated channels the mono
    // mix holds only half of it, which would understate the mark by 3 dB).
    let pc = p;
    if (nch > 1) {
      pc = new Float64Array(p.length);
      for (const s of spectra) {
        const q = bandPower(s);
        for (let i = 0; i < q.length; i++) pc[i]! += q[i]! / nch;
      }
    }
    // Program power per frame at the native rate (all channels, full band: the two hops a frame
    // covers) and the mark band's power per frame at the working rate, in the same units (mean
    // square per sample).
    const hops = this.hopEnergies(t0 - 1, t0 + frames);
    const frameProg = new Float64Array(frames);
    let prog = 0;
    for (let t = 0; t < frames; t++) {
      const e = hops.e[t]! + hops.e[t + 1]!;
      const n = hops.count[t]! + hops.count[t + 1]!;
      frameProg[t] = n > 0 ? e / (n * nch) : 0;
      prog += hops.e[t + 1]!;
    }
    const cols = Math.ceil(frames / CELL_FRAMES);
    const amp = nominalAmplitudes(pc, frameProg, frames, cols, this.params.strength);
    const sign = new Int8Array(cols * BANDS);
    for (let j = 0; j < cols; j++) {
      const col = (j0 + j) % COLS;
      for (let b = 0; b < BANDS; b++) {
        // Data cells carry only their chip: the bit is in the quantised statistic (informedMark).
        sign[j * BANDS + b] = this.layout.chip[b * COLS + col]!;
      }
    }
    // The detector's view before this chunk's mark: the mono program plus the previous chunk's
    // synthesis tail (half a frame).
    const x = new Float32Array(len);
    for (let c = 0; c < nch; c++) {
      const w = this.work[c]!;
      const d = this.delta[c]!;
      const wEnd = Math.min(len, this.wDone - off);
      for (let i = 0; i < wEnd; i++) x[i]! += w.data[off + i - w.base]! / nch;
      const dEnd = Math.min(len, d.end - off);
      for (let i = 0; i < dEnd; i++) x[i]! += d.data[off + i - d.base]! / nch;
    }
    // The per-column estimate (Σ m²·cell power) overstates the mark by ≈ 1.5 dB (energy leaking
    // across cell edges cancels in overlap-add); LEAK_ALLOWANCE corrects it, and the exact check
    // below still guarantees the floor.
    const s2 = this.params.strength * this.params.strength;
    const floor = 10 ** (-SNR_FLOOR_DB / 10) * s2 * LEAK_ALLOWANCE;
    const limit = (mm: Float64Array): void => limitColumns(mm, pc, frameProg, frames, cols, floor);
    const m = informedMark(x, mono, p, frames, cols, amp, sign, this.layout, this.bitSign, limit);
    // Delta per channel: ISTFT of X·m (only the mark band), overlap-added.
    const deltas = spectra.map((sp) => synthesise(sp, m, len));
    // The per-column estimate is conservative (band-edge and overlap losses); the mark is linear in
    // m, so one exact gain per chunk brings it to the SNR floor without crossing it. A band-limited
    // signal's energy scales with the sample count when it is resampled: × ratio at the native rate.
    let mark = 0;
    for (const d of deltas) for (let i = 0; i < len; i++) mark += d[i]! * d[i]!;
    mark *= this.ratio;
    const target = 10 ** ((-SNR_FLOOR_DB - 0.2) / 10) * s2;
    const gain = mark > 0 ? Math.min(1, Math.sqrt((target * prog) / mark)) : 1;
    for (let c = 0; c < nch; c++) {
      const tr = this.delta[c]!;
      tr.grow(off + len);
      const d = deltas[c]!;
      for (let i = 0, o = off - tr.base; i < len; i++) tr.data[o + i]! += d[i]! * gain;
    }
  }

  /** Marked native samples that no later chunk can change. */
  private emit(final: boolean): Float32Array[] {
    const dEnd = final ? this.workTotal() : this.nextCol * CELL_FRAMES * HOP;
    let nReady = final ? this.nIn : this.up ? this.up.outputsReady(dEnd) : dEnd;
    nReady = Math.min(nReady, this.nIn);
    const n = Math.max(0, nReady - this.outDone);
    const out: Float32Array[] = [];
    for (let c = 0; c < this.nch; c++) {
      const o = new Float32Array(n);
      const dt = this.delta[c]!;
      const dn = Math.min(dt.end, dEnd);
      if (this.up) this.up.process(dt.data, dt.base, dn, this.outDone, nReady, o, 0);
      else
        for (let i = 0; i < n; i++) o[i] = this.outDone + i < dn ? dt.data[this.outDone + i - dt.base]! : 0;
      const src = this.native[c]!;
      let me = 0;
      let pe = 0;
      for (let i = 0, s = this.outDone - src.base; i < n; i++) {
        const v = o[i]!;
        const x = src.data[s + i]!;
        me += v * v;
        pe += x * x;
        o[i] = x + v;
      }
      this.markEnergy += me;
      this.progEnergy += pe;
      out.push(o);
    }
    this.outDone = nReady;
    return out;
  }
}

/**
 * Embed the mark in planar float channels at `sampleRate`. Returns new arrays; the mark follows
 * the program's spectro-temporal envelope (see README "Audio"), so silence stays silent. The same
 * computation as {@link AudioMarkEmbedder} fed in one piece.
 *
 * @example
 * ```ts
 * const { channels, snrDb } = embedAudioMark([left, right], 48000, { seed, payload, strength: 1 });
 * ```
 */
export function embedAudioMark(
  channels: readonly Float32Array[],
  sampleRate: number,
  params: AudioEmbedParams,
): AudioEmbedResult {
  const emb = new AudioMarkEmbedder(channels.length, sampleRate, params);
  const a = emb.push(channels);
  const b = emb.end();
  const out = a.map((x, c) => {
    const y = new Float32Array(x.length + b[c]!.length);
    y.set(x);
    y.set(b[c]!, x.length);
    return y;
  });
  return { channels: out, snrDb: emb.snrDb };
}

/**
 * Nominal mark amplitude of every cell. Per column, the mark may add SNR_NOMINAL_DB under the
 * program's power (all bands, native rate). Detection gains with m² in every cell while the power
 * cost is m² × the cell's energy, so the budget goes first to the quieter bands of the column
 * (water-filling), each capped at M_CAP (−14 dB under the cell itself: inside the masking
 * threshold of the cell's own content and of its louder neighbours). Bands under ELIGIBLE × the
 * column mean are skipped: there the cell-energy floor hides the mark from the detector.
 */
function nominalAmplitudes(
  pc: Float64Array,
  frameProg: Float64Array,
  frames: number,
  cols: number,
  strength: number,
): Float64Array {
  const amp = new Float64Array(cols * BANDS);
  const nominal = 10 ** (-SNR_NOMINAL_DB / 10) * strength * strength;
  const cap = Math.min(0.5, M_CAP * strength);
  const e = cellEnergies(pc, frames, 0, cols);
  const order = new Int32Array(BANDS);
  for (let j = 0; j < cols; j++) {
    let prog = 0;
    for (let f = 0; f < CELL_FRAMES; f++) {
      const t = j * CELL_FRAMES + f;
      if (t < frames) prog += frameProg[t]!;
    }
    let budget = nominal * prog;
    let mean = 0;
    for (let b = 0; b < BANDS; b++) mean += e[j * BANDS + b]! / BANDS;
    for (let b = 0; b < BANDS; b++) order[b] = b;
    order.sort((x, y) => e[j * BANDS + x]! - e[j * BANDS + y]!);
    for (const b of order) {
      const cellPow = e[j * BANDS + b]! * PARSEVAL;
      if (e[j * BANDS + b]! < ELIGIBLE * mean || cellPow <= 0) continue;
      if (budget <= 0) break;
      const a = Math.min(cap, Math.sqrt(budget / cellPow));
      amp[j * BANDS + b] = a;
      budget -= a * a * cellPow;
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
function informedMark(
  mono16: Float32Array,
  mono: Spectra,
  p: Float64Array,
  frames: number,
  cols: number,
  amp: Float64Array,
  sign: Int8Array,
  layout: Layout,
  bitSign: Int8Array,
  limit: (m: Float64Array) => void,
): Float64Array {
  const eps = epsilonFor(p);
  const blocks = Math.ceil(cols / COLS);
  const G = layout.groups;
  const groupOf = new Int32Array(cols * BANDS);
  for (let j = 0; j < cols; j++) {
    for (let b = 0; b < BANDS; b++) {
      groupOf[j * BANDS + b] = Math.floor(j / COLS) * G + layout.group[b * COLS + (j % COLS)]!;
    }
  }
  // Group statistics (data groups from the column-relative features, pilots from the high-passed
  // ones) of a band-power array, as the detector computes them.
  const groupStats = (power: Float64Array): Float64Array => {
    const { f, g, cols: fc } = cellFeatures(power, frames, 0, eps);
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

function epsilonFor(p: Float64Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i]!;
  const mean = p.length > 0 ? s / p.length : 0;
  // -90 dB under the average cell: keeps log() finite in digital silence without masking quiet
  // passages.
  return mean * CELL_FRAMES * 1e-9 + 1e-30;
}

export interface AudioCoreDetection {
  readonly found: boolean;
  readonly payload?: Uint8Array;
  /** Score in [0, 1]; 0.5 where the weaker statistic sits at its threshold. */
  readonly confidence: number;
  /** Lattice synchronisation z-score (the decision statistic with the CRC and bit errors). */
  readonly syncZ: number;
  /** Pilot correlation z-score (diagnostics). */
  readonly pilotZ: number;
  /** Coded bits the decoded codeword disagrees with (a bit with no vote counts one half). */
  readonly bitErrors: number;
  readonly crcOk: boolean;
  /** Offset of the block grid found, in working-rate samples modulo one block. */
  readonly offset: number;
  /** Blocks' worth of signal folded. */
  readonly blocks: number;
  readonly reason?: string;
  /** The best decode's payload, verified or not (diagnostics). */
  readonly decoded?: Uint8Array;
}

/**
 * Look for the mark in a mono working-rate signal (see {@link toWorkingMono}).
 *
 * @example
 * ```ts
 * const r = detectAudioMark(toWorkingMono([left, right], 48000), { seed });
 * if (r.found) console.log(r.payload);
 * ```
 */
export function detectAudioMark(mono16: Float32Array, params: { seed: Uint8Array }): AudioCoreDetection {
  const layout = layoutFor(params.seed);
  const none = (reason: string, extra: Partial<AudioCoreDetection> = {}): AudioCoreDetection => ({
    found: false,
    confidence: 0,
    syncZ: 0,
    pilotZ: 0,
    bitErrors: CODED_BITS,
    crcOk: false,
    offset: 0,
    blocks: mono16.length / AUDIO_BLOCK_SAMPLES,
    reason,
    ...extra,
  });
  if (mono16.length < AUDIO_MIN_DETECT_SAMPLES) {
    return none(
      `audio is ${(mono16.length / AUDIO_WORK_RATE).toFixed(2)} s long, under the ${(AUDIO_MIN_DETECT_SAMPLES / AUDIO_WORK_RATE).toFixed(2)} s minimum for detection`,
    );
  }
  let energy = 0;
  for (let i = 0; i < mono16.length; i++) energy += mono16[i]! * mono16[i]!;
  if (energy / mono16.length < 1e-10) return none('the audio is silent');

  // Synchronisation runs on the first SYNC_SAMPLES (enough blocks for any clear mark); the decode
  // at the chosen alignment then uses the whole signal.
  const syncPart = mono16.length > SYNC_SAMPLES ? mono16.subarray(0, SYNC_SAMPLES) : mono16;
  interface Candidate {
    ph: number;
    q: number;
    shift: number;
    z: number;
    offset: number;
  }
  const candidates: Candidate[] = [];
  const featureCache = new Map<number, { g: Float64Array; f: Float64Array; w: Uint8Array; cols: number }>();
  for (let ph = 0; ph < PHASES; ph++) {
    const offset = (ph * HOP) / PHASES;
    const fe = featuresAt(syncPart, offset);
    if (!fe) continue;
    for (let q = 0; q < CELL_FRAMES; q++) {
      const feat = fe[q]!;
      featureCache.set(ph * CELL_FRAMES + q, feat);
      for (let shift = 0; shift < COLS; shift++) {
        const { z } = latticeScan(feat.g, feat.w, feat.cols, shift, layout);
        candidates.push({ ph, q, shift, z, offset: offset + (q + shift * CELL_FRAMES) * HOP });
      }
    }
  }
  if (candidates.length === 0) return none('audio too short for one block');
  candidates.sort((a, b) => b.z - a.z);
  let best: AudioCoreDetection | undefined;
  const seen = new Set<number>();
  for (const cand of candidates) {
    if (seen.size >= SHORTLIST) break;
    // Neighbouring phases of the same alignment count once.
    const key = Math.round(cand.offset / HOP) % BLOCK_FRAMES;
    if (seen.has(key)) continue;
    seen.add(key);
    let feat = featureCache.get(cand.ph * CELL_FRAMES + cand.q)!;
    if (syncPart !== mono16) feat = featuresAt(mono16, (cand.ph * HOP) / PHASES)![cand.q]!;
    const scan = latticeScan(feat.g, feat.w, feat.cols, cand.shift, layout);
    const pilotZ = pilotScore(feat.f, feat.cols, cand.shift, layout);
    const dec = decodePayload(scan.soft, params.seed);
    // A coded bit none of whose cells carried the mark in the excerpt (sparse harmonic spectra,
    // speech pauses) has no vote: the decoder counts it as disagreeing, but it is an erasure, which
    // a coin flip would get wrong half the time. Counting it as half an error keeps the null's
    // level (unmarked audio has few erasures) and stops sparse music from failing on erasures
    // alone (measured: 33–39 of 34–40 "errors" on clean chord excerpts were erasures).
    let erased = 0;
    for (let i = 0; i < CODED_BITS; i++) if (scan.soft[i] === 0) erased++;
    const bitErrors = Math.ceil(dec.bitErrors - erased / 2);
    const ok = dec.crcOk && bitErrors <= AUDIO_MAX_BIT_ERRORS && scan.z >= AUDIO_SYNC_Z_MIN;
    const r: AudioCoreDetection = {
      found: ok,
      ...(ok ? { payload: dec.payload } : {}),
      confidence: confidenceOf(scan.z, bitErrors),
      syncZ: scan.z,
      pilotZ,
      bitErrors,
      crcOk: dec.crcOk,
      offset: Math.round(cand.offset) % AUDIO_BLOCK_SAMPLES,
      blocks: mono16.length / AUDIO_BLOCK_SAMPLES,
      decoded: dec.payload,
      ...(ok ? {} : { reason: failReason(scan.z, dec.crcOk, bitErrors) }),
    };
    if (ok) return r;
    if (!best || r.confidence > best.confidence) best = r;
  }
  return best ?? none('no candidate');
}

/** Cell features of `x` analysed from sample `offset`, for each of the CELL_FRAMES cell phases. */
function featuresAt(
  x: Float32Array,
  offset: number,
): { g: Float64Array; f: Float64Array; w: Uint8Array; cols: number }[] | undefined {
  const frames = Math.floor((x.length - offset - FRAME) / HOP) + 1;
  if (frames < BLOCK_FRAMES) return undefined;
  const p = stftPower(x, offset, frames);
  const eps = epsilonFor(p);
  const out = [];
  for (let q = 0; q < CELL_FRAMES; q++) out.push(cellFeatures(p, frames, q, eps));
  return out;
}

/**
 * Data statistics at one alignment. Every complete copy of a bit's group (all its cells inside
 * the excerpt) gives S; the soft bit sums −cos(2π(S − dither)/Δ) (−1 on the bit-0 coset, +1 on
 * the bit-1 coset), and the synchronisation score sums cos(4π(S − dither)/Δ), which is 1 on
 * either coset whatever the bit, and averages 0 when S bears no relation to the lattice (wrong
 * alignment, unmarked audio): z = sum / √(n/2).
 */
function latticeScan(
  g: Float64Array,
  w: Uint8Array,
  cols: number,
  shift: number,
  layout: Layout,
): { z: number; soft: Float64Array; n: number } {
  const soft = new Float64Array(CODED_BITS);
  const s = new Float64Array(CODED_BITS);
  const complete = new Uint8Array(CODED_BITS);
  const marked = new Uint8Array(CODED_BITS);
  let sum = 0;
  let n = 0;
  let n2 = 0;
  const { bit: dBit, col: dCol, band: dBand, chip: dChip } = layout.data;
  const nd = dBit.length;
  // Block k covers excerpt columns shift + k·COLS .. + COLS - 1 (k starts at -1: a leading part).
  for (let k = -1; shift + k * COLS < cols; k++) {
    s.fill(0);
    complete.fill(1);
    marked.fill(0);
    const base = shift + k * COLS;
    for (let i = 0; i < nd; i++) {
      const j = base + dCol[i]!;
      if (j < 0 || j >= cols) {
        complete[dBit[i]!] = 0;
        continue;
      }
      const cell = j * BANDS + dBand[i]!;
      s[dBit[i]!]! += dChip[i]! * g[cell]!;
      marked[dBit[i]!]! += w[cell]!;
    }
    for (let bit = 0; bit < CODED_BITS; bit++) {
      // A copy whose cells were too weak to carry the mark votes in proportion to those that were
      // strong enough (speech leaves many high bands empty between formants and in pauses).
      if (!complete[bit] || marked[bit] === 0) continue;
      const weight = marked[bit]! / CELLS_PER_BIT;
      const phase = (2 * Math.PI * (s[bit]! - layout.dither[bit]!)) / DELTA;
      const c = Math.cos(phase);
      soft[bit]! -= weight * c;
      sum += weight * (2 * c * c - 1); // cos 2φ
      n2 += weight * weight;
      n++;
    }
  }
  return { z: n2 > 0 ? sum / Math.sqrt(n2 / 2) : 0, soft, n };
}

/** Pilot correlation z at one alignment (diagnostics). */
function pilotScore(f: Float64Array, cols: number, shift: number, layout: Layout): number {
  let score = 0;
  let s2 = 0;
  for (let j = 0; j < cols; j++) {
    const c = (((j - shift) % COLS) + COLS) % COLS;
    for (let b = 0; b < BANDS; b++) {
      const cell = b * COLS + c;
      if (layout.bit[cell]! >= 0) continue;
      const v = f[j * BANDS + b]!;
      score += layout.chip[cell]! * v;
      s2 += v * v;
    }
  }
  return s2 > 0 ? score / Math.sqrt(s2) : 0;
}

function failReason(z: number, crcOk: boolean, bitErrors: number): string {
  if (z < AUDIO_SYNC_Z_MIN) return `no watermark pattern (sync z ${z.toFixed(2)} < ${AUDIO_SYNC_Z_MIN})`;
  if (!crcOk) return 'pattern present but the payload check (CRC) failed';
  return `payload check passed but ${bitErrors} coded bits disagree (max ${AUDIO_MAX_BIT_ERRORS})`;
}

function confidenceOf(z: number, bitErrors: number): number {
  // Each statistic mapped so that its threshold gives 0.5; the weaker one decides.
  const a = 1 / (1 + Math.exp(-(z - AUDIO_SYNC_Z_MIN) * 1.5));
  const b = 1 / (1 + Math.exp(-(AUDIO_MAX_BIT_ERRORS - bitErrors) / 4));
  return Math.min(a, b);
}

/**
 * Downmix planar channels to mono and resample to the working rate.
 *
 * @example
 * ```ts
 * const mono16 = toWorkingMono([left, right], 44100);
 * ```
 */
export function toWorkingMono(channels: readonly Float32Array[], sampleRate: number): Float32Array {
  const nch = channels.length;
  const len = channels[0]?.length ?? 0;
  let mono: Float32Array;
  if (nch === 1) mono = channels[0]!;
  else {
    mono = new Float32Array(len);
    for (const ch of channels) for (let i = 0; i < len; i++) mono[i]! += ch[i]! / nch;
  }
  return sampleRate === AUDIO_WORK_RATE ? mono : resampleAudio(mono, sampleRate, AUDIO_WORK_RATE);
}
