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
 * All enrolled descriptors in one block, with the person each belongs to. Lookup is exact: every
 * descriptor is compared (10,000 people × a few descriptors is a few million multiply-adds per face).
 */
export class DescriptorIndex {
  readonly #data: Float32Array;
  readonly #owners: readonly string[];

  constructor(entries: ReadonlyArray<{ readonly person: string; readonly descriptor: Float32Array }>) {
    this.#data = new Float32Array(entries.length * DESCRIPTOR_LENGTH);
    const owners: string[] = [];
    entries.forEach((e, i) => {
      checkDescriptor(e.descriptor, `descriptor #${i}`);
      this.#data.set(e.descriptor, i * DESCRIPTOR_LENGTH);
      owners.push(e.person);
    });
    this.#owners = owners;
  }

  /** Number of descriptors held. */
  get size(): number {
    return this.#owners.length;
  }

  /**
   * The people whose nearest descriptor lies within `maxDistance` of `query`, nearest first (one
   * entry per person).
   */
  search(query: Float32Array, maxDistance = MATCH_DISTANCE): PersonMatch[] {
    checkDescriptor(query, 'query');
    const data = this.#data;
    const limit = maxDistance * maxDistance;
    const best = new Map<string, number>();
    for (let i = 0, off = 0; i < this.#owners.length; i++, off += DESCRIPTOR_LENGTH) {
      let s = 0;
      // Early exit once the partial sum passes the limit: most comparisons are with other people.
      for (let k = 0; k < DESCRIPTOR_LENGTH && s <= limit; k += 4) {
        const d0 = (query[k] as number) - (data[off + k] as number);
        const d1 = (query[k + 1] as number) - (data[off + k + 1] as number);
        const d2 = (query[k + 2] as number) - (data[off + k + 2] as number);
        const d3 = (query[k + 3] as number) - (data[off + k + 3] as number);
        s += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3;
      }
      if (s > limit) continue;
      const person = this.#owners[i] as string;
      const prev = best.get(person);
      if (prev === undefined || s < prev) best.set(person, s);
    }
    return [...best]
      .map(([person, s]) => ({ person, distance: Math.sqrt(s) }))
      .sort((a, b) => a.distance - b.distance);
  }
}
