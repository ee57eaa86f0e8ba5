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
  /** Label of the ingredient assertion, e.g. `c2pa.ingredient.v3`. */
  readonly label?: string;
  readonly title?: string;
  readonly format?: string;
  readonly relationship?: string;
  /** Label of the ingredient's own manifest when it carried one. */
  readonly manifestId?: string;
  /** The ingredient's validation results as the signer recorded them in the ingredient assertion. */
  readonly statuses: readonly ValidationStatus[];
  /**
   * The engine's re-validation of the ingredient's manifest now (its `ingredientDeltas`): a
   * failure here (e.g. `ingredient.manifest.mismatch`) means the ingredient's manifest was changed
   * after the parent was signed. Empty when the engine reported nothing for this ingredient.
   */
  readonly deltas: readonly ValidationStatus[];
}

/** The engine's re-validation of one ingredient anywhere in the store (`ingredientDeltas`). */
export interface IngredientValidation {
  /** JUMBF URI of the ingredient assertion. */
  readonly ingredientUri: string;
  /** Label of the manifest that holds the ingredient assertion. */
  readonly manifestId?: string;
  readonly statuses: readonly ValidationStatus[];
}

/** One identity assertion (CAWG Identity Assertion 1.x, label `cawg.identity`). */
export interface IdentitySummary {
  /** Assertion label, e.g. `cawg.identity` or `cawg.identity__1`. */
  readonly label: string;
  /** `cawg.x509.cose` (an X.509 certificate signed it) or `cawg.identity_claims_aggregation`. */
  readonly sigType?: string;
  /** The X.509 signer (sig type `cawg.x509.cose`). */
  readonly signer?: SignerSummary;
  /** The aggregator's DID or name (sig type `cawg.identity_claims_aggregation`). */
  readonly issuer?: string;
  /** Identities verified by an identity claims aggregator (names, accounts, affiliations). */
  readonly verifiedIdentities: readonly VerifiedIdentity[];
  /** The engine's `cawg.*` statuses about this assertion. */
  readonly statuses: readonly ValidationStatus[];
  /**
   * `invalid`: a `cawg.*` failure other than an untrusted credential; `valid`: the signature holds
   * but the credential or issuer is not trusted; `trusted`: no failure and no untrusted note.
   * The engine gives no per-identity state, so this one is read from its `cawg.*` codes.
   */
  readonly state: 'invalid' | 'valid' | 'trusted';
  /** Whether the identity's signature validated (state `valid` or `trusted`). */
  readonly validated: boolean;
}

export interface VerifiedIdentity {
  /** e.g. `cawg.document_verification`, `cawg.social_media`, `cawg.affiliation`, `cawg.crypto_wallet`. */
  readonly type: string;
  readonly name?: string;
  readonly username?: string;
  readonly uri?: string;
  readonly provider?: string;
  readonly verifiedAt?: string;
}

export interface SoftBindingSummary {
  readonly alg: string;
  /** Binding values (base64, as stored in the assertion). */
  readonly values: readonly string[];
  /** For a registered watermark scheme's identifier (own or legacy), the 64-bit id as 16 hex digits. */
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

/**
 * What one C2PA manifest says, read from a validated store: its claim, signer, actions, assertions,
 * ingredients, soft bindings and identities (a report's `activeManifest`).
 */
export interface ManifestContentSummary {
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
  /** CAWG identity assertions: who (besides the claim signer) vouches for the content. */
  readonly identities: readonly IdentitySummary[];
  readonly hasThumbnail: boolean;
}

/**
 * @deprecated Renamed {@link ManifestContentSummary} (the repository's listing type had the same name;
 * it is now `StoredManifestSummary`). This alias will be removed in a future major version.
 */
export type ManifestSummary = ManifestContentSummary;

export interface VerifyReportBase {
  /** Format detected from the bytes (undefined when not recognised). */
  readonly format: MediaFormat | undefined;
  /** The active manifest's validation results (failures first); ingredients' are in `ingredients`. */
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
  /** The engine's `validation_state` (provmark's own checks may only lower it, never raise it). */
  readonly state: 'invalid' | 'valid' | 'trusted';
  readonly activeManifest: ManifestContentSummary | undefined;
  readonly manifestCount: number;
  /** The engine's re-validation of every ingredient in the store, nested ones included. */
  readonly ingredients: readonly IngredientValidation[];
  /** Validated against a sidecar manifest store instead of an embedded one. */
  readonly sidecar?: boolean;
}

export type VerifyReport = AbsentReport | RemoteReport | ManifestReport;
