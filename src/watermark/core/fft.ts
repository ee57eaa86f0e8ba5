/**
 * In-place radix-2 complex FFT (power-of-two sizes) and a 2-D wrapper. Used for the tile
 * autocorrelation (synchronisation) and for the cyclic pilot correlation (translation).
 */

const tables = new Map<number, { cos: Float64Array; sin: Float64Array; rev: Uint32Array }>();

function tableFor(n: number): { cos: Float64Array; sin: Float64Array; rev: Uint32Array } {
  let t = tables.get(n);
  if (t) return t;
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let i = 0; i < n / 2; i++) {
    cos[i] = Math.cos((2 * Math.PI * i) / n);
    sin[i] = Math.sin((2 * Math.PI * i) / n);
  }
  const rev = new Uint32Array(n);
  const bits = Math.log2(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  t = { cos, sin, rev };
  tables.set(n, t);
  return t;
}

/** True when n is a power of two (and ≥ 1). */
export function isPow2(n: number): boolean {
  return n >= 1 && (n & (n - 1)) === 0;
}

/** Smallest power of two ≥ n. */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

/**
 * Put `n` complex values stored with a stride in (re, im) into bit-reversed order, in place: the
 * first step of a radix-2 decimation-in-time FFT (fft1d here, the audio STFT's specialised one).
 */
export function bitReverse(re: Float64Array, im: Float64Array, n: number, offset = 0, stride = 1): void {
  const { rev } = tableFor(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i]!;
    if (j > i) {
      const a = offset + i * stride;
      const b = offset + j * stride;
      let t = re[a]!;
      re[a] = re[b]!;
      re[b] = t;
      t = im[a]!;
      im[a] = im[b]!;
      im[b] = t;
    }
  }
}

/**
 * FFT of `n` complex values stored with a stride in (re, im), in place.
 * `inverse` computes the unnormalised inverse transform.
 */
export function fft1d(
  re: Float64Array,
  im: Float64Array,
  n: number,
  offset = 0,
  stride = 1,
  inverse = false,
): void {
  const { cos, sin } = tableFor(n);
  bitReverse(re, im, n, offset, stride);
  const sgn = inverse ? 1 : -1;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step]!;
        const wi = sgn * sin[k * step]!;
        const a = offset + (start + k) * stride;
        const b = a + half * stride;
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

/** 2-D FFT of a w×h array (row-major, both powers of two), in place. */
export function fft2d(re: Float64Array, im: Float64Array, w: number, h: number, inverse = false): void {
  for (let y = 0; y < h; y++) fft1d(re, im, w, y * w, 1, inverse);
  // Columns are gathered into a contiguous buffer: strided butterflies thrash the cache.
  const cr = new Float64Array(h);
  const ci = new Float64Array(h);
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      cr[y] = re[y * w + x]!;
      ci[y] = im[y * w + x]!;
    }
    fft1d(cr, ci, h, 0, 1, inverse);
    for (let y = 0; y < h; y++) {
      re[y * w + x] = cr[y]!;
      im[y * w + x] = ci[y]!;
    }
  }
}
