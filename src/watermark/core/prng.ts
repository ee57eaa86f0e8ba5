/**
 * Deterministic pseudo-random streams derived from a key seed. Every pattern of the mark (pilot
 * signs, cell permutation, chip signs, payload scrambling) comes from here, so a different key gives
 * an unrelated pattern. The seed itself is produced by the adapter (SHA-256 of the key); this file
 * only has to spread it, not to be a cryptographic PRF.
 */

/** 32-bit finaliser (MurmurHash3 fmix32): full avalanche, cheap. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return fmix32(h >>> 0);
}

/** xoshiro128** generator (Blackman & Vigna 2018): 128-bit state, period 2^128 - 1. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** A stream for `label` under `seed` (any length; usually 32 bytes). */
  constructor(seed: Uint8Array, label: string) {
    const words = [0x9e3779b9, 0x243f6a88, 0x85a308d3, 0x13198a2e];
    for (let i = 0; i < seed.length; i++) {
      const w = i & 3;
      words[w] = fmix32((words[w]! ^ (seed[i]! << ((i >> 2) & 24))) + i);
    }
    const l = hashLabel(label);
    this.s0 = fmix32(words[0]! ^ l) | 1;
    this.s1 = fmix32(words[1]! ^ Math.imul(l, 3));
    this.s2 = fmix32(words[2]! ^ Math.imul(l, 5));
    this.s3 = fmix32(words[3]! ^ Math.imul(l, 7));
    for (let i = 0; i < 16; i++) this.nextU32();
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor((this.nextU32() / 4294967296) * n);
  }

  /** +1 or -1 with equal probability. */
  nextSign(): 1 | -1 {
    return this.nextU32() & 0x80000000 ? 1 : -1;
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
