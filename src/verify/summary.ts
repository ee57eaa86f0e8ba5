/**
 * Turn the engine's manifest-store JSON into provmark's stable, camelCase summary types.
 */
import type {
  EngineIngredientDelta,
  EngineManifest,
  EngineStatus,
  EngineStore,
  EngineValidationResults,
} from '../c2pa/read.js';
import { bindingCodecFor } from '../watermark/schemes/index.js';
import { SOFT_BINDING_LABEL } from '../watermark/softbinding.js';
import type {
  ActionSummary,
  IdentitySummary,
  IngredientSummary,
  IngredientValidation,
  ManifestContentSummary,
  SignerSummary,
  SoftBindingSummary,
  ValidationStatus,
  VerifiedIdentity,
} from './types.js';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function toStatus(s: EngineStatus, kind: ValidationStatus['kind']): ValidationStatus {
  return { code: s.code, explanation: s.explanation ?? '', ...(s.url ? { url: s.url } : {}), kind };
}

/** Flatten engine validation results: failures first, then informational, then successes. */
export function statusesOf(
  results: EngineValidationResults | undefined,
  legacy?: EngineStatus[],
): ValidationStatus[] {
  if (!results) return (legacy ?? []).map((s) => toStatus(s, 'failure'));
  return [
    ...(results.failure ?? []).map((s) => toStatus(s, 'failure')),
    ...(results.informational ?? []).map((s) => toStatus(s, 'informational')),
    ...(results.success ?? []).map((s) => toStatus(s, 'success')),
  ];
}

function actionsOf(m: EngineManifest): ActionSummary[] {
  const out: ActionSummary[] = [];
  for (const a of m.assertions ?? []) {
    if (!a.label.startsWith('c2pa.actions') || !isRecord(a.data) || !Array.isArray(a.data.actions)) continue;
    for (const act of a.data.actions as unknown[]) {
      if (!isRecord(act) || typeof act.action !== 'string') continue;
      const agent = act.softwareAgent;
      const softwareAgent = typeof agent === 'string' ? agent : isRecord(agent) ? str(agent.name) : undefined;
      out.push({
        action: act.action,
        ...(str(act.digitalSourceType) ? { digitalSourceType: str(act.digitalSourceType) } : {}),
        ...(softwareAgent ? { softwareAgent } : {}),
        ...(str(act.when) ? { when: str(act.when) } : {}),
        ...(isRecord(act.parameters) ? { parameters: act.parameters } : {}),
      });
    }
  }
  return out;
}

function softBindingsOf(m: EngineManifest): SoftBindingSummary[] {
  const out: SoftBindingSummary[] = [];
  for (const a of m.assertions ?? []) {
    if (a.label !== SOFT_BINDING_LABEL && !a.label.startsWith(`${SOFT_BINDING_LABEL}.`)) continue;
    if (!isRecord(a.data) || typeof a.data.alg !== 'string') continue;
    const blocks = Array.isArray(a.data.blocks) ? (a.data.blocks as unknown[]) : [];
    const values = blocks.flatMap((b) => (isRecord(b) && typeof b.value === 'string' ? [b.value] : []));
    // A registered scheme's identifier (or a legacy one it reads): its codec gives the id.
    const id = values[0] === undefined ? undefined : bindingCodecFor(a.data.alg)?.decode(values[0]);
    out.push({ alg: a.data.alg, values, ...(id ? { softBindingId: id } : {}) });
  }
  return out;
}

/** Label of the manifest a JUMBF URI points into (`self#jumbf=/c2pa/<label>/…`). */
function manifestOfUri(uri: string): string | undefined {
  return /^self#jumbf=\/c2pa\/([^/]+)/.exec(uri)?.[1];
}

/** The engine's re-validation of every ingredient in the store, in the engine's order. */
export function ingredientValidations(store: EngineStore): IngredientValidation[] {
  return (store.validation_results?.ingredientDeltas ?? []).map((d) => {
    const manifestId = manifestOfUri(d.ingredientAssertionURI);
    return {
      ingredientUri: d.ingredientAssertionURI,
      ...(manifestId ? { manifestId } : {}),
      statuses: statusesOf(d.validationDeltas ?? {}),
    };
  });
}

