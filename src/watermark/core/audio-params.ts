/**
 * Parameters of the audio watermark (audio.1 and audio.2): the time-frequency grid, the block
 * layout's sizes, the mark's power budget and the detector's thresholds. See audio.ts for the
 * design, README.md ("Audio") for the measurements.
 */
import { CODED_BITS } from './code.js';

/** Internal rate of the audio watermark (Hz). */
export const AUDIO_WORK_RATE = 16000;
export const FRAME = 512;
export const HOP = 256;
export const BIN_LO = 24; // 750 Hz
export const BAND_BINS = 4;
export const BANDS = 50; // bins 24..223: 750–7000 Hz
export const CELL_FRAMES = 4;
export const COLS = 32;
/** Frames per block, samples per block at the working rate. */
export const BLOCK_FRAMES = COLS * CELL_FRAMES;
export const AUDIO_BLOCK_SAMPLES = BLOCK_FRAMES * HOP; // 32768 = 2.048 s
export const CELLS = BANDS * COLS;
export const PAIRS_PER_BIT = 3;
export const CELLS_PER_BIT = 2 * PAIRS_PER_BIT;
export const DATA_CELLS = CODED_BITS * CELLS_PER_BIT; // 1548
export const PILOT_CELLS = CELLS - DATA_CELLS; // 52
export const PILOT_GROUP = 8;
/** Columns of one span (a bit's cells all lie in one span of the block) and spans per block. */
export const SPAN_COLS = 8;
export const SPANS = COLS / SPAN_COLS;
/**
 * Cell-energy floor relative to the column's mean cell (−10 dB): codecs zero weak bands between
 * harmonics, which would swing their log energy; the floor makes them inert. Pilot feature clip
 * (log units) against onsets.
 */
export const FLOOR_REL = 0.1;
export const CLIP = 1.2;

/**
 * Masking cap on a cell's nominal amplitude (−14 dB under the cell itself) and the eligibility
 * floor: cells under 5 % of their column's mean energy carry no mark and cast no vote (the log
 * floor, 10 %, hides most of what they could carry). Cells at 5–10 % still carry part of the mark:
 * lowering the floor from 10 % to 5 % cut the mean coded-bit errors on 5 s excerpts from 20.1 to
 * 16.4 (speech: clean, AAC, 44.1 kHz) and from 18.5 to 14.2 (chord music), measured before bits
 * were gathered into spans.
 */
export const M_CAP = 0.2;
export const ELIGIBLE = 0.05;
/**
 * Parseval for one-sided band energies of √Hann-windowed frames: mean square per sample =
 * 2·Σ|X|² / (N · Σw²), with Σw² = N/2.
 */
export const PARSEVAL = 4 / (FRAME * FRAME);
export const BOOST_MIN = 0.5;
export const BOOST_MAX = 4;
/** Pilot groups: informed spread spectrum towards MARGIN × their own effect. Loop passes and damping. */
export const MARGIN = 1.5;
export const MODEL_PASSES = 4;
/**
 * Synthesise-and-reanalyse passes. Each costs an inverse and a forward STFT; a third pass changed
 * the mean coded-bit errors on 5 s speech excerpts by 0.6 of 258 (23.5 vs 24.1) for 8 % of the
 * embedding time, so two are made (measured before bits were gathered into spans).
 */
export const REAL_PASSES = 2;
export const DAMPING = 0.8;
/** Quantiser step of the data statistic (chip-weighted sum of 6 column-relative log energies). */
export const DELTA = 1.4;
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
export const SNR_NOMINAL_DB = 27;
export const SNR_FLOOR_DB = 30.5;
export const LEAK_ALLOWANCE = 2;

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
export const SYNC_SAMPLES = 30 * AUDIO_WORK_RATE;
/** Shortest program (working-rate samples) detection is attempted on: one block plus a column. */
export const AUDIO_MIN_DETECT_SAMPLES = AUDIO_BLOCK_SAMPLES + CELL_FRAMES * HOP;
/** Analysis phases (sub-hop offsets) tried by the detector. */
export const PHASES = 8;
/** Candidates (phase, cell phase, column shift) that are decoded. */
export const SHORTLIST = 3;

/**
 * The two versions of the audio mark. Both use the grid above and the same quantiser; they differ
 * in where a coded bit's cells may lie and what a cell's log energy is taken relative to.
 *  - audio.1: one region (all 50 bands); the block layout repeats every block; features relative to
 *    the mean of the whole column.
 *  - audio.2: two regions, the telephone band (bands 0–20: 750–3375 Hz) and the rest (3375–7000
 *    Hz). A bit's cells lie in one region, features are relative to the mean of their own region
 *    (so whatever a channel does above 3.4 kHz leaves the telephone band's statistics alone), and
 *    the layout cycles over three blocks so that every coded bit has cells in the telephone band in
 *    at least one block of the cycle (112 per block). A share of the power budget goes to the
 *    telephone band first.
 */
export interface AudioScheme {
  readonly version: 1 | 2;
  /** Blocks per layout cycle. */
  readonly cycle: number;
  /** Region boundaries in bands: region r is bands [regions[r], regions[r + 1]). */
  readonly regions: readonly number[];
  /** Share of each column's power budget water-filled into each region first (sums to 1). */
  readonly shares: readonly number[];
}

/** Bands of the telephone region in audio.2 (750–3375 Hz). */
export const PHONE_BANDS = 21;

export const AUDIO_SCHEME_V1: AudioScheme = { version: 1, cycle: 1, regions: [0, BANDS], shares: [1] };
export const AUDIO_SCHEME_V2: AudioScheme = {
  version: 2,
  cycle: 3,
  regions: [0, PHONE_BANDS, BANDS],
  shares: [0.5, 0.5],
};
