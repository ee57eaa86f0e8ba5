/**
 * What a failure code says about a file, for the words `inspect` uses. The engine decides whether
 * a manifest is valid; this only sorts its reasons, so that a changed file is called tampered and a
 * problem with the signer's certificate is not.
 */
import type { ValidationStatus } from './types.js';

/** `integrity`: the bytes differ from what was signed; `credential`: the signer's certificate is not acceptable. */
export type FailureClass = 'integrity' | 'credential' | 'other';

/**
 * Integrity failures (C2PA 2.x §15.10): a hard binding, a hashed URI, the claim signature or an
 * ingredient's manifest no longer matches. All end in `.mismatch` in the C2PA code list
 * (`assertion.dataHash.mismatch`, `assertion.bmffHash.mismatch`, `assertion.boxesHash.mismatch`,
 * `assertion.collectionHash.mismatch`, `assertion.hashedURI.mismatch`, `claimSignature.mismatch`,
 * `ingredient.manifest.mismatch`, `ingredient.claimSignature.mismatch`); a referenced assertion or
 * claim that is gone counts too. `provmark.softBinding.mismatch`: a recovered manifest that does not
 * declare the watermark it was found by.
 */
const INTEGRITY_MISSING = new Set(['assertion.missing', 'claim.missing', 'ingredient.manifest.missing']);

/**
 * Credential failures (C2PA 2.x §14.5, §15.7): expired or not-yet-valid without a trusted
 * time-stamp, outside the certificate profile, revoked.
 */
const CREDENTIAL = new Set([
  'signingCredential.expired',
  'signingCredential.invalid',
  'signingCredential.revoked',
  'signingCredential.ocsp.revoked',
  'claimSignature.outsideValidity',
  'timeStamp.outsideValidity',
]);

/**
 * Sort one failure code. `signingCredential.untrusted` is a trust result, not a failure class here.
 *
 * @example
 * ```ts
 * classifyFailure('assertion.dataHash.mismatch'); // 'integrity'
 * classifyFailure('signingCredential.expired'); // 'credential'
 * ```
 */
export function classifyFailure(code: string): FailureClass {
  if (code.endsWith('.mismatch') || INTEGRITY_MISSING.has(code)) return 'integrity';
  if (CREDENTIAL.has(code)) return 'credential';
  return 'other';
}

/** The strongest class among failures: integrity over credential over other; undefined when none. */
export function failureClassOf(statuses: readonly ValidationStatus[]): FailureClass | undefined {
  const classes = statuses
    .filter((s) => s.kind === 'failure' && s.code !== 'signingCredential.untrusted')
    .map((s) => classifyFailure(s.code));
  for (const c of ['integrity', 'credential', 'other'] as const) if (classes.includes(c)) return c;
  return undefined;
}

/** Plain words for a credential failure, for the summary (never says the file changed). */
export function describeCredentialFailure(code: string): string {
  switch (code) {
    case 'signingCredential.expired':
      return 'the signing certificate was expired or not yet valid when the claim was signed, and no trusted time-stamp shows it was signed inside its validity';
    case 'claimSignature.outsideValidity':
    case 'timeStamp.outsideValidity':
      return 'the claim was signed outside the validity period of the signing certificate';
    case 'signingCredential.invalid':
      return 'the signing certificate does not meet the C2PA certificate profile (for example its key usage or extended key usage is not allowed)';
    case 'signingCredential.revoked':
    case 'signingCredential.ocsp.revoked':
      return 'the signing certificate has been revoked';
    default:
      return code;
  }
}

/**
 * The `inspect` word for a store the engine finds invalid, by the strongest class among its failures (the active
 * manifest's and its ingredients'): a changed file is `tampered`, an unacceptable certificate is
 * `invalid-credential`, anything else `invalid`.
 */
export function invalidVerdictOf(
  statuses: readonly ValidationStatus[],
): 'tampered' | 'invalid-credential' | 'invalid' {
  const cls = failureClassOf(statuses);
  return cls === 'integrity' ? 'tampered' : cls === 'credential' ? 'invalid-credential' : 'invalid';
}
