/** Small separable filters on Float32 planes (row-major, width × height). */

/** Box filter of radius r (window 2r+1) along rows then columns; edges use the clamped window. */
export function boxBlur(
  src: Float32Array,
  w: number,
  h: number,
  r: number,
  out?: Float32Array,
): Float32Array {
  const tmp = new Float32Array(w * h);
  const dst = out ?? new Float32Array(w * h);
  // Rows: a running sum over the window clipped to the row. The middle stretch, where the window
  // is whole, runs without edge tests (this filter is the embedder's main cost).
  const inner = 1 / (2 * r + 1);
  const midEnd = w - r - 1; // x < midEnd: x + r + 1 is still inside the row
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let acc = 0;
    let n = 0;
    for (let x = 0; x <= Math.min(r, w - 1); x++) {
      acc += src[row + x]!;
      n++;
    }
    // Edge steps (window clipped, count varies) before r and from midEnd on; whole windows between.
    const fastFrom = midEnd > r ? r : w;
    let x = 0;
    for (; x < fastFrom; x++) {
      tmp[row + x] = acc / n;
      if (x + r + 1 < w) {
        acc += src[row + x + r + 1]!;
        n++;
      }
      if (x - r >= 0) {
        acc -= src[row + x - r]!;
        n--;
      }
    }
    for (; x < midEnd; x++) {
      tmp[row + x] = acc * inner;
      acc += src[row + x + r + 1]! - src[row + x - r]!;
    }
    for (; x < w; x++) {
      tmp[row + x] = acc / n;
      if (x - r >= 0) {
        acc -= src[row + x - r]!;
        n--;
      }
    }
  }
  const colAcc = new Float64Array(w);
  const counts = new Int32Array(1);
  for (let y = 0; y <= Math.min(r, h - 1); y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) colAcc[x]! += tmp[row + x]!;
    counts[0]!++;
  }
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const inv = 1 / counts[0]!;
    for (let x = 0; x < w; x++) dst[row + x] = colAcc[x]! * inv;
    const add = y + r + 1;
    const sub = y - r;
    if (add < h) {
      const ra = add * w;
      for (let x = 0; x < w; x++) colAcc[x]! += tmp[ra + x]!;
      counts[0]!++;
    }
    if (sub >= 0) {
      const rs = sub * w;
      for (let x = 0; x < w; x++) colAcc[x]! -= tmp[rs + x]!;
      counts[0]!--;
    }
  }
  return dst;
}

/** Average-pool by an integer factor k (partial edge blocks average what they have); k = 1 returns `src` itself. */
export function downsampleBox(
  src: Float32Array,
  w: number,
  h: number,
  k: number,
): { data: Float32Array; w: number; h: number } {
  if (k === 1) return { data: src, w, h };
  const ow = Math.ceil(w / k);
  const oh = Math.ceil(h / k);
  const acc = new Float32Array(ow * oh);
  const cnt = new Float32Array(ow * oh);
  const colBlock = new Int32Array(w);
  for (let x = 0; x < w; x++) colBlock[x] = Math.floor(x / k);
  for (let y = 0; y < h; y++) {
    const orow = Math.floor(y / k) * ow;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const o = orow + colBlock[x]!;
      acc[o]! += src[row + x]!;
      cnt[o]!++;
    }
  }
  for (let i = 0; i < acc.length; i++) acc[i]! /= cnt[i]!;
  return { data: acc, w: ow, h: oh };
}
