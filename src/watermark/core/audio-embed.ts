/**
 * The streaming audio embedder: native-rate samples in, marked samples out, the mark placed two
 * blocks at a time on the 16 kHz working signal (see audio.ts for the design).
 */
import { Resampler } from './audio-resample.js';
import {
  AUDIO_WORK_RATE,
  BANDS,
  BAND_BINS,
  BIN_LO,
  CELL_FRAMES,
  COLS,
  FRAME,
  HOP,
  LEAK_ALLOWANCE,
  SNR_FLOOR_DB,
  AUDIO_SCHEME_V2,
  type AudioScheme,
} from './audio-params.js';
import { coded, layoutFor, type Layout } from './audio-layout.js';
import { informedMark, limitColumns, nominalAmplitudes } from './audio-placement.js';
import { bandPower, stft, synthesise, type Spectra } from './audio-stft.js';

/** Per-channel mark parameters. */
export interface AudioEmbedParams {
  readonly seed: Uint8Array;
  /** 8 payload bytes. */
  readonly payload: Uint8Array;
  /** Amplitude multiplier (1 = nominal). */
  readonly strength: number;
  /** Version of the mark (default audio.2; audio.1 is kept to test that its marks still read). */
  readonly scheme?: AudioScheme;
}

export interface AudioEmbedResult {
  /** Marked channels at the input rate (new arrays). */
  readonly channels: Float32Array[];
  /** Mark-to-program ratio actually added, in dB (all channels together); Infinity when silent. */
  readonly snrDb: number;
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
    this.layout = layoutFor(params.seed, params.scheme ?? AUDIO_SCHEME_V2);
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
    const amp = nominalAmplitudes(pc, frameProg, frames, cols, this.params.strength, this.layout.scheme);
    const sign = new Int8Array(cols * BANDS);
    for (let j = 0; j < cols; j++) {
      const col = (j0 + j) % this.layout.cols;
      for (let b = 0; b < BANDS; b++) {
        // Data cells carry only their chip: the bit is in the quantised statistic (informedMark).
        sign[j * BANDS + b] = this.layout.chip[b * this.layout.cols + col]!;
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
    const m = informedMark(x, mono, p, frames, cols, amp, sign, this.layout, j0, this.bitSign, limit);
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
