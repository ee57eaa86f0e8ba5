import { randomUUID } from 'node:crypto';
import type { NewManifestRecord } from '../../src/repository/types.js';
import { sign } from '../../src/sign/index.js';
import { SOFT_BINDING_ALG, newSoftBindingId, softBindingValue } from '../../src/watermark/softbinding.js';
import { devSigner } from '../helpers/credentials.js';
import { makeImage } from '../helpers/media.js';

let seed = 1;

/**
 * A record whose store is a real signed manifest store (what `POST /manifests` accepts): a small
 * JPEG signed with the development signer, under `manifestId` when given.
 */
export async function signedRecord(manifestId?: string): Promise<NewManifestRecord> {
  const { signer } = await devSigner();
  const signed = await sign(await makeImage('jpeg', 64, 48, seed++), {
    signer,
    manifestLabel: manifestId ?? `urn:c2pa:${randomUUID()}`,
  });
  return {
    manifestId: signed.manifestId,
    manifestStore: signed.manifestStore,
    bindings: [{ alg: SOFT_BINDING_ALG, value: softBindingValue(newSoftBindingId()) }],
    format: 'image/jpeg',
  };
}
