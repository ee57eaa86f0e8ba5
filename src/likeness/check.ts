/**
 * checkLikeness(): does this ad show one of the registered people, and if so, did one of the signers
 * authorised for them publish it with valid Content Credentials?
 */
import { UnsupportedFormatError } from '../errors.js';
import { engineContextJson } from '../c2pa/context.js';
import { ENGINE_READ_LIMIT } from '../c2pa/engine.js';
import { readManifestStore } from '../c2pa/read.js';
import { readSignerCertificates } from '../c2pa/signer-certificate.js';
import { decodeImageRgb } from '../media/image.js';
import { readMediaInput } from '../media/io.js';
import { FORMATS, sniffFormat } from '../media/sniff.js';
import type { ManifestRepository } from '../repository/types.js';
import type { AuthorizedSigner, LikenessPerson, LikenessRegistry } from '../repository/likeness.js';
import type { MediaInput } from '../types.js';
import { inspect, type ProvenanceReport, type ProvenanceVerdict } from '../flows/inspect.js';
import type { TrustOptions } from '../verify/trust.js';
import type { SignerSummary } from '../verify/types.js';
import { FACE_MODEL_ID, detectFaces, type DetectedFace, type FaceBox } from './faces.js';
import { DescriptorIndex, MATCH_DISTANCE, similarityOf } from './match.js';
import { LIKENESS_ASSERTION_LABEL, parseLikenessDeclaration } from './declare.js';
import { isAuthorizedSigner, spkiSha256Of } from './signers.js';
import { detectVideoFaces } from './video.js';

export type LikenessDecision = 'authorized' | 'unauthorized' | 'no-registered-person';

export interface LikenessAppearance {
  readonly box: FaceBox;
  /** Seconds from the start, for video frames. */
  readonly time?: number;
}

export interface LikenessPersonMatch {
  readonly person: string;
  readonly name?: string;
  /** Best similarity over the appearances: `1 - distance` (see MODEL_CARD.md). */
  readonly similarity: number;
  /** The similarity at and above which a face counts as this person. */
  readonly threshold: number;
  readonly appearances: readonly LikenessAppearance[];
  /** Whether the file's signer is one of this person's authorised signers (and trusted). */
  readonly authorizedSigner: boolean;
}

export interface LikenessProvenance {
  readonly verdict: ProvenanceVerdict;
  readonly signer?: SignerSummary;
  /**
   * SHA-256 of the signing certificate's public key (SPKI), read from the manifest's COSE x5chain, for
   * a trusted signer: what authorised signers are matched on. Absent when it could not be read (then
   * serial number, issuer and subject names are compared).
   */
  readonly signerSpkiSha256?: string;
  readonly manifestId?: string;
}

export interface LikenessReport {
  /** The path checked, or the `name` option for bytes. */
  readonly file?: string;
  readonly decision: LikenessDecision;
  /** One paragraph for people. */
  readonly summary: string;
  /** Faces found (registered or not); for video, the most seen in one sampled frame. */
  readonly faces: number;
  readonly persons: readonly LikenessPersonMatch[];
  readonly provenance: LikenessProvenance;
  /** The offline detector's opinion when there was no provenance and it was asked for. */
  readonly detector?: ProvenanceReport['detection'];
  /**
   * The people the file's Content Credentials declare it depicts (assertion `org.provmark.likeness`,
   * written by `sign`/`protect` with `likeness`), compared with the faces found: `missing` are declared
   * but not seen, `undeclared` are seen but not declared. `trusted` is false when the credentials
   * carrying the declaration are not valid and trusted (tampered, untrusted signer…).
   */
  readonly declared?: {
    readonly persons: readonly string[];
    readonly consentRef?: string;
    readonly missing: readonly string[];
    readonly undeclared: readonly string[];
    readonly trusted: boolean;
  };
  /** For video: its length and how many frames were searched. */
  readonly video?: { readonly durationSeconds: number; readonly framesSampled: number };
}

