/**
 * The `c2pa.soft-binding` assertion for provmark's watermark, and the 64-bit soft-binding id.
 * One place for the algorithm identifier (C2PA 2.x §"Soft Binding"; the Soft Binding Resolution
 * API passes `alg` plus the base64-encoded binding value).
 */
import { randomBytes } from 'node:crypto';

/** Algorithm identifier written in `c2pa.soft-binding.alg` and answered by `/services/supportedAlgorithms`. */
export const SOFT_BINDING_ALG = 'org.provmark.watermark.1';

/** Label of the soft-binding assertion (C2PA 2.x). */
export const SOFT_BINDING_LABEL = 'c2pa.soft-binding';

/** A 64-bit soft-binding id as 16 lowercase hex digits, e.g. `"0123456789abcdef"`. */
export type SoftBindingId = string;

const HEX16 = /^[0-9a-f]{16}$/;

/** True for a well-formed id (16 lowercase hex digits). */
export function isSoftBindingId(value: unknown): value is SoftBindingId {
  return typeof value === 'string' && HEX16.test(value);
}

/** Normalise and validate an id given by a user (accepts upper case); throws RangeError otherwise. */
export function parseSoftBindingId(value: string, name = 'payload'): SoftBindingId {
  if (typeof value !== 'string') throw new TypeError(`Expected a string of 16 hex digits for ${name}`);
  const v = value.trim().toLowerCase();
  if (!HEX16.test(v)) {
    throw new RangeError(
      `Expected 16 hex digits (64 bits) for ${name} but received ${JSON.stringify(value)}`,
    );
  }
  return v;
}

/** A fresh random id (crypto-strength). */
export function newSoftBindingId(): SoftBindingId {
  return randomBytes(8).toString('hex');
}

/** The id as the base64 binding value used in the assertion and the resolution API. */
export function softBindingValue(id: SoftBindingId): string {
  return Buffer.from(parseSoftBindingId(id, 'id'), 'hex').toString('base64');
}

/** Inverse of {@link softBindingValue}; undefined when the value is not an 8-byte base64 string. */
export function softBindingIdFromValue(value: string): SoftBindingId | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]{11}=$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === 8 ? bytes.toString('hex') : undefined;
}

export interface SoftBindingAssertion {
  readonly alg: string;
  readonly blocks: ReadonlyArray<{ readonly scope: Record<string, never>; readonly value: string }>;
}

/** The assertion data for a whole-asset soft binding with this id. */
export function softBindingAssertion(id: SoftBindingId): SoftBindingAssertion {
  return { alg: SOFT_BINDING_ALG, blocks: [{ scope: {}, value: softBindingValue(id) }] };
}
