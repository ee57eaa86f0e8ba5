import { createHash } from 'node:crypto';
import { engineContextJson, type EngineTrust } from '../c2pa/context.js';
import type { EngineReadResult, EngineStore } from '../c2pa/read.js';
import { readManifestStore } from '../c2pa/read.js';
import { C2PA_STORE_UUID } from '../c2pa/store-uuid.js';
import { ENGINE_READ_LIMIT } from '../c2pa/engine.js';
import { isProvmarkError } from '../errors.js';
import { assetOf, type MediaAsset } from '../media/asset.js';
import { readMediaInput } from '../media/io.js';
import { FORMATS, type FormatInfo } from '../media/sniff.js';
import type { MediaInput } from '../types.js';
import { ingredientValidations, statusesOf, summariseManifest } from './summary.js';
import { engineState, stateSettingAside, validateRecovered } from './state.js';
import { resolveTrust, type TrustOptions } from './trust.js';
import type { AbsentReport, ManifestReport, ValidationStatus, VerifyReport } from './types.js';

export interface VerifyOptions {
  /** Trust anchors and lists; without any, a good signature is `valid` but never `trusted`. */
  readonly trust?: TrustOptions;
  /**
   * A sidecar manifest store (`.c2pa`) for `input`. The engine validates the store; provmark then
   * checks its data-hash binding against `input` itself (the engine has no call for that pairing).
   */
  readonly sidecar?: MediaInput;
  /** Let the engine fetch a manifest that the file references only by URL (network). Default false. */
  readonly fetchRemoteManifests?: boolean;
  /**
   * Fuller summary: issuer common name and every assertion label, including the ones the engine
   * manages (hashes, thumbnail, ingredients). Costs a second serialisation of the store
   * (about +50% of a validation). Default false: issuer is the engine's issuer organisation.
   */
  readonly detailed?: boolean;
}

/**
 * Verify the C2PA manifest of a file: integrity (hard binding, assertion hashes), signature,
 * certificate profile and trust. Never throws on bad content: the verdict is in the report.
 *
 * @example
 * ```ts
 * const report = await verify('photo.jpg', { trust: { anchors: ['ca.pem'] } });
 * if (report.state === 'trusted') console.log(report.activeManifest?.signer.commonName);
 * ```
 */
export async function verify(input: MediaInput, options: VerifyOptions = {}): Promise<VerifyReport> {
  if (options === null || typeof options !== 'object') throw new TypeError('Expected an options object');
  return verifyInput(input, () => resolveTrust(options.trust), options);
}

/**
 * {@link verify} with trust from the caller: `trust` is asked for only once the file proved
 * readable, so batch work resolves it once for all its files and still reports an unreadable file
 * before a bad trust configuration, as verify() does.
 */
export async function verifyInput(
  input: MediaInput,
  trust: () => Promise<EngineTrust>,
  options: Omit<VerifyOptions, 'trust'>,
): Promise<VerifyReport> {
  const asset = await readVerifiable(input);
  if ('state' in asset) return asset;
  const resolved = await trust();
  return verifyAsset(asset, resolved, {
    ...(options.sidecar !== undefined
      ? { sidecar: await readMediaInput(options.sidecar, 'sidecar', ENGINE_READ_LIMIT) }
      : {}),
    ...(options.fetchRemoteManifests !== undefined
      ? { fetchRemoteManifests: options.fetchRemoteManifests }
      : {}),
    ...(options.detailed !== undefined ? { detailed: options.detailed } : {}),
  });
}

/** What {@link verifyAsset} takes besides the asset and the trust: the sidecar already read. */
export interface AssetVerifyOptions {
  readonly sidecar?: Uint8Array;
  readonly fetchRemoteManifests?: boolean;
  readonly detailed?: boolean;
}

/**
 * {@link verify} of an asset already read and sniffed, under trust already resolved: what
 * inspect(), sign()'s read-back and batch work call, so none of them reads, sniffs or resolves
 * trust a second time.
 */
export async function verifyAsset(
  asset: MediaAsset,
  trust: EngineTrust,
  options: AssetVerifyOptions = {},
): Promise<VerifyReport> {
  const contextJson = engineContextJson({
    trust,
    fetchRemoteManifests: options.fetchRemoteManifests ?? false,
  });
  const { bytes, format } = asset;
  if (options.sidecar !== undefined) return verifySidecar(bytes, format, options.sidecar, contextJson);
  return toReport(
    format,
    await readManifestStore(bytes, format.mime, contextJson, { crJson: options.detailed ?? false }),
    bytes,
  );
}

