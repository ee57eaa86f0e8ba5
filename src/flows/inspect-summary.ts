/**
 * The sentences of an inspect() report: what each verdict says to people, from the verification,
 * the watermark reading, the recovered manifest and the detector's opinion.
 */
import type { DetectReport } from '../detect/types.js';
import type { ManifestContentSummary, VerifyReport } from '../verify/types.js';
import type { SoftBindingId } from '../watermark/softbinding.js';
import type { InspectOptions, ProvenanceReport, RecoveredManifest } from './inspect.js';

export function describeSigner(m: ManifestContentSummary | undefined): string {
  if (!m) return 'an unknown signer';
  return `${m.signer.commonName ?? 'an unnamed signer'}${m.signer.issuer ? ` (issued by ${m.signer.issuer})` : ''}`;
}

/** One sentence per identity assertion: the validated ones named, the failed ones as identity results. */
export function identitySentences(m: ManifestContentSummary | undefined): string[] {
  return (m?.identities ?? []).map((id) => {
    const who =
      id.verifiedIdentities.length > 0
        ? id.verifiedIdentities
            .map(
              (v) =>
                `${v.name ?? v.username ?? v.uri ?? v.type}${v.provider ? ` (${v.type} by ${v.provider})` : ''}`,
            )
            .join(', ')
        : id.signer
          ? `${id.signer.commonName ?? 'an unnamed signer'}${id.signer.issuer ? ` (issued by ${id.signer.issuer})` : ''}`
          : 'an unnamed identity';
    if (id.state === 'trusted') return `Identity assertion: ${who}, validated and trusted.`;
    if (id.state === 'valid')
      return `Identity assertion: ${who}, validated, but its credential is not on the configured trust lists.`;
    const codes = id.statuses.filter((s) => s.kind === 'failure').map((s) => s.code);
    return `An identity assertion (${id.label}) did not validate (${codes.join(', ') || 'unknown failure'}); this concerns who vouches for the content, not the content itself.`;
  });
}

export function recoveredSummary(
  r: RecoveredManifest,
  id: SoftBindingId,
  verification: VerifyReport,
): string {
  const m = r.activeManifest;
  const signer = describeSigner(m);
  const from = r.source === 'repository' ? 'the local manifest repository' : 'the remote resolver';
  const embedded =
    verification.state === 'remote'
      ? ` The file also points to a remote manifest at ${verification.remoteManifestUrl}.`
      : '';
  if (r.state === 'invalid') {
    return `The file has no embedded Content Credentials; its watermark (${id}) leads to manifest ${r.manifestId} in ${from}, but that manifest does not validate (${r.statuses
      .filter((s) => s.kind === 'failure')
      .map((s) => s.code)
      .join(', ')}).${embedded}`;
  }
  const trust =
    r.state === 'trusted' ? 'a trusted signer' : 'a signer that is not on the configured trust lists';
  return (
    `The file's Content Credentials were stripped, but its invisible watermark (${id}) led to manifest ${r.manifestId} in ${from}, signed by ${signer}, ${trust}. ` +
    `This file is a derivative of the signed original (re-encoded, resized or cropped), so its bytes no longer match the manifest's hash; that is expected, not tampering.` +
    (m?.title ? ` The original is titled "${m.title}".` : '') +
    embedded
  );
}

export function noProvenanceSummary(
  verification: VerifyReport,
  watermark: ProvenanceReport['watermark'],
  detection: DetectReport | undefined,
  options: Pick<InspectOptions, 'repository' | 'resolver'>,
  unreachable: readonly string[],
): string {
  let text = 'No Content Credentials were found in the file';
  if (verification.state === 'remote')
    text += ` (it only points to a remote manifest at ${verification.remoteManifestUrl}, which was not fetched)`;
  if (watermark?.found) {
    text += `; a provmark watermark (${watermark.payload}) is present, but ${options.repository || options.resolver ? 'no repository that was asked knows it' : 'no repository was given to look it up'}.`;
    if (unreachable.length > 0)
      text += ` The resolver could not be reached (${unreachable.join('; ')}), so the answer may be incomplete.`;
  } else if (watermark) {
    text += ', and no provmark watermark was detected.';
  } else {
    text += '.';
  }
  if (detection) {
    const score =
      detection.score === null
        ? ''
        : ` (calibrated probability of being synthetic ${detection.score.toFixed(2)})`;
    text +=
      detection.label === 'inconclusive'
        ? ` The offline detector is inconclusive${detection.reason ? ` (${detection.reason})` : ''}${score}.`
        : ` The offline detector says ${detection.label}${score}; this is a statistical signal, not proof either way.`;
    const hints = detection.evidence
      .filter((e) => e.kind === 'metadata' && e.indicates !== 'none')
      .map((e) => `${e.source}: ${e.value}`);
    if (hints.length) text += ` Metadata hints: ${hints.slice(0, 3).join('; ')}.`;
  }
  return text;
}
