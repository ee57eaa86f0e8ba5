/**
 * The `c2pa.soft-binding` assertion for provmark's watermark, and the 64-bit soft-binding id.
 * One place for the algorithm identifier (C2PA 2.x §"Soft Binding"; the Soft Binding Resolution
 * API passes `alg` plus the base64-encoded binding value).
 */
// No Node imports: the browser verify page (src/page/) bundles this module as it is.
import { LEGACY_WATERMARK_ALG } from './schemes/legacy.js';

/**
 * The identifier releases before the scheme registry wrote for every medium; still read (it names
 * the version-1 scheme of the file's medium), no longer written: each scheme has its own
 * (`org.provmark.watermark.image.1`, `…video.1`, `…audio.2`, detect-only `…audio.1`; see `watermarkSchemes()`).
 *
 * @deprecated Use a scheme's `id` (`watermarkScheme`, `watermarkSchemes`).
 */
export const SOFT_BINDING_ALG = LEGACY_WATERMARK_ALG;

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
  return hexOf(globalThis.crypto.getRandomValues(new Uint8Array(8)));
}

function hexOf(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** The id as the base64 binding value used in the assertion and the resolution API. */
export function softBindingValue(id: SoftBindingId): string {
  const hex = parseSoftBindingId(id, 'id');
  let binary = '';
  for (let i = 0; i < 16; i += 2) binary += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return btoa(binary);
}

/** Inverse of {@link softBindingValue}; undefined when the value is not an 8-byte base64 string. */
export function softBindingIdFromValue(value: string): SoftBindingId | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]{11}=$/.test(value)) return undefined;
  // 11 base64 digits and one '=' always decode to 8 bytes; the last digit's low 2 bits are padding.
  const binary = atob(value);
  return hexOf(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

export interface SoftBindingAssertion {
  readonly alg: string;
  readonly blocks: ReadonlyArray<{ readonly scope: Record<string, never>; readonly value: string }>;
}

/**
 * The assertion data for a whole-asset soft binding with this id, written by `scheme` (its
 * identifier and value encoding; default: the legacy identifier and base64 value).
 */
export function softBindingAssertion(
  id: SoftBindingId,
  scheme?: {
    readonly id: string;
    readonly binding: { encode(id: SoftBindingId): string };
  },
): SoftBindingAssertion {
  const value = scheme ? scheme.binding.encode(parseSoftBindingId(id, 'id')) : softBindingValue(id);
  return { alg: scheme?.id ?? SOFT_BINDING_ALG, blocks: [{ scope: {}, value }] };
}