/**
 * A manifest store recovered through the watermark id `id` for a derivative file, validated by the
 * engine on its own and reported by the same builder as an embedded one, with the derivative's
 * expected hard-binding mismatch set aside (state.ts `validateRecovered`). Undefined when the bytes
 * hold no readable store.
 */
export async function verifyRecoveredStore(
  store: Uint8Array,
  trust: EngineTrust,
  id: string,
): Promise<ManifestReport | undefined> {
  const read = await readManifestStore(store, FORMATS.c2pa.mime, engineContextJson({ trust }), {
    crJson: true,
  });
  if (read.kind !== 'store') return undefined;
  const { state, statuses, activeManifest } = validateRecovered(read.store, read.crJson, id);
  return storeReport(FORMATS.c2pa, read.store, read.crJson, [...statuses], { state, activeManifest });
}

/**
 * `input` read (within the engine's read limit) into an asset, or, when its bytes are not a format
 * provmark knows (empty, unrecognised), the report that says so: a verdict, not a throw.
 */
export async function readVerifiable(input: MediaInput): Promise<MediaAsset | UnexaminedReport> {
  const bytes = await readMediaInput(input, 'input', ENGINE_READ_LIMIT);
  try {
    return assetOf(bytes);
  } catch (err) {
    return unreadableReport(err);
  }
}

/** The report of input that cannot be examined (unrecognised, empty): a verdict, not a throw. */
export function unreadableReport(err: unknown): UnexaminedReport {
  if (!isProvmarkError(err)) throw err;
  return {
    state: 'absent',
    format: undefined,
    statuses: [],
    error: { code: err.code, message: err.message },
  };
}

/** An absent report that says why the file could not be examined. */
export type UnexaminedReport = AbsentReport & { readonly error: NonNullable<AbsentReport['error']> };

function toReport(format: FormatInfo, read: EngineReadResult, bytes: Uint8Array): VerifyReport {
  switch (read.kind) {
    case 'absent':
      return { state: 'absent', format: format.format, statuses: [] };
    case 'remote':
      return { state: 'remote', format: format.format, statuses: [], remoteManifestUrl: read.url };
    case 'failed': {
      const { failure } = read;
      if (failure.kind === 'UnsupportedType') {
        return {
          state: 'absent',
          format: format.format,
          statuses: [],
          error: {
            code: 'ERR_UNSUPPORTED_FORMAT',
            message: `The C2PA engine cannot read ${format.mime} files`,
          },
        };
      }
      if ((failure.kind === 'InvalidAsset' || failure.kind === 'IoError') && !containsC2paStore(bytes)) {
        return {
          state: 'absent',
          format: format.format,
          statuses: [],
          error: {
            code: 'ERR_CORRUPT_MEDIA',
            message: `The ${format.mime} file cannot be parsed: ${failure.argument ?? failure.message}`,
          },
        };
      }
      // A manifest store is there but it, or the asset around it, cannot be decoded: the hard binding
      // cannot hold, so this is a failed validation (C2PA `general.error`), not "no manifest".
      const status: ValidationStatus = {
        code: 'general.error',
        explanation: failure.message,
        kind: 'failure',
      };
      return {
        state: 'invalid',
        format: format.format,
        statuses: [status],
        activeManifest: undefined,
        manifestCount: 0,
        ingredients: [],
      };
    }
    case 'store':
      return storeReport(
        format,
        read.store,
        read.crJson,
        statusesOf(read.store.validation_results?.activeManifest, read.store.validation_status),
      );
  }
}

/**
 * The one builder of a manifest report from the engine's store: embedded stores, sidecars and stores
 * recovered through the watermark. `state` defaults to the engine's; `activeManifest` is given when
 * the caller already summarised the store.
 */
function storeReport(
  format: FormatInfo,
  store: EngineStore,
  crJson: unknown,
  statuses: ValidationStatus[],
  adjusted: {
    readonly state?: ManifestReport['state'];
    readonly sidecar?: boolean;
    readonly activeManifest?: ManifestReport['activeManifest'];
  } = {},
): ManifestReport {
  const { state = engineState(store), sidecar = false } = adjusted;
  return {
    state,
    format: format.format,
    statuses,
    activeManifest:
      'activeManifest' in adjusted ? adjusted.activeManifest : summariseManifest(store, crJson, statuses),
    manifestCount: Object.keys(store.manifests ?? {}).length,
    ingredients: ingredientValidations(store),
    ...(sidecar ? { sidecar } : {}),
  };
}