function ingredientsOf(
  m: EngineManifest,
  label: string,
  deltas: readonly EngineIngredientDelta[],
): IngredientSummary[] {
  return (m.ingredients ?? []).map((ing) => {
    const uri = ing.label ? `self#jumbf=/c2pa/${label}/c2pa.assertions/${ing.label}` : undefined;
    const delta = uri ? deltas.find((d) => d.ingredientAssertionURI === uri) : undefined;
    return {
      ...(ing.label ? { label: ing.label } : {}),
      ...(ing.title ? { title: ing.title } : {}),
      ...(ing.format ? { format: ing.format } : {}),
      ...(ing.relationship ? { relationship: ing.relationship } : {}),
      ...(ing.active_manifest ? { manifestId: ing.active_manifest } : {}),
      statuses: statusesOf(ing.validation_results?.activeManifest, ing.validation_status),
      deltas: delta ? statusesOf(delta.validationDeltas ?? {}) : [],
    };
  });
}

/** CAWG codes that say only "the identity's credential or issuer is not on a trust list". */
const IDENTITY_UNTRUSTED = new Set(['cawg.x509.credential.untrusted', 'cawg.ica.untrusted_issuer']);
const IDENTITY_LABEL = /^cawg\.identity(__\d+)?$/;

function verifiedIdentitiesOf(data: Record<string, unknown>): VerifiedIdentity[] {
  // CAWG 1.1 ICA: `verifiedIdentities` at the top of the credential (or under credentialSubject).
  const subject = isRecord(data.credentialSubject) ? data.credentialSubject : data;
  const list = Array.isArray(subject.verifiedIdentities) ? (subject.verifiedIdentities as unknown[]) : [];
  return list.filter(isRecord).flatMap((v) => {
    const type = str(v.type);
    if (!type) return [];
    const provider = isRecord(v.provider) ? (str(v.provider.name) ?? str(v.provider.id)) : undefined;
    return [
      {
        type,
        ...(str(v.name) ? { name: str(v.name) } : {}),
        ...(str(v.username) ? { username: str(v.username) } : {}),
        ...(str(v.uri) ? { uri: str(v.uri) } : {}),
        ...(provider ? { provider } : {}),
        ...(str(v.verifiedAt) ? { verifiedAt: str(v.verifiedAt) } : {}),
      },
    ];
  });
}

/** Identity assertions of manifest `label`, each with the engine's `cawg.*` statuses about it. */
function identitiesOf(
  m: EngineManifest,
  label: string,
  statuses: readonly ValidationStatus[],
): IdentitySummary[] {
  const assertions = (m.assertions ?? []).filter((a) => IDENTITY_LABEL.test(a.label));
  return assertions.map((a) => {
    const suffix = `/c2pa/${label}/c2pa.assertions/${a.label}`;
    const own = statuses.filter(
      (st) => st.code.startsWith('cawg.') && (st.url ? st.url.endsWith(suffix) : assertions.length === 1),
    );
    const data = isRecord(a.data) ? a.data : {};
    const payload = isRecord(data.signer_payload)
      ? data.signer_payload
      : isRecord(data.c2paAsset)
        ? data.c2paAsset
        : {};
    const si = isRecord(data.signature_info) ? data.signature_info : undefined;
    const signer: SignerSummary | undefined = si
      ? {
          ...(str(si.common_name) ? { commonName: str(si.common_name) } : {}),
          ...(str(si.issuer) ? { issuer: str(si.issuer) } : {}),
          ...(str(si.alg) ? { algorithm: normaliseAlg(str(si.alg)!) } : {}),
          ...(str(si.cert_serial_number) ? { serialNumber: str(si.cert_serial_number) } : {}),
        }
      : undefined;
    const failures = own.filter((st) => st.kind === 'failure');
    const state: IdentitySummary['state'] = failures.some((st) => !IDENTITY_UNTRUSTED.has(st.code))
      ? 'invalid'
      : own.some((st) => IDENTITY_UNTRUSTED.has(st.code))
        ? 'valid'
        : 'trusted';
    return {
      label: a.label,
      ...(str(payload.sig_type) ? { sigType: str(payload.sig_type) } : {}),
      ...(signer ? { signer } : {}),
      ...(str(data.issuer) ? { issuer: str(data.issuer) } : {}),
      verifiedIdentities: state === 'invalid' ? [] : verifiedIdentitiesOf(data),
      statuses: own,
      state,
      validated: state !== 'invalid',
    };
  });
}

