/**
 * inspect(): the downstream job. One call that says what is known about a file:
 * 1. an embedded C2PA manifest -> verify it;
 * 2. none -> read the watermark -> look the soft-binding id up -> verify the recovered manifest;
 * 3. nothing -> the offline detector's calibrated opinion (never a claim of authenticity).
 * The file is read and sniffed once (an asset, src/media/asset.ts) and trust is resolved once;
 * every step takes those.
 */
import type { EngineTrust } from '../c2pa/context.js';
import type { DetectOptions, DetectReport } from '../detect/types.js';
import { isProvmarkError } from '../errors.js';
import type { MediaAsset } from '../media/asset.js';
import type { BindingMatch, ManifestRepository } from '../repository/types.js';
import type { MediaFormat, MediaInput } from '../types.js';
import type { MediaWatermarkReading } from '../watermark/media.js';
import { bindingVariants, canReadWatermark, watermarkScheme } from '../watermark/schemes/index.js';
import type { SoftBindingId } from '../watermark/softbinding.js';
import { describeCredentialFailure, failureClassOf, invalidVerdictOf } from '../verify/failures.js';
import { resolveTrust, type TrustOptions } from '../verify/trust.js';
import type {
  ManifestReport,
  ManifestContentSummary,
  ValidationStatus,
  VerifyReport,
} from '../verify/types.js';
import {
  readVerifiable,
  verifyAsset,
  verifyRecoveredStore,
  type UnexaminedReport,
} from '../verify/verify.js';
import {
  describeSigner,
  identitySentences,
  noProvenanceSummary,
  recoveredSummary,
} from './inspect-summary.js';

/**
 * - `verified`: intact, signed by a trusted signer;
 * - `untrusted-signer`: intact, but the signer is not on the configured trust lists;
 * - `invalid-credential`: intact, but the signer's certificate cannot be accepted (expired without a
 *   trusted time-stamp, outside the C2PA certificate profile, revoked);
 * - `tampered`: an integrity check failed (hard binding, hashed URI, claim signature, ingredient manifest);
 * - `invalid`: the engine finds the manifest invalid for another reason (malformed, unreadable, a
 *   broken identity assertion), with no sign of a change to the file or of a credential problem;
 * - `conflict`: the manifest declares a watermark that the pixels contradict;
 * - `recovered`: no embedded manifest, but the watermark led to a valid one in a repository;
 * - `no-provenance`: nothing found.
 */
export type ProvenanceVerdict =
  | 'verified'
  | 'untrusted-signer'
  | 'invalid-credential'
  | 'tampered'
  | 'invalid'
  | 'conflict'
  | 'recovered'
  | 'no-provenance';

/** Verdict for an invalid store: by its strongest failure class, the active manifest's and the ingredients'. */
function invalidVerdict(
  statuses: readonly ValidationStatus[],
  ingredients: ManifestReport['ingredients'],
): ProvenanceVerdict {
  return invalidVerdictOf([...statuses, ...ingredients.flatMap((i) => i.statuses)]);
}

export interface InspectOptions {
  readonly trust?: TrustOptions;
  /** Local repository to look soft-binding ids up in (e.g. `openRepository()`). */
  readonly repository?: ManifestRepository;
  /** A remote Soft Binding Resolution API (e.g. `createHttpRepository(...)`), asked after `repository`. */
  readonly resolver?: ManifestRepository;
  /** Run the offline detector when nothing else is found (default true); options are passed on. */
  readonly detector?: boolean | DetectOptions;
  /** Watermark key for private marks (default: the public key). */
  readonly watermarkKey?: string | Uint8Array;
  readonly maxPixels?: number;
}

export interface RecoveredManifest {
  readonly manifestId: string;
  /** Where the manifest came from. */
  readonly source: 'repository' | 'resolver';
  /** Validation of the recovered store, with the expected hard-binding mismatch removed. */
  readonly state: 'invalid' | 'valid' | 'trusted';
  readonly statuses: readonly ValidationStatus[];
  readonly activeManifest: ManifestContentSummary | undefined;
  /** Always true: the file is a derivative of the signed asset, so its hard binding cannot match. */
  readonly derivative: true;
  /** Every manifest id the binding resolved to (newest first). */
  readonly matches: readonly string[];
}