/** A C2PA manifest store is embedded somewhere in the bytes (the UUID alone, not the text "c2pa"). */
function containsC2paStore(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(C2PA_STORE_UUID) >= 0;
}

interface DataHashAssertion {
  alg?: string;
  hash?: string;
  exclusions?: Array<{ start: number; length: number }>;
}

/** crJSON writes byte strings as `b64'…'`. */
function crBytes(value: unknown): Buffer | undefined {
  const m = typeof value === 'string' ? /^b64'(.*)'$/.exec(value) : null;
  return m ? Buffer.from(m[1]!, 'base64') : undefined;
}

function activeCrAssertions(crJson: unknown, label: string | undefined): Record<string, unknown> | undefined {
  const manifests = (
    crJson as { manifests?: Array<{ label?: string; assertions?: Record<string, unknown> }> }
  )?.manifests;
  return manifests?.find((m) => m.label === label)?.assertions;
}

/**
 * Sidecar: validate the store with the engine, then check the data-hash binding against the
 * asset ourselves (C2PA 2.x §9.2 "Data hash": SHA over the asset minus the exclusion ranges).
 */
async function verifySidecar(
  asset: Uint8Array,
  format: FormatInfo,
  store: Uint8Array,
  contextJson: string,
): Promise<VerifyReport> {
  const read = await readManifestStore(store, FORMATS.c2pa.mime, contextJson, { crJson: true });
  if (read.kind !== 'store') {
    const report = toReport(format, read, store);
    return report.state === 'absent'
      ? {
          ...report,
          error: report.error ?? {
            code: 'ERR_CORRUPT_MEDIA',
            message: 'The sidecar holds no C2PA manifest store',
          },
        }
      : report;
  }
  const base = statusesOf(read.store.validation_results?.activeManifest, read.store.validation_status);
  const assertions = activeCrAssertions(read.crJson, read.store.active_manifest) ?? {};
  const dataHash = assertions['c2pa.hash.data'] as DataHashAssertion | undefined;
  const expected = crBytes(dataHash?.hash);
  const alg = dataHash?.alg ?? 'sha256';
  if (!dataHash || !expected || !['sha256', 'sha384', 'sha512'].includes(alg)) {
    const binding = Object.keys(assertions).find((l) => l.startsWith('c2pa.hash.')) ?? 'none';
    const note: ValidationStatus = {
      code: 'provmark.sidecar.bindingUnsupported',
      explanation: `The sidecar's hard binding (${binding}) cannot be checked against a separate asset here; only c2pa.hash.data is supported for sidecars`,
      kind: 'informational',
    };
    // The binding cannot be checked here, so nothing is set aside: the engine's verdict stands.
    return storeReport(format, read.store, read.crJson, [...base, note], { sidecar: true });
  }
  const hash = createHash(alg);
  let pos = 0;
  for (const ex of [...(dataHash.exclusions ?? [])].sort((a, b) => a.start - b.start)) {
    hash.update(asset.subarray(pos, Math.max(pos, ex.start)));
    pos = Math.max(pos, ex.start + ex.length);
  }
  hash.update(asset.subarray(pos));
  const matches = hash.digest().equals(expected);
  const withoutEngineHash = base.filter((s) => !s.code.startsWith('assertion.dataHash.'));
  const own: ValidationStatus = matches
    ? {
        code: 'assertion.dataHash.match',
        explanation: 'data hash valid (checked by provmark against the asset given with the sidecar)',
        kind: 'success',
      }
    : {
        code: 'assertion.dataHash.mismatch',
        explanation: 'the asset does not match the sidecar manifest data hash',
        kind: 'failure',
      };
  const statuses = [own, ...withoutEngineHash];
  // The engine saw the store without its asset, so its data-hash failure is set aside for provmark's own check.
  const engineHash = (st: ValidationStatus) => st.code.startsWith('assertion.dataHash.');
  const state = matches ? stateSettingAside(read.store, base, engineHash) : 'invalid';
  return storeReport(format, read.store, read.crJson, statuses, { state, sidecar: true });
}
