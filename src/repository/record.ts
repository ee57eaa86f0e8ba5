/**
 * Validation and normalisation of what goes into a repository, shared by every backend and the
 * server, so that all of them accept and refuse the same inputs.
 */
import { createHash } from 'node:crypto';
import type { NewManifestRecord, SoftBinding } from './types.js';

/** Longest manifest id accepted (a C2PA label is ~90 characters; this leaves room for long generators). */
export const MAX_MANIFEST_ID_LENGTH = 512;
/** Longest algorithm identifier accepted. */
export const MAX_ALG_LENGTH = 256;
/** Longest base64 binding value accepted (fingerprints can be larger than our 8-byte id). */
export const MAX_BINDING_VALUE_LENGTH = 8192;
/** Most bindings one manifest may carry. */
export const MAX_BINDINGS = 64;

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
// C2PA 2.x §8.1 "Unique identifiers": urn:c2pa:UUID, optionally followed by `:generator` and
// `:version_reason`; C2PA 1.x used urn:uuid:UUID. Further segments are kept printable and free of
// characters that have a meaning in URLs, because the id travels in a URL path.
const MANIFEST_ID = new RegExp(`^urn:(?:c2pa|uuid):${UUID}(?::[A-Za-z0-9._~!$&'()*+,;=@%-]*)*$`);
const ALG = /^[A-Za-z0-9][A-Za-z0-9._~:/+-]*$/;
const MIME = /^[a-z]+\/[a-z0-9][a-z0-9.+-]*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** True for a well-formed C2PA manifest label (`urn:c2pa:UUID[:…]` or `urn:uuid:UUID`). */
export function isManifestId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_MANIFEST_ID_LENGTH && MANIFEST_ID.test(value);
}

/** Validate a manifest id given to an API; TypeError/RangeError naming the parameter otherwise. */
export function checkManifestId(value: unknown, name = 'manifestId'): string {
  if (typeof value !== 'string')
    throw new TypeError(`Expected a string for ${name} but received ${typeof value}`);
  if (!isManifestId(value)) {
    throw new RangeError(
      `Expected a C2PA manifest label (urn:c2pa:UUID[:…] or urn:uuid:UUID, at most ${MAX_MANIFEST_ID_LENGTH} characters) for ${name} but received ${JSON.stringify(String(value).slice(0, 80))}`,
    );
  }
  return value;
}

