/**
 * Embedding: a luminance offset field = perceptual amplitude × periodic tile pattern.
 * The caller adds the same offset to R, G and B (or to the grey channel), which changes luma
 * by exactly that offset and leaves chroma alone, so 4:2:0 chroma subsampling cannot touch it.
 */
import { encodePayload } from './code.js';
import { workingScale } from './constants.js';
import { boxBlur, downsampleBox } from './filters.js';
import { SYNC_AMPLITUDE, SYNC_FREQS, TILE, renderTile, tileLayout } from './pattern.js';

export interface EmbedParams {
  /** Key seed (32 bytes from the adapter's key derivation). */
  readonly seed: Uint8Array;
  /** The 8 payload bytes. */
  readonly payload: Uint8Array;
  /** Amplitude multiplier; 1 is the calibrated default (PSNR ≈ 43 dB on photographs). */
  readonly strength: number;
}

/** Peak tile amplitude (8-bit luma levels) in flat areas, at strength 1. */
const AMP_FLAT = 1.3;
/** Extra amplitude per unit of local activity (mean absolute high-pass, in levels). */
const AMP_GAIN = 0.9;
const AMP_MAX = 7;
/** Cap on the RMS of the offset field (levels) at strength 1: keeps luma PSNR ≥ 42 dB. */
const TARGET_RMS = 2.0;

/**
 * Compute the per-pixel luma offset for `luma` (values 0–255, width × height). Writes into `out`
 * when given (it may be `luma` itself: every read of the plane happens before the first write).
 *
 * @example
 * ```ts
 * const delta = computeMarkDelta(luma, w, h, { seed, payload, strength: 1 }); // add to R, G and B
 * ```
 */
export function computeMarkDelta(
  luma: Float32Array,
  width: number,
  height: number,
  params: EmbedParams,
  out?: Float32Array,
): Float32Array {
  const s = workingScale(width, height);
  const layout = tileLayout(params.seed);
  const coded = encodePayload(params.payload, params.seed);
  const tile = renderTile(layout, coded, 1, 1, SYNC_AMPLITUDE);

  // Texture activity is measured at about one to two pixels per working pixel (cells are 4 working
  // pixels wide), so fine grain still counts as masking; the activity and luma maps are then
  // pooled to about one pixel per working pixel before smoothing, which is all the amplitude map
  // needs and keeps the filters cheap at any size.
  const k1 = Math.max(1, Math.round(1 / (2 * s) + 0.5));
  const fine = downsampleBox(luma, width, height, k1);
  const fineBase = boxBlur(fine.data, fine.w, fine.h, 1);
  const f = Math.max(1, Math.round(1 / (s * k1)));
  const k = k1 * f;
  const base = f === 1 ? Float32Array.from(fineBase) : downsampleBox(fineBase, fine.w, fine.h, f).data;
  // The activity overwrites the blurred copy (one fewer full-size buffer per call).
  const fineAct = fineBase;
  for (let i = 0; i < fineAct.length; i++) fineAct[i] = Math.abs(fine.data[i]! - fineAct[i]!);
  const pooledAct = downsampleBox(fineAct, fine.w, fine.h, f);
  const mw = pooledAct.w;
  const mh = pooledAct.h;
  // Activity over a window about one cell wide, then smoothed so the amplitude varies gently.
  const r = Math.max(1, Math.round(2 / (s * k)));
  const activity = boxBlur(boxBlur(pooledAct.data, mw, mh, r), mw, mh, r);
  const amp = new Float32Array(mw * mh);
  let sumSq = 0;
  for (let i = 0; i < amp.length; i++) {
    const lum = base[i]!;
    // Very dark and very bright pixels clip; there the offset is wasted and may show as banding.
    const edge = Math.min(1, (lum + 8) / 40, (263 - lum) / 40);
    const a = Math.min(AMP_MAX, AMP_FLAT + AMP_GAIN * activity[i]!) * Math.max(0.3, edge);
    amp[i] = a;
    sumSq += a * a;
  }
  // Mean square of the tile: 1/4 for the cells (sin² profile both ways) plus the gratings'.
  const tileRms = Math.sqrt(0.25 + (SYNC_FREQS.length * SYNC_AMPLITUDE ** 2) / 2);
  const fieldRms = Math.sqrt(sumSq / amp.length) * tileRms;
  const norm = params.strength * Math.min(1, TARGET_RMS / fieldRms);

  const dst = out ?? new Float32Array(width * height);
  // Look-up tables: tile coordinate and mask coordinate of every column.
  const tx0 = new Int32Array(width);
  const tx1 = new Int32Array(width);
  const tfx = new Float32Array(width);
  const mx0 = new Int32Array(width);
  const mx1 = new Int32Array(width);
  const mfx = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const u = (x + 0.5) * s - 0.5;
    const uf = Math.floor(u);
    tfx[x] = u - uf;
    tx0[x] = ((uf % TILE) + TILE) % TILE;
    tx1[x] = (tx0[x]! + 1) % TILE;
    const m = Math.min(mw - 1, Math.max(0, (x + 0.5) / k - 0.5));
    const mf = Math.floor(m);
    mx0[x] = mf;
    mx1[x] = Math.min(mw - 1, mf + 1);
    mfx[x] = m - mf;
  }
  // Rows carry one extra entry (a copy of the wrap-around or edge value), so the right-hand
  // neighbour of every sample is simply the next index.
  const tileRow = new Float32Array(TILE + 1);
  const ampRow = new Float32Array(mw + 1);
  for (let y = 0; y < height; y++) {
    const v = (y + 0.5) * s - 0.5;
    const vf = Math.floor(v);
    const fy = v - vf;
    const r0 = (((vf % TILE) + TILE) % TILE) * TILE;
    const r1 = ((((vf + 1) % TILE) + TILE) % TILE) * TILE;
    for (let i = 0; i < TILE; i++) tileRow[i] = tile[r0 + i]! + fy * (tile[r1 + i]! - tile[r0 + i]!);
    tileRow[TILE] = tileRow[0]!;
    const m = Math.min(mh - 1, Math.max(0, (y + 0.5) / k - 0.5));
    const m0 = Math.floor(m);
    const m1 = Math.min(mh - 1, m0 + 1);
    const mfy = m - m0;
    for (let i = 0; i < mw; i++) {
      const a0 = amp[m0 * mw + i]!;
      ampRow[i] = (a0 + mfy * (amp[m1 * mw + i]! - a0)) * norm;
    }
    ampRow[mw] = ampRow[mw - 1]!;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const ti = tx0[x]!;
      const t0 = tileRow[ti]!;
      const t = t0 + tfx[x]! * (tileRow[ti + 1]! - t0);
      const ai = mx0[x]!;
      const a0 = ampRow[ai]!;
      dst[row + x] = (a0 + mfx[x]! * (ampRow[ai + 1]! - a0)) * t;
    }
  }
  return dst;
}
