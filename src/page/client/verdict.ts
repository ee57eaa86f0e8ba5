/**
 * The page's verdicts, computed from what the engine reports in the browser. Pure: bundled into
 * the page and unit-tested in Node.
 *
 * The words and rules are `inspect()`'s (src/flows/inspect.ts): the engine's `validation_state`
 * decides valid or not, and an invalid manifest is sorted by its failures (src/verify/failures.ts,
 * shared). The state rules (src/verify/state.ts) are the very functions `verify()` and `inspect()` use.
 */
import type { EngineStore } from '../../c2pa/read.js';
import { invalidVerdictOf } from '../../verify/failures.js';
import { engineState, validateRecovered } from '../../verify/state.js';
import { ingredientValidations, statusesOf, summariseManifest } from '../../verify/summary.js';
import type { IngredientValidation, ManifestContentSummary, ValidationStatus } from '../../verify/types.js';

export type PageVerdict =
  | 'verified'
  | 'untrusted-signer'
  | 'invalid-credential'
  | 'tampered'
  | 'invalid'
  | 'conflict'
  | 'recovered'
  | 'no-provenance';

/** What the visitor reads first: a headline and one plain sentence. */
export const VERDICT_TEXT: Readonly<Record<PageVerdict, { readonly title: string; readonly plain: string }>> =
  {
    verified: {
      title: 'Verified',
      plain: 'The Content Credentials are intact and were signed by a signer this server trusts.',
    },
    'untrusted-signer': {
      title: 'Untrusted signer',
      plain:
        'The Content Credentials are intact, but the signer is not on the trust lists, so who made the claim cannot be confirmed.',
    },
    tampered: {
      title: 'Tampered',
      plain: 'The file or its Content Credentials were changed after signing.',
    },
    'invalid-credential': {
      title: 'Invalid credential',
      plain:
        'The file is unchanged since signing, but the signing certificate is not acceptable for Content Credentials (wrong usage, expired or otherwise invalid).',
    },
    invalid: {
      title: 'Invalid',
      plain:
        'The Content Credentials are malformed or cannot be validated, though no sign of a change to the file was found.',
    },
    conflict: {
      title: 'Conflict',
      plain:
        'The Content Credentials name a different watermark than the one in the pixels: they were probably moved onto content they do not describe.',
    },
    recovered: {
      title: 'Recovered through the watermark',
      plain:
        'The file carries no Content Credentials any more, but its invisible watermark led to the original signed credentials. The file is a re-encoded or edited copy of that original.',
    },
    'no-provenance': {
      title: 'No provenance',
      plain: 'No Content Credentials and no provmark watermark were found in this file.',
    },
  };

export { engineState, stateSettingAside } from '../../verify/state.js';

export type ManifestState = 'invalid' | 'valid' | 'trusted';

export interface ValidatedStore {
  readonly state: ManifestState;
  /** The active manifest's statuses (failures first). */
  readonly statuses: readonly ValidationStatus[];
  /** The engine's re-validation of every ingredient. */
  readonly ingredients: readonly IngredientValidation[];
  readonly activeManifest: ManifestContentSummary | undefined;
  readonly manifestCount: number;
}

/** Validation of an embedded store as the engine reported it. */
export function validatedStore(store: EngineStore, crJson: unknown): ValidatedStore {
  const statuses = statusesOf(store.validation_results?.activeManifest, store.validation_status);
  return {
    state: engineState(store),
    statuses,
    ingredients: ingredientValidations(store),
    activeManifest: summariseManifest(store, crJson, statuses),
    manifestCount: Object.keys(store.manifests ?? {}).length,
  };
}

/**
 * Validation of a store recovered through the watermark: the hard-binding mismatch is expected
 * (the file is a derivative), and the manifest must declare the id that was looked up.
 */
export function recoveredStore(store: EngineStore, crJson: unknown, id: string): ValidatedStore {
  return {
    ...validateRecovered(store, crJson, id),
    ingredients: ingredientValidations(store),
    manifestCount: Object.keys(store.manifests ?? {}).length,
  };
}

/** An invalid store's verdict by its strongest failure class: integrity, credential, other. */
export function invalidVerdict(v: Pick<ValidatedStore, 'statuses' | 'ingredients'>): PageVerdict {
  return invalidVerdictOf([...v.statuses, ...v.ingredients.flatMap((i) => i.statuses)]);
}

/** The soft-binding id the manifest declares for provmark's watermark, if any. */
export function declaredSoftBinding(m: ManifestContentSummary | undefined): string | undefined {
  return m?.softBindings.find((b) => b.softBindingId !== undefined)?.softBindingId;
}

/** Verdict for a file with an embedded manifest; `watermarkId` is the id read from the pixels, if any. */
export function embeddedVerdict(v: ValidatedStore, watermarkId: string | undefined): PageVerdict {
  const declared = declaredSoftBinding(v.activeManifest);
  if (declared !== undefined && watermarkId !== undefined && watermarkId !== declared) return 'conflict';
  if (v.state === 'trusted') return 'verified';
  if (v.state === 'valid') return 'untrusted-signer';
  return invalidVerdict(v);
}

/** Verdict for a file without one, after a watermark lookup (`recovered` undefined: nothing found). */
export function recoveredVerdict(recovered: ValidatedStore | undefined): PageVerdict {
  if (!recovered) return 'no-provenance';
  return recovered.state === 'invalid' ? invalidVerdict(recovered) : 'recovered';
}

const TRAINED = /\/(trainedAlgorithmicMedia|compositeWithTrainedAlgorithmicMedia|algorithmicMedia)$/;

/**
 * True when an action's IPTC digital source type says the content was made or changed by a
 * generative model (IPTC NewsCodes "digitalsourcetype": trainedAlgorithmicMedia and relatives).
 */
export function isAiGenerated(m: ManifestContentSummary | undefined): boolean {
  return (m?.actions ?? []).some(
    (a) => a.digitalSourceType !== undefined && TRAINED.test(a.digitalSourceType),
  );
}