/** Issuer common name from the crJSON certificate info of manifest `label`, when present. */
function crJsonCertificate(crJson: unknown, label: string): { issuerCN?: string; subjectO?: string } {
  if (!isRecord(crJson) || !Array.isArray(crJson.manifests)) return {};
  const m = (crJson.manifests as unknown[]).find((x) => isRecord(x) && x.label === label);
  if (!isRecord(m) || !isRecord(m.signature) || !isRecord(m.signature.certificateInfo)) return {};
  const info = m.signature.certificateInfo;
  const issuer = isRecord(info.issuer) ? info.issuer : {};
  const subject = isRecord(info.subject) ? info.subject : {};
  return { issuerCN: str(issuer.CN) ?? str(issuer.O), subjectO: str(subject.O) };
}

function signerOf(m: EngineManifest, crJson: unknown, label: string): SignerSummary {
  const si = m.signature_info ?? {};
  const cert = crJsonCertificate(crJson, label);
  const alg = si.alg ? normaliseAlg(si.alg) : undefined;
  return {
    ...(si.common_name ? { commonName: si.common_name } : {}),
    ...((cert.issuerCN ?? si.issuer) ? { issuer: cert.issuerCN ?? si.issuer } : {}),
    ...(cert.subjectO ? { organization: cert.subjectO } : {}),
    ...(alg ? { algorithm: alg } : {}),
    ...(si.cert_serial_number ? { serialNumber: si.cert_serial_number } : {}),
    ...(si.time ? { time: si.time } : {}),
  };
}

/** The engine writes `Ps256`, `Es256`, `Ed25519`; report the COSE names. */
function normaliseAlg(alg: string): string {
  return /^ed25519$/i.test(alg) ? 'Ed25519' : alg.toUpperCase();
}

function claimGeneratorOf(m: EngineManifest): string | undefined {
  if (m.claim_generator) return m.claim_generator;
  const first = m.claim_generator_info?.[0];
  if (!first || typeof first.name !== 'string') return undefined;
  return typeof first.version === 'string' ? `${first.name}/${first.version}` : first.name;
}

/** All assertion labels: crJSON lists the engine-managed ones (hashes, thumbnail, ingredients) too. */
function assertionLabels(m: EngineManifest, crJson: unknown, label: string): string[] {
  const manifests =
    isRecord(crJson) && Array.isArray(crJson.manifests) ? (crJson.manifests as unknown[]) : [];
  const cr = manifests.find((x) => isRecord(x) && x.label === label);
  if (isRecord(cr) && isRecord(cr.assertions)) return Object.keys(cr.assertions);
  return (m.assertions ?? []).map((a) => a.label);
}

/**
 * Summary of the active manifest of `store`; `statuses` are the active manifest's validation
 * results (the identities' `cawg.*` statuses are taken from them).
 */
export function summariseManifest(
  store: EngineStore,
  crJson: unknown,
  statuses: readonly ValidationStatus[] = statusesOf(
    store.validation_results?.activeManifest,
    store.validation_status,
  ),
): ManifestContentSummary | undefined {
  const label = store.active_manifest;
  const m = label ? store.manifests[label] : undefined;
  if (!label || !m) return undefined;
  const claimGenerator = claimGeneratorOf(m);
  return {
    manifestId: label,
    ...(m.title ? { title: m.title } : {}),
    ...(m.format ? { format: m.format } : {}),
    ...(m.instance_id ? { instanceId: m.instance_id } : {}),
    ...(claimGenerator ? { claimGenerator } : {}),
    ...(m.claim_version ? { claimVersion: m.claim_version } : {}),
    signer: signerOf(m, crJson, label),
    actions: actionsOf(m),
    assertions: assertionLabels(m, crJson, label),
    ingredients: ingredientsOf(m, label, store.validation_results?.ingredientDeltas ?? []),
    softBindings: softBindingsOf(m),
    identities: identitiesOf(m, label, statuses),
    hasThumbnail: m.thumbnail !== undefined,
  };
}
