/**
 * Band-limited resampling of mono float PCM between arbitrary rates (windowed-sinc interpolation).
 * The audio watermark works at a fixed internal rate (16 kHz): the embedder computes its mark there
 * and brings it back to the program's rate, the detector brings whatever it receives down to it,
 * so a 48 → 44.1 kHz conversion by a third party changes nothing the detector looks at.
 *
 * The kernel is a Blackman-windowed sinc with ZERO_CROSSINGS lobes on each side, cut off at 46 %
 * of the lower rate (7.36 kHz for 16 kHz): flat well past the mark's 6 kHz upper band edge, and
 * tabulated at TABLE_STEPS points per lobe so that arbitrary fractional positions (44.1 kHz ↔
 * 16 kHz has no small period) cost one table lookup with linear interpolation per tap.
 */

const ZERO_CROSSINGS = 7;
const TABLE_STEPS = 1024;
const CUTOFF = 0.95; // fraction of the lower Nyquist frequency

/** Kernel h(u) for u in zero-crossing units, 0 ≤ u ≤ ZERO_CROSSINGS (symmetric). */
const KERNEL = (() => {
  const n = ZERO_CROSSINGS * TABLE_STEPS + 2;
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = i / TABLE_STEPS;
    if (u >= ZERO_CROSSINGS) {
      t[i] = 0;
      continue;
    }
    const sinc = u === 0 ? 1 : Math.sin(Math.PI * u) / (Math.PI * u);
    // Blackman window over [-ZERO_CROSSINGS, ZERO_CROSSINGS].
    const x = (u / ZERO_CROSSINGS + 1) / 2;
    const w = 0.42 - 0.5 * Math.cos(2 * Math.PI * x) + 0.08 * Math.cos(4 * Math.PI * x);
    t[i] = sinc * w;
  }
  return t;
})();

/**
 * Resample `input` from `fromRate` to `toRate` (Hz). The output has
 * `round(input.length * toRate / fromRate)` samples; sample n of the output sits at input time
 * n × fromRate / toRate, so the two signals stay aligned sample-for-time.
 *
 * @example
 * ```ts
 * const at16k = resampleAudio(samples48k, 48000, 16000);
 * ```
 */
export function resampleAudio(input: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (!(fromRate > 0) || !(toRate > 0)) throw new RangeError('Expected positive sample rates');
  if (fromRate === toRate) return input.slice();
  const outLen = Math.round((input.length * toRate) / fromRate);
  // Cut-off in cycles per input sample; the kernel's zero crossings are 1/(2·fc) input samples apart.
  const fc = (0.5 * CUTOFF * Math.min(fromRate, toRate)) / fromRate;
  const scale = 2 * fc; // lobes per input sample
  const half = ZERO_CROSSINGS / scale; // kernel half-width in input samples
  if (Number.isInteger(fromRate) && Number.isInteger(toRate)) {
    const g = gcd(fromRate, toRate);
    const P = fromRate / g;
    const Q = toRate / g;
    if (Q <= MAX_PHASES) return polyphase(input, outLen, P, Q, scale, half);
  }
  return tabulated(input, outLen, fromRate / toRate, scale, half);
}

const MAX_PHASES = 4096;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Rational ratio P/Q (input samples per output sample): output o sits at input o·P/Q, whose
 * fractional part takes only Q values, so every phase gets its own precomputed taps and the inner
 * loop is a plain dot product (5–6× faster than interpolating the kernel table per tap).
 */
function polyphase(
  input: Float32Array,
  outLen: number,
  P: number,
  Q: number,
  scale: number,
  half: number,
): Float32Array {
  const H = Math.ceil(half);
  const width = 2 * H;
  const taps = new Float64Array(Q * width);
  for (let r = 0; r < Q; r++) {
    const frac = r / Q;
    for (let k = 0; k < width; k++) {
      const d = Math.abs(k - H + 1 - frac) * scale; // zero-crossing units
      taps[r * width + k] = kernelAt(d) * scale;
    }
  }
  const out = new Float32Array(outLen);
  const n = input.length;
  for (let o = 0; o < outLen; o++) {
    const num = o * P;
    const base = Math.floor(num / Q);
    const r = num - base * Q;
    const first = base - H + 1;
    const t0 = r * width;
    let acc = 0;
    if (first >= 0 && first + width <= n) {
      // Four independent accumulators: the additions pipeline instead of waiting on each other.
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let k = 0;
      for (; k + 3 < width; k += 4) {
        acc += input[first + k]! * taps[t0 + k]!;
        a1 += input[first + k + 1]! * taps[t0 + k + 1]!;
        a2 += input[first + k + 2]! * taps[t0 + k + 2]!;
        a3 += input[first + k + 3]! * taps[t0 + k + 3]!;
      }
      for (; k < width; k++) acc += input[first + k]! * taps[t0 + k]!;
      acc += a1 + a2 + a3;
    } else {
      for (let k = 0; k < width; k++) {
        const i = first + k;
        if (i >= 0 && i < n) acc += input[i]! * taps[t0 + k]!;
      }
    }
    out[o] = acc;
  }
  return out;
}

function kernelAt(u: number): number {
  if (u >= ZERO_CROSSINGS) return 0;
  const x = u * TABLE_STEPS;
  const k = Math.floor(x);
  return KERNEL[k]! + (x - k) * (KERNEL[k + 1]! - KERNEL[k]!);
}

function tabulated(
  input: Float32Array,
  outLen: number,
  step: number,
  scale: number,
  half: number,
): Float32Array {
  const out = new Float32Array(outLen);
  const gain = scale; // unity DC gain
  const n = input.length;
  for (let o = 0; o < outLen; o++) {
    const pos = o * step;
    const lo = Math.max(0, Math.ceil(pos - half));
    const hi = Math.min(n - 1, Math.floor(pos + half));
    let acc = 0;
    for (let i = lo; i <= hi; i++) {
      const u = Math.abs(i - pos) * scale * TABLE_STEPS;
      const k = u | 0;
      const f = u - k;
      const h = KERNEL[k]! + f * (KERNEL[k + 1]! - KERNEL[k]!);
      acc += input[i]! * h;
    }
    out[o] = acc * gain;
  }
  return out;
}
