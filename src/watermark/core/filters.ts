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
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let acc = 0;
    let n = 0;
    for (let x = 0; x <= Math.min(r, w - 1); x++) {
      acc += src[row + x]!;
      n++;
    }
    for (let x = 0; x < w; x++) {
      tmp[row + x] = acc / n;
      const add = x + r + 1;
      const sub = x - r;
      if (add < w) {
        acc += src[row + add]!;
        n++;
      }
      if (sub >= 0) {
        acc -= src[row + sub]!;
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

/** Average-pool by an integer factor k (partial edge blocks average what they have). */
export function downsampleBox(
  src: Float32Array,
  w: number,
  h: number,
  k: number,
): { data: Float32Array; w: number; h: number } {
  const ow = Math.ceil(w / k);
  const oh = Math.ceil(h / k);
  const acc = new Float32Array(ow * oh);
  const cnt = new Float32Array(ow * oh);
  for (let y = 0; y < h; y++) {
    const orow = Math.floor(y / k) * ow;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const o = orow + Math.floor(x / k);
      acc[o]! += src[row + x]!;
      cnt[o]!++;
    }
  }
  for (let i = 0; i < acc.length; i++) acc[i]! /= cnt[i]!;
  return { data: acc, w: ow, h: oh };
}