/** The registry as loaded for matching; build once with {@link loadLikenessIndex} for many files. */
export interface LikenessIndex {
  readonly index: DescriptorIndex;
  readonly persons: ReadonlyMap<string, LikenessPerson>;
}

export interface CheckLikenessOptions {
  readonly registry: LikenessRegistry;
  /** A preloaded index (see {@link loadLikenessIndex}); default: loaded from the registry. */
  readonly index?: LikenessIndex;
  /** Trust configuration for the provenance check: an authorised signer must chain to these anchors. */
  readonly trust?: TrustOptions;
  /** Manifest repository to recover stripped credentials from (through the watermark). */
  readonly repository?: ManifestRepository;
  readonly resolver?: ManifestRepository;
  /** Run the offline detector when a file has no provenance (default false). */
  readonly detector?: boolean;
  /** Name reported as `file` when the input is bytes. */
  readonly name?: string;
  /** Detector confidence threshold (default 0.5). */
  readonly minConfidence?: number;
}

/** Load every enrolled descriptor into memory (exact search; see MODEL_CARD.md for scale). */
export async function loadLikenessIndex(registry: LikenessRegistry): Promise<LikenessIndex> {
  const [stored, people] = await Promise.all([registry.descriptors(), registry.list()]);
  return {
    index: new DescriptorIndex(stored.filter((d) => d.model === FACE_MODEL_ID)),
    persons: new Map(people.map((p) => [p.person, p])),
  };
}

const loadedIndexes = new WeakMap<LikenessRegistry, { revision: string; index: Promise<LikenessIndex> }>();

/**
 * The registry's index, loaded once and kept in memory for as long as the registry's revision is
 * unchanged: an enrolment or removal by any process (the CLI beside a running server) makes the next
 * call reload it. Costs one small query per call.
 *
 * @example
 * ```ts
 * const { index } = await currentLikenessIndex(registry);
 * console.log(index.size, 'descriptors');
 * ```
 */
export async function currentLikenessIndex(registry: LikenessRegistry): Promise<LikenessIndex> {
  const revision = await registry.revision();
  const held = loadedIndexes.get(registry);
  if (held !== undefined && held.revision === revision) return held.index;
  const index = loadLikenessIndex(registry);
  loadedIndexes.set(registry, { revision, index });
  index.catch(() => {
    if (loadedIndexes.get(registry)?.index === index) loadedIndexes.delete(registry);
  });
  return index;
}

const TRUSTED: ReadonlySet<ProvenanceVerdict> = new Set(['verified', 'recovered']);

function signerOf(report: ProvenanceReport): SignerSummary | undefined {
  if (report.verdict === 'recovered') return report.recovered?.activeManifest?.signer;
  const v = report.verification;
  return v.state === 'absent' || v.state === 'remote' ? undefined : v.activeManifest?.signer;
}

/** Credentials count only when the engine found them intact and the signer chains to a trust anchor. */
function trustedSigner(report: ProvenanceReport): SignerSummary | undefined {
  if (!TRUSTED.has(report.verdict)) return undefined;
  if (report.verdict === 'recovered' && report.recovered?.state !== 'trusted') return undefined;
  return signerOf(report);
}

function describeSigner(s: SignerSummary | undefined): string {
  if (s === undefined) return 'an unknown signer';
  return (
    [s.commonName, s.organization && s.organization !== s.commonName ? `(${s.organization})` : undefined]
      .filter(Boolean)
      .join(' ') || 'an unnamed signer'
  );
}

/** " at 1.5–4 s, 9 s" for video appearances (runs of samples no more than a second apart). */
function describeTimes(appearances: readonly LikenessAppearance[]): string {
  const times = [...new Set(appearances.flatMap((a) => (a.time === undefined ? [] : [a.time])))].sort(
    (a, b) => a - b,
  );
  if (times.length === 0) return '';
  const runs: Array<[number, number]> = [];
  for (const t of times) {
    const last = runs.at(-1);
    if (last !== undefined && t - last[1] <= 1) last[1] = t;
    else runs.push([t, t]);
  }
  const fmt = (t: number) => `${Math.round(t * 10) / 10}`;
  return ` at ${runs.map(([a, b]) => (a === b ? `${fmt(a)} s` : `${fmt(a)}–${fmt(b)} s`)).join(', ')}`;
}

