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
  const r = new Resampler(fromRate, toRate);
  const out = new Float32Array(r.outputLength(input.length));
  r.process(input, 0, input.length, 0, out.length, out, 0);
  return out;
}

const MAX_PHASES = 4096;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * A rate converter that can produce any range of output samples from a window of its input, so a
 * long program can be converted piece by piece as it streams in (the audio embedder overlaps its
 * work with ffmpeg's decoding and encoding this way). Every output sample is a pure function of
 * the input around it: converting in pieces gives exactly what one whole call gives.
 */
export class Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Rational ratio P/Q (input samples per output sample) when the polyphase path applies. */
  private readonly P: number = 0;
  private readonly Q: number = 0;
  /** Polyphase taps [Q × width] and half-width H (taps span input base − H + 1 … base + H). */
  private readonly taps: Float64Array | undefined;
  /** Integer decimation with a symmetric kernel (see polyphase). */
  private readonly symmetric: boolean = false;
  /** For ×3 upsampling: the three phases' taps interleaved per input sample. */
  private readonly tapsByK: Float64Array | undefined;
  private readonly H: number;
  private readonly scale: number;
  private readonly half: number;

  constructor(fromRate: number, toRate: number) {
    if (!(fromRate > 0) || !(toRate > 0)) throw new RangeError('Expected positive sample rates');
    this.fromRate = fromRate;
    this.toRate = toRate;
    // Cut-off in cycles per input sample; the kernel's zero crossings are 1/(2·fc) input samples apart.
    const fc = (0.5 * CUTOFF * Math.min(fromRate, toRate)) / fromRate;
    this.scale = 2 * fc; // lobes per input sample
    this.half = ZERO_CROSSINGS / this.scale; // kernel half-width in input samples
    this.H = Math.ceil(this.half);
    this.taps = undefined;
    if (Number.isInteger(fromRate) && Number.isInteger(toRate)) {
      const g = gcd(fromRate, toRate);
      if (toRate / g <= MAX_PHASES) {
        this.P = fromRate / g;
        this.Q = toRate / g;
        this.taps = polyphaseTaps(this.Q, this.H, this.scale);
        if (this.Q === 1) {
          // One phase: taps[k] = taps[2H − 2 − k] and the last tap is zero (checked, not assumed).
          const t = this.taps;
          let sym = t[2 * this.H - 1] === 0;
          for (let k = 0; k < this.H - 1 && sym; k++) sym = Math.abs(t[k]! - t[2 * this.H - 2 - k]!) < 1e-15;
          this.symmetric = sym;
        }
        if (this.P === 1 && this.Q === 3) {
          const width = 2 * this.H;
          const t = new Float64Array(width * 3);
          for (let q = 0; q < 3; q++)
            for (let k = 0; k < width; k++) t[k * 3 + q] = this.taps[q * width + k]!;
          this.tapsByK = t;
        }
      }
    }
  }

  /** Output samples for `n` input samples. */
  outputLength(n: number): number {
    return Math.round((n * this.toRate) / this.fromRate);
  }

  /** Input samples [0, result) that output sample `o` depends on (exclusive end). */
  inputEnd(o: number): number {
    if (this.taps) return Math.floor((o * this.P) / this.Q) + this.H + 1;
    return Math.floor((o * this.fromRate) / this.toRate + this.half) + 1;
  }

  /** How many leading output samples depend only on input samples before `n`. */
  outputsReady(n: number): number {
    let o = Math.max(0, Math.floor(((n - this.H - 2) * this.toRate) / this.fromRate));
    while (o > 0 && this.inputEnd(o - 1) > n) o--;
    while (this.inputEnd(o) <= n) o++;
    return o;
  }

  /**
   * Output samples [o0, o1) into `out` from `outOffset`. `input[i - base]` holds input sample i
   * for base ≤ i < n; samples at or past `n` count as zero (the end of the program), samples
   * before `base` must not be needed (callers keep the window the kernel reaches).
   */
  process(
    input: Float32Array,
    base: number,
    n: number,
    o0: number,
    o1: number,
    out: Float32Array,
    outOffset: number,
  ): void {
    if (this.taps) this.polyphase(input, base, n, o0, o1, out, outOffset);
    else this.tabulated(input, base, n, o0, o1, out, outOffset);
  }

  /**
   * Rational ratio P/Q: output o sits at input o·P/Q, whose fractional part takes only Q values,
   * so every phase has its own precomputed taps and the inner loop is a plain dot product (5–6×
   * faster than interpolating the kernel table per tap).
   */
  private polyphase(
    input: Float32Array,
    inBase: number,
    n: number,
    o0: number,
    o1: number,
    out: Float32Array,
    outOffset: number,
  ): void {
    const { P, Q, H } = this;
    const taps = this.taps!;
    const width = 2 * H;
    const tq = this.tapsByK;
    const sym = this.symmetric;
    // Integer position of output o in the input: base + r/Q, advanced incrementally.
    let base = Math.floor((o0 * P) / Q);
    let r = o0 * P - base * Q;
    const step = Math.floor(P / Q);
    const rStep = P - step * Q;
    for (let o = o0; o < o1; o++, base += step, r += rStep) {
      if (r >= Q) {
        r -= Q;
        base++;
      }
      const first = base - H + 1;
      if (tq && r === 0 && o + 2 < o1 && first >= inBase && first + width <= n) {
        // Upsampling by 3 (16 → 48 kHz): the three outputs between two input samples share
        // their inputs, so each input sample is loaded once for three products.
        const i0 = first - inBase;
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        for (let k = 0, t = 0; k < width; k++, t += 3) {
          const v = input[i0 + k]!;
          a0 += v * tq[t]!;
          a1 += v * tq[t + 1]!;
          a2 += v * tq[t + 2]!;
        }
        const w = outOffset + o - o0;
        out[w] = a0;
        out[w + 1] = a1;
        out[w + 2] = a2;
        o += 2;
        r += 2 * rStep;
        continue;
      }
      const t0 = r * width;
      let acc = 0;
      if (sym && first >= inBase && first + width <= n) {
        // Integer decimation (48 → 16 kHz): the one phase's taps are symmetric about H − 1, so
        // mirrored inputs are added before the multiply: half the products.
        const i0 = first - inBase;
        const c = H - 1;
        let a1 = 0;
        acc = input[i0 + c]! * taps[c]!;
        let k = 0;
        for (; k + 1 < c; k += 2) {
          acc += (input[i0 + k]! + input[i0 + 2 * c - k]!) * taps[k]!;
          a1 += (input[i0 + k + 1]! + input[i0 + 2 * c - k - 1]!) * taps[k + 1]!;
        }
        for (; k < c; k++) acc += (input[i0 + k]! + input[i0 + 2 * c - k]!) * taps[k]!;
        acc += a1;
      } else if (first >= inBase && first + width <= n) {
        const i0 = first - inBase;
        // Four independent accumulators: the additions pipeline instead of waiting on each other.
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        let k = 0;
        for (; k + 3 < width; k += 4) {
          acc += input[i0 + k]! * taps[t0 + k]!;
          a1 += input[i0 + k + 1]! * taps[t0 + k + 1]!;
          a2 += input[i0 + k + 2]! * taps[t0 + k + 2]!;
          a3 += input[i0 + k + 3]! * taps[t0 + k + 3]!;
        }
        for (; k < width; k++) acc += input[i0 + k]! * taps[t0 + k]!;
        acc += a1 + a2 + a3;
      } else {
        for (let k = 0; k < width; k++) {
          const i = first + k;
          if (i >= 0 && i < n) acc += input[i - inBase]! * taps[t0 + k]!;
        }
      }
      out[outOffset + o - o0] = acc;
    }
  }

  private tabulated(
    input: Float32Array,
    inBase: number,
    n: number,
    o0: number,
    o1: number,
    out: Float32Array,
    outOffset: number,
  ): void {
    const step = this.fromRate / this.toRate;
    const { scale, half } = this;
    const gain = scale; // unity DC gain
    for (let o = o0; o < o1; o++) {
      const pos = o * step;
      const lo = Math.max(0, Math.ceil(pos - half));
      const hi = Math.min(n - 1, Math.floor(pos + half));
      let acc = 0;
      for (let i = lo; i <= hi; i++) {
        const u = Math.abs(i - pos) * scale * TABLE_STEPS;
        const k = u | 0;
        const f = u - k;
        const h = KERNEL[k]! + f * (KERNEL[k + 1]! - KERNEL[k]!);
        acc += input[i - inBase]! * h;
      }
      out[outOffset + o - o0] = acc * gain;
    }
  }
}

function polyphaseTaps(Q: number, H: number, scale: number): Float64Array {
  const width = 2 * H;
  const taps = new Float64Array(Q * width);
  for (let r = 0; r < Q; r++) {
    const frac = r / Q;
    for (let k = 0; k < width; k++) {
      const d = Math.abs(k - H + 1 - frac) * scale; // zero-crossing units
      taps[r * width + k] = kernelAt(d) * scale;
    }
  }
  return taps;
}

function kernelAt(u: number): number {
  if (u >= ZERO_CROSSINGS) return 0;
  const x = u * TABLE_STEPS;
  const k = Math.floor(x);
  return KERNEL[k]! + (x - k) * (KERNEL[k + 1]! - KERNEL[k]!);
}
