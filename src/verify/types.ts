import type { MediaFormat } from '../types.js';

/**
 * Outcome of {@link verify}:
 * - `absent`: no C2PA manifest in the file (or the file could not be read: see `error`);
 * - `remote`: the file only points to a manifest at `remoteManifestUrl` (not fetched);
 * - `invalid`: a manifest is there but fails validation (tampering, broken signature…);
 * - `valid`: well formed and intact, but the signer is not on a configured trust list;
 * - `trusted`: valid and the signer chains to a configured trust anchor.
 */
export type VerifyState = 'absent' | 'remote' | 'invalid' | 'valid' | 'trusted';

/** One C2PA validation status, passed through from the engine verbatim (C2PA 2.x §15). */
export interface ValidationStatus {
  /** e.g. `assertion.dataHash.mismatch`, `claimSignature.mismatch`, `signingCredential.untrusted`. */
  readonly code: string;
  readonly explanation: string;
  /** JUMBF URI of the part the status is about. */
  readonly url?: string;
  readonly kind: 'success' | 'informational' | 'failure';
}

export interface ActionSummary {
  readonly action: string;
  /** IPTC digital source type URI, e.g. `http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture`. */
  readonly digitalSourceType?: string;
  readonly softwareAgent?: string;
  readonly when?: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

export interface IngredientSummary {
  readonly title?: string;
  readonly format?: string;
  readonly relationship?: string;
  /** Label of the ingredient's own manifest when it carried one. */
  readonly manifestId?: string;
  /** The ingredient's own validation results as recorded or re-validated by the engine. */
  readonly statuses: readonly ValidationStatus[];
}

export interface SoftBindingSummary {
  readonly alg: string;
  /** Binding values (base64, as stored in the assertion). */
  readonly values: readonly string[];
  /** For provmark's own algorithm, the 64-bit id as 16 hex digits. */
  readonly softBindingId?: string;
}

export interface SignerSummary {
  readonly commonName?: string;
  /** Issuer common name (falls back to the issuer organisation). */
  readonly issuer?: string;
  readonly organization?: string;
  /** COSE algorithm, e.g. `Ed25519`, `ES256`, `PS256`. */
  readonly algorithm?: string;
  readonly serialNumber?: string;
  /** Signing time from a trusted timestamp, when the signature carries one. */
  readonly time?: string;
}

export interface ManifestSummary {
  readonly manifestId: string;
  readonly title?: string;
  readonly format?: string;
  readonly instanceId?: string;
  readonly claimGenerator?: string;
  readonly claimVersion?: number;
  readonly signer: SignerSummary;
  readonly actions: readonly ActionSummary[];
  /** Labels of all assertions in the manifest. */
  readonly assertions: readonly string[];
  readonly ingredients: readonly IngredientSummary[];
  readonly softBindings: readonly SoftBindingSummary[];
  readonly hasThumbnail: boolean;
}

export interface VerifyReportBase {
  /** Format detected from the bytes (undefined when not recognised). */
  readonly format: MediaFormat | undefined;
  readonly statuses: readonly ValidationStatus[];
}

export interface AbsentReport extends VerifyReportBase {
  readonly state: 'absent';
  /** Set when the file could not be examined (unsupported, corrupt, empty). */
  readonly error?: { readonly code: string; readonly message: string };
}

export interface RemoteReport extends VerifyReportBase {
  readonly state: 'remote';
  readonly remoteManifestUrl: string;
}

export interface ManifestReport extends VerifyReportBase {
  readonly state: 'invalid' | 'valid' | 'trusted';
  readonly activeManifest: ManifestSummary | undefined;
  readonly manifestCount: number;
  /** Validated against a sidecar manifest store instead of an embedded one. */
  readonly sidecar?: boolean;
}

export type VerifyReport = AbsentReport | RemoteReport | ManifestReport;