function describeWho(m: LikenessPersonMatch): string {
  return m.name ? `${m.name} (${m.person})` : m.person;
}

function summarise(
  decision: LikenessDecision,
  faces: number,
  persons: readonly LikenessPersonMatch[],
  report: ProvenanceReport,
  video: boolean,
): string {
  const facesText =
    faces === 0
      ? 'No face was found'
      : video
        ? `Up to ${faces} face${faces === 1 ? ' was' : 's were'} found in a sampled frame`
        : `${faces} face${faces === 1 ? ' was' : 's were'} found`;
  if (decision === 'no-registered-person') {
    return `${facesText}; none is a registered person.`;
  }
  const who = persons
    .map((m) => `${describeWho(m)}, similarity ${m.similarity.toFixed(2)}${describeTimes(m.appearances)}`)
    .join('; ');
  const signer = describeSigner(signerOf(report));
  if (decision === 'authorized') {
    return `${facesText}. It shows ${who}. Content Credentials (${report.verdict}) signed by ${signer}, an authorised signer for everyone shown: authorised.`;
  }
  let why: string;
  switch (report.verdict) {
    case 'no-provenance':
      why = 'the file carries no Content Credentials and none were recovered';
      break;
    case 'tampered':
      why = 'its Content Credentials show that the file was changed after signing';
      break;
    case 'untrusted-signer':
      why = `it is signed by ${signer}, whose certificate does not chain to a trust anchor given (--trust)`;
      break;
    case 'verified':
    case 'recovered': {
      const not = persons
        .filter((m) => !m.authorizedSigner)
        .map(describeWho)
        .join(', ');
      why = `it is signed by ${signer}, who is not an authorised signer for ${not}`;
      break;
    }
    default:
      why = `its Content Credentials are not valid (${report.verdict})`;
  }
  return `${facesText}. It shows ${who}, but ${why}: unauthorised.`;
}

/**
 * Check one image or video against the likeness registry and its provenance. Video frames are sampled
 * at least twice a second and at every scene change; each appearance then carries its `time`.
 *
 * - `authorized`: a registered person appears and the file carries valid (or recovered) Content
 *   Credentials, trusted, from one of the authorised signers of every person shown;
 * - `unauthorized`: a registered person appears and there is no provenance, or it is from anyone else,
 *   untrusted or tampered;
 * - `no-registered-person`: no face matches anyone enrolled.
 *
 * @example
 * ```ts
 * const registry = await openLikenessRegistry('sqlite:./brand.db');
 * const r = await checkLikeness('ad.jpg', { registry, trust: { anchors: ['agency-ca.pem'] } });
 * if (r.decision === 'unauthorized') console.log(r.summary);
 * ```
 */