export interface ProvenanceReport {
  readonly verdict: ProvenanceVerdict;
  readonly format: MediaFormat | undefined;
  /** Active manifest id: embedded, or recovered through the watermark. */
  readonly manifestId: string | undefined;
  /** Soft-binding id read from the pixels (or declared by the manifest when no mark was read). */
  readonly softBindingId: SoftBindingId | undefined;
  /** One paragraph for people. */
  readonly summary: string;
  /** Verification of the embedded manifest (always present). */
  readonly verification: VerifyReport;
  readonly watermark?: MediaWatermarkReading;
  readonly recovered?: RecoveredManifest;
  readonly detection?: DetectReport;
  /** Set when the file could not be examined at all (corrupt, unsupported). */
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * Tell what is known about a file's provenance.
 *
 * @example
 * ```ts
 * const report = await inspect('download.jpg', { trust: { official: true }, repository: await openRepository() });
 * console.log(report.verdict, report.summary);
 * ```
 */
export async function inspect(input: MediaInput, options: InspectOptions = {}): Promise<ProvenanceReport> {
  if (options === null || typeof options !== 'object') throw new TypeError('Expected an options object');
  return inspectInput(input, () => resolveTrust(options.trust), options);
}

/**
 * {@link inspect} with trust from the caller, asked for only once the file proved readable (batch
 * work resolves it once for all its files).
 */
export async function inspectInput(
  input: MediaInput,
  trust: () => Promise<EngineTrust>,
  options: Omit<InspectOptions, 'trust'>,
): Promise<ProvenanceReport> {
  const asset = await readVerifiable(input);
  if ('state' in asset) return unexamined(asset);
  return inspectAsset(asset, await trust(), options);
}

/** {@link inspect} of an asset already read and sniffed, under trust already resolved. */
export async function inspectAsset(
  asset: MediaAsset,
  trust: EngineTrust,
  options: Omit<InspectOptions, 'trust'>,
): Promise<ProvenanceReport> {
  const verification = await verifyAsset(asset, trust, { detailed: true });
  const format = verification.format;
  if (verification.state === 'absent' && verification.error)
    return unexamined({ ...verification, error: verification.error });
  const markable = canReadWatermark(asset.format);

  if (
    verification.state === 'invalid' ||
    verification.state === 'valid' ||
    verification.state === 'trusted'
  ) {
    return embeddedReport(asset, verification, markable, options);
  }

  const watermark = markable ? await readWatermark(asset, options) : undefined;
  const unreachable: string[] = [];
  if (watermark?.found && watermark.payload) {
    const recovered = await recover(watermark.payload, watermark.scheme, trust, options, unreachable);
    if (recovered) {
      const verdict: ProvenanceVerdict =
        recovered.state === 'invalid' ? invalidVerdict(recovered.statuses, []) : 'recovered';
      return {
        verdict,
        format,
        manifestId: recovered.manifestId,
        softBindingId: watermark.payload,
        summary: recoveredSummary(recovered, watermark.payload, verification),
        verification,
        watermark,
        recovered,
      };
    }
  }
  const detection = await runDetector(asset, options);
  return {
    verdict: 'no-provenance',
    format,
    manifestId: undefined,
    softBindingId: watermark?.found ? watermark.payload : undefined,
    summary: noProvenanceSummary(verification, watermark, detection, options, unreachable),
    verification,
    ...(watermark ? { watermark } : {}),
    ...(detection ? { detection } : {}),
  };
}

/** The report of a file that could not be examined at all (unrecognised, corrupt, unsupported by the engine). */
function unexamined(verification: UnexaminedReport): ProvenanceReport {
  return {
    verdict: 'no-provenance',
    format: verification.format,
    manifestId: undefined,
    softBindingId: undefined,
    summary: `The file could not be examined: ${verification.error.message}.`,
    verification,
    error: verification.error,
  };
}

async function embeddedReport(
  asset: MediaAsset,
  verification: ManifestReport,
  markable: boolean,
  options: Omit<InspectOptions, 'trust'>,
): Promise<ProvenanceReport> {
  const m = verification.activeManifest;
  // A binding with an id is one a registered scheme (or its legacy identifier) wrote.
  const declared = m?.softBindings.find((b) => b.softBindingId !== undefined)?.softBindingId;
  // Only a manifest that declares our soft binding is worth a pixel read: it is what a conflict is measured against.
  const watermark = declared && markable ? await readWatermark(asset, options) : undefined;
  const conflict = declared !== undefined && watermark?.found === true && watermark.payload !== declared;
  const verdict: ProvenanceVerdict = conflict
    ? 'conflict'
    : verification.state === 'trusted'
      ? 'verified'
      : verification.state === 'valid'
        ? 'untrusted-signer'
        : invalidVerdict(verification.statuses, verification.ingredients);
  const signer = describeSigner(m);
  const failures = [...verification.statuses, ...verification.ingredients.flatMap((i) => i.statuses)].filter(
    (s) => s.kind === 'failure' && s.code !== 'signingCredential.untrusted',
  );
  const codes = [...new Set(failures.map((f) => f.code))].join(', ') || 'unknown failure';
  const credentialProblems = [
    ...new Set(
      failures
        .filter((f) => failureClassOf([f]) === 'credential')
        .map((f) => describeCredentialFailure(f.code)),
    ),
  ];
  const what = m?.title ? `"${m.title}"` : 'this file';
  const source = m?.actions
    .find((a) => a.digitalSourceType)
    ?.digitalSourceType?.split('/')
    .pop();
  const sentences: Record<ProvenanceVerdict, string> = {
    verified: `Content Credentials for ${what} are intact and were signed by ${signer}, a trusted signer.`,
    'untrusted-signer': `Content Credentials for ${what} are intact, but the signer, ${signer}, is not on the configured trust lists, so who made the claim cannot be confirmed.`,
    'invalid-credential': `Content Credentials for ${what} match what was signed, but the signer's credential cannot be accepted: ${credentialProblems.join('; ')} (${codes}). The signer, ${signer}, cannot be relied on.`,
    tampered: `The file carries Content Credentials signed by ${signer}, but they do not validate (${codes}): the file or its manifest was changed after signing.`,
    invalid: `The file carries Content Credentials signed by ${signer}, but the C2PA engine finds them invalid (${codes}); no hash or signature mismatch was found.`,
    conflict: `The manifest (signed by ${signer}) declares soft-binding id ${declared}, but the watermark in the pixels carries ${watermark?.payload}: the manifest was probably moved onto content it does not describe.`,
    recovered: '',
    'no-provenance': '',
  };
  const extra = [
    ...identitySentences(m),
    source ? `The manifest declares the content as ${source}.` : '',
    declared && watermark && !watermark.found
      ? `Its declared watermark (${declared}) was not found in the pixels.`
      : '',
    declared && watermark?.found && !conflict
      ? `The watermark in the pixels matches the manifest (${declared}).`
      : '',
  ].filter(Boolean);
  return {
    verdict,
    format: verification.format,
    manifestId: m?.manifestId,
    softBindingId: watermark?.found ? watermark.payload : declared,
    summary: [sentences[verdict], ...extra].join(' '),
    verification,
    ...(watermark ? { watermark } : {}),
  };
}

async function readWatermark(
  asset: MediaAsset,
  options: Omit<InspectOptions, 'trust'>,
): Promise<ProvenanceReport['watermark']> {
  const { detectMediaWatermark } = await import('../watermark/media.js');
  return detectMediaWatermark(asset.bytes, asset.format, {
    ...(options.watermarkKey !== undefined ? { key: options.watermarkKey } : {}),
    ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
  });
}

/**
 * Look the id up locally, then remotely, under the reading scheme's identifier and the legacy one
 * it reads; verify the newest store that resolves.
 */
async function recover(
  id: SoftBindingId,
  schemeId: string | undefined,
  trust: EngineTrust,
  options: Omit<InspectOptions, 'trust'>,
  unreachable: string[],
): Promise<RecoveredManifest | undefined> {
  const scheme = schemeId === undefined ? undefined : watermarkScheme(schemeId);
  const bindings = scheme ? bindingVariants(scheme.id, scheme.binding.encode(id)) : [];
  for (const [source, repo] of [
    ['repository', options.repository],
    ['resolver', options.resolver],
  ] as const) {
    if (!repo) continue;
    const matches: BindingMatch[] = [];
    let answered = false;
    let failure: Error | undefined;
    for (const b of bindings) {
      try {
        for (const m of await repo.findByBinding(b.alg, b.value)) {
          if (!matches.some((x) => x.manifestId === m.manifestId)) matches.push(m);
        }
        answered = true;
      } catch (err) {
        // A resolver being down is not a verdict, but the summary must say it was not asked
        // successfully; one that answers for one identifier of the binding has answered.
        if (!(isProvmarkError(err) && source === 'resolver')) throw err;
        failure ??= err;
      }
    }
    if (!answered && failure) {
      unreachable.push(failure.message);
      continue;
    }
    for (const match of matches) {
      const record = await repo.getManifest(match.manifestId);
      if (!record) continue;
      const report = await verifyRecoveredStore(record.manifestStore, trust, id);
      if (!report) continue;
      return {
        manifestId: report.activeManifest?.manifestId ?? match.manifestId,
        source,
        // The engine's state of the store, with the derivative's expected binding mismatch set aside.
        state: report.state,
        statuses: report.statuses,
        activeManifest: report.activeManifest,
        derivative: true,
        matches: matches.map((x) => x.manifestId),
      };
    }
  }
  return undefined;
}

async function runDetector(
  asset: MediaAsset,
  options: Omit<InspectOptions, 'trust'>,
): Promise<DetectReport | undefined> {
  if (options.detector === false || asset.format.kind !== 'image') return undefined;
  const { detectAsset } = await import('../detect/detect.js');
  return detectAsset(asset, {
    ...(typeof options.detector === 'object' ? options.detector : {}),
    ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
  });
}
