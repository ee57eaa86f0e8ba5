/**
 * The page's verdicts, computed from what the engine reports in the browser. Pure: bundled into
 * the page and unit-tested in Node.
 *
 * The words follow `inspect()` (src/verify/inspect.ts). That module reads files and runs the
 * detector through Node, so it cannot be bundled; this is the small mapping the page needs, kept to
 * the same rules (c2pa-rs: any failure but an untrusted signer is invalid; the hard-binding
 * mismatch of a recovered manifest is expected for a derivative, not tampering).
 */
import type { EngineStore } from '../../c2pa/read.js';
import { statusesOf, summariseManifest } from '../../verify/summary.js';
import type { ManifestSummary, ValidationStatus } from '../../verify/types.js';
import { SOFT_BINDING_ALG } from '../../watermark/softbinding.js';

export type PageVerdict =
  | 'verified'
  | 'untrusted-signer'
  | 'tampered'
  | 'invalid-credential'
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

/** Codes that only say the signer is not on a configured list: a trust verdict, not tampering. */
const TRUST_ONLY = new Set(['signingCredential.untrusted']);

/** Hard-binding failures that are expected for a derivative of a signed asset. */
export const HARD_BINDING_MISMATCH: ReadonlySet<string> = new Set([
  'assertion.dataHash.mismatch',
  'assertion.bmffHash.mismatch',
  'assertion.boxesHash.mismatch',
  'assertion.collectionHash.mismatch',
]);

export type ManifestState = 'invalid' | 'valid' | 'trusted';

/** The c2pa-rs rule, as src/verify/verify.ts `stateOf`. */
export function stateOfStatuses(statuses: readonly ValidationStatus[]): ManifestState {
  const failures = statuses.filter((s) => s.kind === 'failure');
  if (failures.some((s) => !TRUST_ONLY.has(s.code))) return 'invalid';
  if (failures.length > 0) return 'valid';
  return statuses.some((s) => s.code === 'signingCredential.trusted') ? 'trusted' : 'valid';
}

/**
 * An invalid manifest whose only failures concern the signing credential (its profile, EKU,
 * validity or revocation) says nothing about the content being changed.
 */
export function isCredentialOnly(statuses: readonly ValidationStatus[]): boolean {
  const failures = statuses.filter((s) => s.kind === 'failure' && !TRUST_ONLY.has(s.code));
  return failures.length > 0 && failures.every((s) => s.code.startsWith('signingCredential.'));
}

export interface ValidatedStore {
  readonly state: ManifestState;
  readonly statuses: readonly ValidationStatus[];
  readonly activeManifest: ManifestSummary | undefined;
  readonly manifestCount: number;
}

/** Validation of an embedded store as the engine reported it. */
export function validatedStore(store: EngineStore, crJson: unknown): ValidatedStore {
  const statuses = statusesOf(store.validation_results?.activeManifest, store.validation_status);
  return {
    state: stateOfStatuses(statuses),
    statuses,
    activeManifest: summariseManifest(store, crJson),
    manifestCount: Object.keys(store.manifests ?? {}).length,
  };
}

/**
 * Validation of a store recovered through the watermark: the hard-binding mismatch is expected
 * (the file is a derivative), and the manifest must declare the id that was looked up.
 */
export function recoveredStore(store: EngineStore, crJson: unknown, id: string): ValidatedStore {
  const all = statusesOf(store.validation_results?.activeManifest, store.validation_status);
  const kept = all.filter((s) => !(s.kind === 'failure' && HARD_BINDING_MISMATCH.has(s.code)));
  const activeManifest = summariseManifest(store, crJson);
  const declares =
    activeManifest?.softBindings.some((b) => b.alg === SOFT_BINDING_ALG && b.softBindingId === id) ?? false;
  const statuses: ValidationStatus[] = declares
    ? kept
    : [
        {
          code: 'provmark.softBinding.mismatch',
          explanation: `the recovered manifest does not declare soft-binding id ${id}`,
          kind: 'failure',
        },
        ...kept,
      ];
  return {
    state: stateOfStatuses(statuses),
    statuses,
    activeManifest,
    manifestCount: Object.keys(store.manifests ?? {}).length,
  };
}

/** The soft-binding id the manifest declares for provmark's watermark, if any. */
export function declaredSoftBinding(m: ManifestSummary | undefined): string | undefined {
  return m?.softBindings.find((b) => b.alg === SOFT_BINDING_ALG)?.softBindingId;
}

/** Verdict for a file with an embedded manifest; `watermarkId` is the id read from the pixels, if any. */
export function embeddedVerdict(v: ValidatedStore, watermarkId: string | undefined): PageVerdict {
  const declared = declaredSoftBinding(v.activeManifest);
  if (declared !== undefined && watermarkId !== undefined && watermarkId !== declared) return 'conflict';
  if (v.state === 'trusted') return 'verified';
  if (v.state === 'valid') return 'untrusted-signer';
  return isCredentialOnly(v.statuses) ? 'invalid-credential' : 'tampered';
}

/** Verdict for a file without one, after a watermark lookup (`recovered` undefined: nothing found). */
export function recoveredVerdict(recovered: ValidatedStore | undefined): PageVerdict {
  if (!recovered) return 'no-provenance';
  return recovered.state === 'invalid' ? 'tampered' : 'recovered';
}

const TRAINED = /\/(trainedAlgorithmicMedia|compositeWithTrainedAlgorithmicMedia|algorithmicMedia)$/;

/**
 * True when an action's IPTC digital source type says the content was made or changed by a
 * generative model (IPTC NewsCodes "digitalsourcetype": trainedAlgorithmicMedia and relatives).
 */
export function isAiGenerated(m: ManifestSummary | undefined): boolean {
  return (m?.actions ?? []).some(
    (a) => a.digitalSourceType !== undefined && TRAINED.test(a.digitalSourceType),
  );
}