export async function checkLikeness(
  input: MediaInput,
  options: CheckLikenessOptions,
): Promise<LikenessReport> {
  if (options === null || typeof options !== 'object') throw new TypeError('Expected an options object');
  if (!options.registry || typeof options.registry.descriptors !== 'function') {
    throw new TypeError('Expected a likeness registry in options.registry');
  }
  const bytes = await readMediaInput(input, 'input', ENGINE_READ_LIMIT);
  const format = sniffFormat(bytes);
  if (format.kind !== 'image' && format.kind !== 'video') {
    throw new UnsupportedFormatError(`likeness check reads images and video; this file is ${format.mime}`, {
      hint: 'Check a still image (JPEG, PNG, WebP, AVIF, TIFF) or a video (MP4, MOV, WebM, MKV, AVI).',
    });
  }
  const loaded = options.index ?? (await currentLikenessIndex(options.registry));
  const detect = options.minConfidence === undefined ? {} : { minConfidence: options.minConfidence };
  const inspectOptions = {
    ...(options.trust ? { trust: options.trust } : {}),
    ...(options.repository ? { repository: options.repository } : {}),
    ...(options.resolver ? { resolver: options.resolver } : {}),
  };
  // Provenance does not depend on the faces, so it runs alongside them (the engine, the decoders and
  // ffmpeg use other threads) unless the detector was asked for, which only runs when someone is found.
  const early =
    options.detector === true ? undefined : inspect(bytes, { ...inspectOptions, detector: false });
  early?.catch(() => undefined);
  let sightings: ReadonlyArray<{ readonly time?: number; readonly faces: readonly DetectedFace[] }>;
  let video: LikenessReport['video'];
  if (format.kind === 'video') {
    const v = await detectVideoFaces(typeof input === 'string' ? input : bytes, detect);
    sightings = v.frames;
    video = { durationSeconds: v.durationSeconds, framesSampled: v.frames.length };
  } else {
    sightings = [{ faces: await detectFaces(await decodeImageRgb(bytes), detect) }];
  }

  let faceCount = 0;
  const hits = new Map<string, { distance: number; appearances: LikenessAppearance[] }>();
  for (const s of sightings) {
    faceCount = Math.max(faceCount, s.faces.length);
    for (const face of s.faces) {
      const [best] = loaded.index.search(face.descriptor, MATCH_DISTANCE);
      if (best === undefined) continue;
      const h = hits.get(best.person) ?? { distance: Infinity, appearances: [] };
      h.distance = Math.min(h.distance, best.distance);
      h.appearances.push(s.time === undefined ? { box: face.box } : { box: face.box, time: s.time });
      hits.set(best.person, h);
    }
  }

  const report =
    early === undefined ? await inspect(bytes, { ...inspectOptions, detector: hits.size > 0 }) : await early;
  const trusted = trustedSigner(report);
  const store = await activeStore(bytes, format.mime, report, options);
  const signerKey =
    trusted === undefined || store === undefined ? undefined : signerKeyOf(store.bytes, report);
  const persons: LikenessPersonMatch[] = [...hits]
    .map(([person, h]) => {
      const p = loaded.persons.get(person);
      const signers: readonly AuthorizedSigner[] = p?.signers ?? [];
      return {
        person,
        ...(p?.name === undefined ? {} : { name: p.name }),
        similarity: similarityOf(h.distance),
        threshold: similarityOf(MATCH_DISTANCE),
        appearances: h.appearances,
        authorizedSigner:
          trusted !== undefined && signers.some((s) => isAuthorizedSigner(trusted, s, signerKey)),
      };
    })
    .sort((a, b) => b.similarity - a.similarity);
  const decision: LikenessDecision =
    persons.length === 0
      ? 'no-registered-person'
      : persons.every((m) => m.authorizedSigner)
        ? 'authorized'
        : 'unauthorized';
  const declaration = store === undefined ? undefined : await readDeclaration(store);
  const shown = persons.map((m) => m.person);
  const declared: LikenessReport['declared'] =
    declaration === undefined
      ? undefined
      : {
          persons: declaration.persons,
          ...(declaration.consentRef === undefined ? {} : { consentRef: declaration.consentRef }),
          missing: declaration.persons.filter((p) => !shown.includes(p)),
          undeclared: shown.filter((p) => !declaration.persons.includes(p)),
          trusted: trusted !== undefined,
        };
  const signer = signerOf(report);
  const file = typeof input === 'string' ? input : options.name;
  return {
    ...(file === undefined ? {} : { file }),
    decision,
    summary:
      summarise(decision, faceCount, persons, report, video !== undefined) + describeDeclared(declared),
    faces: faceCount,
    persons,
    provenance: {
      verdict: report.verdict,
      ...(signer === undefined ? {} : { signer }),
      ...(signerKey === undefined ? {} : { signerSpkiSha256: signerKey }),
      ...(report.manifestId === undefined ? {} : { manifestId: report.manifestId }),
    },
    ...(report.detection === undefined ? {} : { detector: report.detection }),
    ...(declared === undefined ? {} : { declared }),
    ...(video === undefined ? {} : { video }),
  };
}