/** Validate a soft-binding algorithm identifier. */
export function checkAlg(value: unknown, name = 'alg'): string {
  if (typeof value !== 'string')
    throw new TypeError(`Expected a string for ${name} but received ${typeof value}`);
  if (value.length === 0 || value.length > MAX_ALG_LENGTH || !ALG.test(value)) {
    throw new RangeError(
      `Expected an algorithm identifier such as "org.provmark.watermark.1" (1-${MAX_ALG_LENGTH} characters) for ${name} but received ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
  return value;
}

/**
 * Normalise a base64 binding value to standard base64 with padding. Accepts the URL-safe alphabet
 * and missing padding, and a `+` that a URL query turned into a space, because all of these reach
 * resolvers in practice and would otherwise miss a stored binding.
 */
export function normalizeBindingValue(value: unknown, name = 'value'): string {
  if (typeof value !== 'string')
    throw new TypeError(`Expected a base64 string for ${name} but received ${typeof value}`);
  let v = value.trim().replace(/ /g, '+').replace(/-/g, '+').replace(/_/g, '/');
  if (v.length % 4 !== 0 && !v.endsWith('=')) v += '='.repeat((4 - (v.length % 4)) % 4);
  if (v.length === 0 || v.length > MAX_BINDING_VALUE_LENGTH || !BASE64.test(v)) {
    throw new RangeError(
      `Expected a non-empty base64 string of at most ${MAX_BINDING_VALUE_LENGTH} characters for ${name} but received ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
  // Unused low bits in the last character make several spellings of one byte string; keep one.
  const canonical = Buffer.from(v, 'base64').toString('base64');
  if (canonical !== v) {
    throw new RangeError(
      `Expected canonical base64 for ${name} (non-zero padding bits in ${JSON.stringify(value.slice(0, 80))})`,
    );
  }
  return v;
}

/** Validate one binding and normalise its value. */
export function normalizeBinding(binding: unknown, name = 'binding'): SoftBinding {
  if (typeof binding !== 'object' || binding === null) {
    throw new TypeError(`Expected an object { alg, value } for ${name}`);
  }
  const b = binding as { alg?: unknown; value?: unknown };
  return { alg: checkAlg(b.alg, `${name}.alg`), value: normalizeBindingValue(b.value, `${name}.value`) };
}

/** Validate and deduplicate bindings; the result is sorted so that equal sets compare equal. */
export function normalizeBindings(bindings: unknown, name = 'bindings'): SoftBinding[] {
  if (!Array.isArray(bindings)) throw new TypeError(`Expected an array of { alg, value } for ${name}`);
  if (bindings.length > MAX_BINDINGS) {
    throw new RangeError(
      `Expected at most ${MAX_BINDINGS} entries in ${name} but received ${bindings.length}`,
    );
  }
  const seen = new Map<string, SoftBinding>();
  bindings.forEach((b, i) => {
    const n = normalizeBinding(b, `${name}[${i}]`);
    seen.set(`${n.alg}\n${n.value}`, n);
  });
  return [...seen.values()].sort(compareBindings);
}

export function compareBindings(a: SoftBinding, b: SoftBinding): number {
  return a.alg < b.alg ? -1 : a.alg > b.alg ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** A record after validation, with the digest used to recognise an idempotent retry. */
export interface NormalizedRecord {
  readonly manifestId: string;
  readonly manifestStore: Uint8Array;
  readonly bindings: SoftBinding[];
  readonly format: string | undefined;
  /** Hex SHA-256 of the manifest store. */
  readonly storeSha256: string;
}

/** Validate a record given to `put`; misuse throws TypeError/RangeError naming the field. */
export function normalizeRecord(record: NewManifestRecord, name = 'record'): NormalizedRecord {
  if (typeof record !== 'object' || record === null) throw new TypeError(`Expected an object for ${name}`);
  const manifestId = checkManifestId(record.manifestId, `${name}.manifestId`);
  const store = record.manifestStore;
  if (!(store instanceof Uint8Array)) throw new TypeError(`Expected Uint8Array for ${name}.manifestStore`);
  if (store.length === 0)
    throw new RangeError(`Expected a non-empty manifest store for ${name}.manifestStore`);
  const bindings = normalizeBindings(record.bindings, `${name}.bindings`);
  let format: string | undefined;
  if (record.format !== undefined && record.format !== null) {
    if (typeof record.format !== 'string' || !MIME.test(record.format) || record.format.length > 127) {
      throw new RangeError(
        `Expected a MIME type such as "image/jpeg" for ${name}.format but received ${JSON.stringify(record.format)}`,
      );
    }
    format = record.format;
  }
  return { manifestId, manifestStore: store, bindings, format, storeSha256: sha256Hex(store) };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** True when a stored row holds the same content as an incoming record (an idempotent retry). */
export function sameContent(
  stored: { storeSha256: string; format: string | undefined; bindings: readonly SoftBinding[] },
  incoming: NormalizedRecord,
): boolean {
  if (stored.storeSha256 !== incoming.storeSha256 || stored.format !== incoming.format) return false;
  const a = [...stored.bindings].sort(compareBindings);
  const b = incoming.bindings;
  return a.length === b.length && a.every((x, i) => x.alg === b[i]?.alg && x.value === b[i]?.value);
}

/** Validate `maxResults` (1–1000, default 10 as in the resolution API). */
export function checkMaxResults(value: unknown, name = 'maxResults'): number {
  if (value === undefined) return 10;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1000) {
    throw new RangeError(`Expected integer between 1 and 1000 for ${name} but received ${String(value)}`);
  }
  return value;
}

/** Validate a list page size (1–1000, default 100). */
export function checkLimit(value: unknown, name = 'limit'): number {
  if (value === undefined) return 100;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1000) {
    throw new RangeError(`Expected integer between 1 and 1000 for ${name} but received ${String(value)}`);
  }
  return value;
}

/** Parse a list cursor (the sequence number of the last item of the previous page). */
export function parseCursor(value: unknown, name = 'cursor'): number {
  if (value === undefined) return 0;
  if (typeof value !== 'string' || !/^(?:0|[1-9][0-9]{0,15})$/.test(value)) {
    throw new RangeError(
      `Expected the "next" string of a previous page for ${name} but received ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

/** View a Node Buffer (or any Uint8Array subclass) as a plain Uint8Array without copying. */
export function asUint8Array(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
