/**
 * The audio watermark's time-frequency transform: a 512-point STFT of the 16 kHz working signal
 * (√Hann analysis and synthesis windows, hop 256), its band powers, and the synthesis of a mark from
 * per-cell multipliers (the inverse STFT of X·m over the mark band).
 */
import { bitReverse } from './fft.js';
import { BANDS, BAND_BINS, BIN_LO, CELL_FRAMES, FRAME, HOP } from './audio-params.js';

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

export interface Spectra {
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
export function stft(
  x: Float32Array,
  offset: number,
  frames: number,
  base = 0,
  n = base + x.length,
): Spectra {
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
export function bandPower(sp: Spectra): Float64Array {
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
export function stftPower(x: Float32Array, offset: number, frames: number): Float64Array {
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
 * Delta signal (working rate) for per-cell multipliers m: ISTFT of X·m over the mark band. Two
 * frames share one inverse FFT (Z = A + iB gives a + ib for Hermitian A and B).
 */
export function synthesise(sp: Spectra, m: Float64Array, wlen: number): Float32Array {
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
