/**
 * The validation state of a manifest store: the engine's, and the one narrow adjustment provmark makes for a
 * store read without its asset (a sidecar, a manifest recovered through the watermark). Pure — no Node modules —
 * so `verify()`, `inspect()` and the verify page running in a browser share one rule.
 */
import type { EngineStore } from '../c2pa/read.js';
import { statusesOf, summariseManifest } from './summary.js';
import type { ManifestReport, ManifestContentSummary, ValidationStatus } from './types.js';

/**
 * The engine's verdict over the whole store (active manifest and every ingredient), C2PA 2.x §15.
 * It is never re-derived from the status codes: the engine weighs codes (CAWG identity results,
 * ingredient deltas) that a code list alone cannot. A store without one (no engine build seen
 * so far omits it) is treated as invalid.
 */
export function engineState(store: EngineStore): ManifestReport['state'] {
  switch (store.validation_state) {
    case 'Trusted':
      return 'trusted';
    case 'Valid':
      return 'valid';
    default:
      return 'invalid';
  }
}

/**
 * The engine's state of a store read on its own (a sidecar, a recovered manifest), once provmark
 * sets aside failures that come only from the asset not being beside the store (`setAside`: the
 * hard-binding mismatch that provmark checks itself, or expects for a derivative). Only an
 * `Invalid` store whose every other failure is `signingCredential.untrusted` moves up, to
 * `trusted` when the engine also reported `signingCredential.trusted`, else `valid`; any other
 * failure keeps the engine's `invalid`. Never raises a `Valid` store to `trusted`.
 */
export function stateSettingAside(
  store: EngineStore,
  statuses: readonly ValidationStatus[],
  setAside: (status: ValidationStatus) => boolean,
): ManifestReport['state'] {
  const state = engineState(store);
  if (state !== 'invalid') return state;
  const rest = statuses.filter((st) => st.kind === 'failure' && !setAside(st));
  if (rest.some((st) => st.code !== 'signingCredential.untrusted')) return 'invalid';
  if (
    (store.validation_results?.ingredientDeltas ?? []).some((d) =>
      (d.validationDeltas?.failure ?? []).some((f) => f.code !== 'signingCredential.untrusted'),
    )
  )
    return 'invalid';
  if (!statuses.some((st) => st.kind === 'failure' && setAside(st))) return 'invalid';
  return statuses.some((st) => st.code === 'signingCredential.trusted') ? 'trusted' : 'valid';
}

/** Hard-binding failures that are expected for a derivative of a signed asset. */
export const HARD_BINDING_MISMATCH: ReadonlySet<string> = new Set([
  'assertion.dataHash.mismatch',
  'assertion.bmffHash.mismatch',
  'assertion.boxesHash.mismatch',
  'assertion.collectionHash.mismatch',
]);

export interface RecoveredValidation {
  readonly state: ManifestReport['state'];
  /** The active manifest's statuses without the expected hard-binding mismatch (plus a soft-binding mismatch). */
  readonly statuses: readonly ValidationStatus[];
  readonly activeManifest: ManifestContentSummary | undefined;
}

/**
 * A store recovered through the watermark id `id`: the file is a derivative, so its hard-binding mismatch is
 * expected and set aside; everything else must hold, and the manifest must itself declare `id` (otherwise the
 * repository answered wrongly: `provmark.softBinding.mismatch`, invalid).
 */
export function validateRecovered(store: EngineStore, crJson: unknown, id: string): RecoveredValidation {
  const all = statusesOf(store.validation_results?.activeManifest, store.validation_status);
  const hardBinding = (s: ValidationStatus) => s.kind === 'failure' && HARD_BINDING_MISMATCH.has(s.code);
  const kept = all.filter((s) => !hardBinding(s));
  const activeManifest = summariseManifest(store, crJson, all);
  const declares = activeManifest?.softBindings.some((b) => b.softBindingId === id) ?? false;
  if (declares) return { state: stateSettingAside(store, all, hardBinding), statuses: kept, activeManifest };
  const mismatch: ValidationStatus = {
    code: 'provmark.softBinding.mismatch',
    explanation: `the recovered manifest does not declare soft-binding id ${id}`,
    kind: 'failure',
  };
  return { state: 'invalid', statuses: [mismatch, ...kept], activeManifest };
}
