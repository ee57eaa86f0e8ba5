/**
 * The audio detector: synchronisation by lattice scan over sub-hop phases, cell phases and column
 * shifts, then the decode of the best alignments (see audio.ts for the design).
 */
import { CODED_BITS, decodePayload } from './code.js';
import { resampleAudio } from './audio-resample.js';
import {
  AUDIO_BLOCK_SAMPLES,
  AUDIO_MAX_BIT_ERRORS,
  AUDIO_MIN_DETECT_SAMPLES,
  AUDIO_SYNC_Z_MIN,
  AUDIO_WORK_RATE,
  BANDS,
  BLOCK_FRAMES,
  CELLS_PER_BIT,
  CELL_FRAMES,
  DELTA,
  FRAME,
  HOP,
  PHASES,
  SHORTLIST,
  SYNC_SAMPLES,
  AUDIO_SCHEME_V2,
  type AudioScheme,
} from './audio-params.js';
import { cellFeatures, epsilonFor, layoutFor, type Layout } from './audio-layout.js';
import { stftPower } from './audio-stft.js';

export interface AudioCoreDetection {
  readonly found: boolean;
  /** Version of the scheme looked for. */
  readonly version: 1 | 2;
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
export function detectAudioMark(
  mono16: Float32Array,
  params: { seed: Uint8Array; scheme?: AudioScheme; powers?: PowerCache },
): AudioCoreDetection {
  const scheme = params.scheme ?? AUDIO_SCHEME_V2;
  const layout = layoutFor(params.seed, scheme);
  const cycleCols = layout.cols;
  const none = (reason: string, extra: Partial<AudioCoreDetection> = {}): AudioCoreDetection => ({
    found: false,
    version: scheme.version,
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
    const fe = featuresAt(syncPart, offset, scheme.regions, params.powers);
    if (!fe) continue;
    for (let q = 0; q < CELL_FRAMES; q++) {
      const feat = fe[q]!;
      featureCache.set(ph * CELL_FRAMES + q, feat);
      for (let shift = 0; shift < cycleCols; shift++) {
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
    const key = Math.round(cand.offset / HOP) % (cycleCols * CELL_FRAMES);
    if (seen.has(key)) continue;
    seen.add(key);
    let feat = featureCache.get(cand.ph * CELL_FRAMES + cand.q)!;
    if (syncPart !== mono16)
      feat = featuresAt(mono16, (cand.ph * HOP) / PHASES, scheme.regions, params.powers)![cand.q]!;
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
      version: scheme.version,
      ...(ok ? { payload: dec.payload } : {}),
      confidence: confidenceOf(scan.z, bitErrors),
      syncZ: scan.z,
      pilotZ,
      bitErrors,
      crcOk: dec.crcOk,
      offset: Math.round(cand.offset) % (cycleCols * CELL_FRAMES * HOP),
      blocks: mono16.length / AUDIO_BLOCK_SAMPLES,
      decoded: dec.payload,
      ...(ok ? {} : { reason: failReason(scan.z, dec.crcOk, bitErrors) }),
    };
    if (ok) return r;
    if (!best || r.confidence > best.confidence) best = r;
  }
  return best ?? none('no candidate');
}

/**
 * Band powers of one signal by analysis offset, shared between the detections of several schemes
 * (the STFT does not depend on the scheme). Keyed by signal length and offset: use one per signal.
 */
export type PowerCache = Map<string, Float64Array>;

/** Cell features of `x` analysed from sample `offset`, for each of the CELL_FRAMES cell phases. */
function featuresAt(
  x: Float32Array,
  offset: number,
  regions: readonly number[],
  powers?: PowerCache,
): { g: Float64Array; f: Float64Array; w: Uint8Array; cols: number }[] | undefined {
  const frames = Math.floor((x.length - offset - FRAME) / HOP) + 1;
  if (frames < BLOCK_FRAMES) return undefined;
  const key = `${x.length}:${offset}`;
  let p = powers?.get(key);
  if (!p) {
    p = stftPower(x, offset, frames);
    powers?.set(key, p);
  }
  const eps = epsilonFor(p);
  const out = [];
  const narrow = regions.length > 2 && isNarrowband(p, regions[1]!);
  for (let q = 0; q < CELL_FRAMES; q++) {
    const fe = cellFeatures(p, frames, q, eps, regions);
    // A telephone copy: the regions above the telephone band hold only the channel's roll-off and
    // noise, relative to a mean of nothing; their cells cast no vote.
    if (narrow) for (let i = 0; i < fe.w.length; i++) if (i % BANDS >= regions[1]!) fe.w[i] = 0;
    out.push(fe);
  }
  return out;
}

/**
 * Whether a signal is band-limited to the telephone band: its power at 4.5–7 kHz (above an 8 kHz
 * channel's Nyquist and the 8 → 16 kHz resampler's transition band) is under NARROWBAND_REL of its
 * power in bands [0, phoneEnd). Measured ratios: telephone copies (300–3400 Hz, 8 kHz, µ-law) of
 * music, pink noise and speech 2·10⁻⁷ – 1·10⁻⁶; the same programs wideband or through MP3 128k
 * 6·10⁻³ – 0.4.
 */
function isNarrowband(p: Float64Array, phoneEnd: number): boolean {
  const top = Math.ceil((4500 - 750) / 125); // first band above 4.5 kHz
  let low = 0;
  let high = 0;
  for (let i = 0; i < p.length; i++) {
    const b = i % BANDS;
    if (b < phoneEnd) low += p[i]!;
    else if (b >= top) high += p[i]!;
  }
  return high < NARROWBAND_REL * low;
}
/** −40 dB: telephone copies sit 100× under it, wideband programs 60× above. */
const NARROWBAND_REL = 1e-4;

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
  // One accumulator per copy of a bit in the cycle (slot = block of the cycle × CODED_BITS + bit).
  const slots = layout.scheme.cycle * CODED_BITS;
  const s = new Float64Array(slots);
  const marked = new Uint8Array(slots);
  let sum = 0;
  let n = 0;
  let n2 = 0;
  const { band: dBand, chip: dChip, slot: dSlot } = layout.data;
  const { colStart, slotLo, slotHi } = layout;
  const period = layout.cols;
  // Cycle k covers excerpt columns shift + k·period .. + period - 1 (k starts at -1: a leading part).
  for (let k = -1; shift + k * period < cols; k++) {
    s.fill(0);
    marked.fill(0);
    const base = shift + k * period;
    for (let j = Math.max(0, base), jEnd = Math.min(cols, base + period); j < jEnd; j++) {
      for (let i = colStart[j - base]!, e = colStart[j - base + 1]!; i < e; i++) {
        const cell = j * BANDS + dBand[i]!;
        s[dSlot[i]!]! += dChip[i]! * g[cell]!;
        marked[dSlot[i]!]! += w[cell]!;
      }
    }
    for (let slot = 0; slot < slots; slot++) {
      // Only complete copies (all cells inside the excerpt) vote. A copy whose cells were too weak
      // to carry the mark votes in proportion to those that were strong enough (speech leaves many
      // high bands empty between formants and in pauses).
      if (base + slotLo[slot]! < 0 || base + slotHi[slot]! >= cols || marked[slot] === 0) continue;
      const bit = slot % CODED_BITS;
      const weight = marked[slot]! / CELLS_PER_BIT;
      const c = cosTurns((s[slot]! - layout.dither[bit]!) / DELTA);
      soft[bit]! -= weight * c;
      sum += weight * (2 * c * c - 1); // cos 2φ
      n2 += weight * weight;
      n++;
    }
  }
  return { z: n2 > 0 ? sum / Math.sqrt(n2 / 2) : 0, soft, n };
}

/** cos(2π·x) by table (4096 steps a turn, linear interpolation: error < 3·10⁻⁷), for the scans. */
const COS_STEPS = 4096;
const COS_TABLE = (() => {
  const t = new Float64Array(COS_STEPS + 1);
  for (let i = 0; i <= COS_STEPS; i++) t[i] = Math.cos((2 * Math.PI * i) / COS_STEPS);
  return t;
})();
function cosTurns(x: number): number {
  const u = (x - Math.floor(x)) * COS_STEPS;
  const i = Math.floor(u);
  const f = u - i;
  return COS_TABLE[i]! + f * (COS_TABLE[i + 1]! - COS_TABLE[i]!);
}

/** Pilot correlation z at one alignment (diagnostics). */
function pilotScore(f: Float64Array, cols: number, shift: number, layout: Layout): number {
  let score = 0;
  let s2 = 0;
  const period = layout.cols;
  for (let j = 0; j < cols; j++) {
    const c = (((j - shift) % period) + period) % period;
    for (let b = 0; b < BANDS; b++) {
      const cell = b * period + c;
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