/**
 * Where the active manifest store is: the file itself, or the store recovered through the watermark
 * (from the repository or resolver it came from). Undefined when there is none.
 */
async function activeStore(
  bytes: Uint8Array,
  mime: string,
  report: ProvenanceReport,
  options: CheckLikenessOptions,
): Promise<{ bytes: Uint8Array; mime: string } | undefined> {
  if (report.recovered !== undefined) {
    const source = report.recovered.source === 'repository' ? options.repository : options.resolver;
    const record = await source?.getManifest(report.recovered.manifestId).catch(() => undefined);
    return record === undefined ? undefined : { bytes: record.manifestStore, mime: FORMATS.c2pa.mime };
  }
  const state = report.verification.state;
  return state === 'absent' || state === 'remote' ? undefined : { bytes, mime };
}

/** The signing key fingerprint of the active manifest, from its COSE x5chain (undefined if unreadable). */
function signerKeyOf(store: Uint8Array, report: ProvenanceReport): string | undefined {
  try {
    const [leaf] = readSignerCertificates(store, report.manifestId) ?? [];
    return leaf === undefined ? undefined : spkiSha256Of(leaf);
  } catch {
    return undefined;
  }
}

/** The `org.provmark.likeness` declaration of the active manifest; undefined when none (or malformed). */
async function readDeclaration(store: {
  bytes: Uint8Array;
  mime: string;
}): Promise<{ persons: readonly string[]; consentRef?: string } | undefined> {
  const read = await readManifestStore(store.bytes, store.mime, engineContextJson({}));
  if (read.kind !== 'store') return undefined;
  const active = read.store.active_manifest;
  const manifest = active === undefined ? undefined : read.store.manifests[active];
  const assertion = manifest?.assertions?.find((a) => a.label === LIKENESS_ASSERTION_LABEL);
  return assertion === undefined ? undefined : parseLikenessDeclaration(assertion.data);
}

function describeDeclared(d: LikenessReport['declared']): string {
  if (d === undefined) return '';
  const parts = [
    ` The credentials${d.trusted ? '' : ' (not valid or not trusted)'} declare ${d.persons.join(', ')}${d.consentRef ? ` (consent: ${d.consentRef})` : ''}.`,
  ];
  if (d.missing.length > 0) parts.push(` Declared but not seen: ${d.missing.join(', ')}.`);
  if (d.undeclared.length > 0) parts.push(` Shown but not declared: ${d.undeclared.join(', ')}.`);
  return parts.join('');
}

/**
 * Check many files against one loaded index, in order; a file that cannot be read yields an
 * `{ file, error }` item instead of stopping the run.
 *
 * @example
 * ```ts
 * for await (const r of checkLikenessMany(['ad1.jpg', 'ad2.png'], { registry })) console.log(r);
 * ```
 */
export async function* checkLikenessMany(
  inputs: Iterable<MediaInput> | AsyncIterable<MediaInput>,
  options: CheckLikenessOptions,
): AsyncGenerator<
  | LikenessReport
  | { readonly file?: string; readonly error: { readonly code: string; readonly message: string } }
> {
  const index = options.index ?? (await currentLikenessIndex(options.registry));
  for await (const input of inputs) {
    try {
      yield await checkLikeness(input, { ...options, index });
    } catch (err) {
      if (err instanceof TypeError || err instanceof RangeError) throw err;
      const code = (err as { code?: unknown }).code;
      yield {
        ...(typeof input === 'string' ? { file: input } : {}),
        error: { code: typeof code === 'string' ? code : 'ERR_INTERNAL', message: (err as Error).message },
      };
    }
  }
}
