import { randomBytes, randomUUID } from 'node:crypto';
import type { NewManifestRecord } from '../../src/repository/types.js';
import { SOFT_BINDING_ALG, newSoftBindingId, softBindingValue } from '../../src/watermark/softbinding.js';

/** A record with a fresh label, random opaque store bytes and one fresh watermark binding. */
export function makeRecord(overrides: Partial<NewManifestRecord> = {}): NewManifestRecord {
  return {
    manifestId: `urn:c2pa:${randomUUID()}`,
    manifestStore: new Uint8Array(randomBytes(64 + Math.floor(Math.random() * 400))),
    bindings: [{ alg: SOFT_BINDING_ALG, value: softBindingValue(newSoftBindingId()) }],
    format: 'image/jpeg',
    ...overrides,
  };
}
