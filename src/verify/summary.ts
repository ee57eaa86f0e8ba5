/**
 * Turn the engine's manifest-store JSON into provmark's stable, camelCase summary types.
 */
import type { EngineManifest, EngineStatus, EngineStore, EngineValidationResults } from '../c2pa/read.js';
import { SOFT_BINDING_ALG, SOFT_BINDING_LABEL, softBindingIdFromValue } from '../watermark/softbinding.js';
import type {
  ActionSummary,
  IngredientSummary,
  ManifestSummary,
  SignerSummary,
  SoftBindingSummary,
  ValidationStatus,
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
    const id = a.data.alg === SOFT_BINDING_ALG && values[0] ? softBindingIdFromValue(values[0]) : undefined;
    out.push({ alg: a.data.alg, values, ...(id ? { softBindingId: id } : {}) });
  }
  return out;
}

function ingredientsOf(m: EngineManifest): IngredientSummary[] {
  return (m.ingredients ?? []).map((ing) => ({
    ...(ing.title ? { title: ing.title } : {}),
    ...(ing.format ? { format: ing.format } : {}),
    ...(ing.relationship ? { relationship: ing.relationship } : {}),
    ...(ing.active_manifest ? { manifestId: ing.active_manifest } : {}),
    statuses: statusesOf(ing.validation_results?.activeManifest, ing.validation_status),
  }));
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

/** Summary of the active manifest of `store`. */
export function summariseManifest(store: EngineStore, crJson: unknown): ManifestSummary | undefined {
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
    ingredients: ingredientsOf(m),
    softBindings: softBindingsOf(m),
    hasThumbnail: m.thumbnail !== undefined,
  };
}
