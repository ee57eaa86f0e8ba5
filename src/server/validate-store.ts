/**
 * What `POST /manifests` accepts: bytes the C2PA engine reads as a manifest store, whose active
 * manifest is the `manifestId` it is registered under, and whose claim and signature validate.
 * A store registered without its asset cannot match the asset's hard binding, and the server has
 * no trust configuration, so those two outcomes are expected and not held against it.
 */
import { FORMATS } from '../media/sniff.js';

/** Failures a correct store read without its asset and without trust anchors still shows. */
const EXPECTED_WITHOUT_ASSET = new Set([
  'assertion.dataHash.mismatch',
  'assertion.bmffHash.mismatch',
  'assertion.boxesHash.mismatch',
  'assertion.collectionHash.mismatch',
  'signingCredential.untrusted',
  'timeStamp.untrusted',
]);

export type StoreCheck = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Validate `store` with the engine for registration under `manifestId`. Outcomes are data. */
export async function checkManifestStore(store: Uint8Array, manifestId: string): Promise<StoreCheck> {
  const [{ readManifestStore }, { engineContextJson }] = await Promise.all([
    import('../c2pa/read.js'),
    import('../c2pa/context.js'),
  ]);
  const read = await readManifestStore(store, FORMATS.c2pa.mime, engineContextJson());
  if (read.kind === 'absent' || read.kind === 'remote')
    return { ok: false, message: 'manifestStore holds no C2PA manifest store' };
  if (read.kind === 'failed') {
    return {
      ok: false,
      message: `manifestStore is not a C2PA manifest store the engine can read (${read.failure.kind})`,
    };
  }
  const active = read.store.active_manifest;
  if (active !== manifestId) {
    return {
      ok: false,
      message: `manifestId ${JSON.stringify(manifestId)} is not the store's active manifest (${JSON.stringify(active ?? null)})`,
    };
  }
  const results = read.store.validation_results?.activeManifest;
  const failures = (results ? (results.failure ?? []) : (read.store.validation_status ?? []))
    .map((s) => s.code)
    .filter((code) => !EXPECTED_WITHOUT_ASSET.has(code));
  if (failures.length > 0) {
    return {
      ok: false,
      message: `manifestStore does not validate: ${[...new Set(failures)].join(', ')}`,
    };
  }
  return { ok: true };
}
