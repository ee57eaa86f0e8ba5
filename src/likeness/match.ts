/**
 * Matching face descriptors against the enrolled people: exact nearest-neighbour search by Euclidean
 * distance (the metric dlib's recognition network was trained for), over one contiguous Float32Array.
 * Pure code: no model, no database.
 */
import { DESCRIPTOR_LENGTH } from './faces.js';

/**
 * Largest Euclidean distance between two descriptors that counts as the same person. Chosen on data
 * for a false-match rate at or below 0.1% per comparison (see MODEL_CARD.md and `npm run bench:likeness`,
 * which re-measures it); the package's customary 0.6 is looser.
 */
export const MATCH_DISTANCE = 0.55;

/** The similarity reported for a distance: `1 - distance`, clipped to 0–1 (higher is more alike). */
export function similarityOf(distance: number): number {
  return Math.min(1, Math.max(0, 1 - distance));
}

/** {@link MATCH_DISTANCE} as a similarity: a face matches a person at or above this. */
export const MATCH_SIMILARITY = similarityOf(MATCH_DISTANCE);

/** Check one descriptor's shape: 128 finite numbers. */
export function checkDescriptor(d: unknown, name = 'descriptor'): asserts d is Float32Array {
  if (!(d instanceof Float32Array)) throw new TypeError(`Expected a Float32Array for ${name}`);
  if (d.length !== DESCRIPTOR_LENGTH) {
    throw new RangeError(`Expected ${DESCRIPTOR_LENGTH} values for ${name} but received ${d.length}`);
  }
  for (const v of d) if (!Number.isFinite(v)) throw new RangeError(`Expected finite values in ${name}`);
}

export function euclidean(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    s += d * d;
  }
  return Math.sqrt(s);
}

/** The nearest enrolled descriptor of one person for one face. */
export interface PersonMatch {
  readonly person: string;
  readonly distance: number;
}

/**
 * All enrolled descriptors in one contiguous block (row-major, one 128-value row per descriptor), with
 * the person each belongs to. Lookup is exact: every row is compared with the query, but a comparison
 * stops as soon as its partial sum of squares passes the threshold (most rows belong to other people).
 * Columns are stored in decreasing order of their variance over the enrolled rows, so the partial sums
 * grow fastest and those exits come early; a partial sum is a lower bound in any column order, so the
 * result is the same as a full comparison.
 */
export class DescriptorIndex {
  readonly #data: Float32Array;
  /** Row -> index into #people. */
  readonly #owner: Int32Array;
  readonly #people: readonly string[];
  /** Stored column -> descriptor dimension. */
  readonly #order: Int32Array;
  readonly #query = new Float32Array(DESCRIPTOR_LENGTH);
  readonly #best: Float32Array;

  constructor(entries: ReadonlyArray<{ readonly person: string; readonly descriptor: Float32Array }>) {
    const n = entries.length;
    const mean = new Float64Array(DESCRIPTOR_LENGTH);
    const sq = new Float64Array(DESCRIPTOR_LENGTH);
    entries.forEach((e, i) => {
      checkDescriptor(e.descriptor, `descriptor #${i}`);
      for (let k = 0; k < DESCRIPTOR_LENGTH; k++) {
        const v = e.descriptor[k] as number;
        mean[k] = (mean[k] as number) + v;
        sq[k] = (sq[k] as number) + v * v;
      }
    });
    const variance = (k: number): number =>
      n === 0 ? 0 : (sq[k] as number) / n - ((mean[k] as number) / n) ** 2;
    this.#order = Int32Array.from(
      Array.from({ length: DESCRIPTOR_LENGTH }, (_, k) => k).sort(
        (a, b) => variance(b) - variance(a) || a - b,
      ),
    );
    this.#data = new Float32Array(n * DESCRIPTOR_LENGTH);
    this.#owner = new Int32Array(n);
    const ids = new Map<string, number>();
    const people: string[] = [];
    entries.forEach((e, i) => {
      const off = i * DESCRIPTOR_LENGTH;
      for (let c = 0; c < DESCRIPTOR_LENGTH; c++)
        this.#data[off + c] = e.descriptor[this.#order[c] as number] as number;
      let id = ids.get(e.person);
      if (id === undefined) {
        id = people.length;
        ids.set(e.person, id);
        people.push(e.person);
      }
      this.#owner[i] = id;
    });
    this.#people = people;
    this.#best = new Float32Array(people.length);
  }

  /** Number of descriptors held. */
  get size(): number {
    return this.#owner.length;
  }

  /** Number of distinct people. */
  get persons(): number {
    return this.#people.length;
  }

  /**
   * The people whose nearest descriptor lies within `maxDistance` of `query`, nearest first (one
   * entry per person).
   */
  search(query: Float32Array, maxDistance = MATCH_DISTANCE): PersonMatch[] {
    checkDescriptor(query, 'query');
    if (typeof maxDistance !== 'number' || !(maxDistance >= 0)) {
      throw new RangeError(`Expected a non-negative number for maxDistance but received ${maxDistance}`);
    }
    const q = this.#query;
    const order = this.#order;
    for (let c = 0; c < DESCRIPTOR_LENGTH; c++) q[c] = query[order[c] as number] as number;
    const data = this.#data;
    const owner = this.#owner;
    const best = this.#best;
    best.fill(Infinity);
    const limit = maxDistance * maxDistance;
    const rows = owner.length;
    let hits = 0;
    for (let i = 0, off = 0; i < rows; i++, off += DESCRIPTOR_LENGTH) {
      let s = 0;
      // Eight columns between checks: a check per column costs more than the work it saves.
      for (let k = 0; k < DESCRIPTOR_LENGTH; k += 8) {
        const o = off + k;
        const d0 = (q[k] as number) - (data[o] as number);
        const d1 = (q[k + 1] as number) - (data[o + 1] as number);
        const d2 = (q[k + 2] as number) - (data[o + 2] as number);
        const d3 = (q[k + 3] as number) - (data[o + 3] as number);
        const d4 = (q[k + 4] as number) - (data[o + 4] as number);
        const d5 = (q[k + 5] as number) - (data[o + 5] as number);
        const d6 = (q[k + 6] as number) - (data[o + 6] as number);
        const d7 = (q[k + 7] as number) - (data[o + 7] as number);
        s += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3 + d4 * d4 + d5 * d5 + d6 * d6 + d7 * d7;
        if (s > limit) break;
      }
      if (s > limit) continue;
      const p = owner[i] as number;
      if (s < (best[p] as number)) {
        if ((best[p] as number) === Infinity) hits++;
        best[p] = s;
      }
    }
    const out: PersonMatch[] = [];
    if (hits > 0) {
      for (let p = 0; p < best.length; p++) {
        const s = best[p] as number;
        if (s !== Infinity) out.push({ person: this.#people[p] as string, distance: Math.sqrt(s) });
      }
    }
    return out.sort((a, b) => a.distance - b.distance);
  }
}
