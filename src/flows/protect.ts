/**
 * protect(): the capture-side job. Watermark the pixels with a soft-binding id, sign a C2PA
 * manifest that declares that binding, and register the manifest in a repository so the
 * watermark can lead back to it after a platform strips the metadata.
 */
import { createHash } from 'node:crypto';
import { RepositoryError, isProvmarkError } from '../errors.js';
import { ENGINE_SIGN_LIMIT } from '../c2pa/engine.js';
import { assetWithFormat, readAsset } from '../media/asset.js';
import type { ManifestRepository, NewManifestRecord } from '../repository/types.js';
import type { MediaFormat, MediaInput } from '../types.js';
import { embedWatermark, type MediaWatermarkOptions } from '../watermark/media.js';
import {
  SOFT_BINDING_LABEL,
  parseSoftBindingId,
  softBindingAssertion,
  type SoftBindingId,
} from '../watermark/softbinding.js';
import type { ManifestInput } from '../sign/manifest.js';
import { checkSigningOptions, type SigningOptions } from '../sign/sign.js';
import { stageOutput } from '../sign/staged-output.js';
import type { Signer } from '../sign/signers.js';
import { checkTimestampOptions, type TimestampOptions } from '../sign/timestamp.js';
import { resolveTrust, type TrustOptions } from '../verify/trust.js';
import { signAndReadBack } from './sign.js';
import type { ManifestReport } from '../verify/types.js';

export interface ProtectOptions {
  readonly signer: Signer;
  /**
   * Where the manifest store and its binding are registered: a repository, or a function that
   * opens one, called only once there is a row to commit (so a failed call creates no database);
   * the caller closes what it opens.
   */
  readonly repository: ManifestRepository | (() => Promise<ManifestRepository>);
  /**
   * Write the protected file here. It is written to a temp file in the same folder and renamed
   * into place before the repository row is committed; if anything fails, nothing is left: no row,
   * no temp file, no new output (a file it replaced is put back).
   */
  readonly output?: string;
  readonly manifest?: ManifestInput;
  readonly watermark?: {
    /** Amplitude multiplier (see embedImageWatermark). */
    readonly strength?: number;
    /** @deprecated The watermark key is {@link ProtectOptions.watermarkKey}; this older name still works. */
    readonly key?: string | Uint8Array;
    /** JPEG/WebP/AVIF output quality; default: the input's estimated quality. */
    readonly quality?: number;
  };
  /**
   * The soft-binding id to use. Default: derived from the signer certificate, the input bytes and
   * the options, so retrying the same call gives the same id and manifest label (no duplicates).
   */
  readonly softBindingId?: SoftBindingId;
  /**
   * Watermark key for a private mark, which only readers given the same key (`inspect`'s
   * `watermarkKey`) can read; default: the public key any verifier can read. Not the signing key.
   */
  readonly watermarkKey?: string | Uint8Array;
  readonly trust?: TrustOptions;
  readonly maxPixels?: number;
  /** RFC 3161 time-stamp for the signature (see `SignOptions.timestamp`). */
  readonly timestamp?: TimestampOptions;
  /** Progress of long video/audio watermarking (frames or seconds done). */
  readonly onProgress?: MediaWatermarkOptions['onProgress'];
  /** The registered people the asset depicts (see `SignOptions.likeness`). */
  readonly likeness?: SigningOptions['likeness'];
}

export interface ProtectResult {
  /** The watermarked, signed file. */
  readonly bytes: Uint8Array;
  readonly manifestId: string;
  readonly softBindingId: SoftBindingId;
  readonly manifestStore: Uint8Array;
  readonly format: MediaFormat;
  /** Whether the repository row is new (false when a retry found the same manifest stored). */
  readonly stored: 'created' | 'replaced' | 'unchanged';
  readonly report: ManifestReport;
}

/**
 * Watermark, sign and register an image, a video (luma + its audio track) or an audio file.
 *
 * @example
 * ```ts
 * const repository = await openRepository(); // ~/.provmark/repository.db
 * const { manifestId, softBindingId } = await protect('capture.jpg', {
 *   signer,
 *   repository,
 *   output: 'capture.protected.jpg', // written before the row is committed
 * });
 * ```
 */
export async function protect(input: MediaInput, options: ProtectOptions): Promise<ProtectResult> {
  if (!options || typeof options !== 'object')
    throw new TypeError('Expected an options object with signer and repository');
  const { signer, repository } = options;
  if (typeof repository !== 'function' && (!repository || typeof repository.put !== 'function')) {
    throw new TypeError(
      'Expected a ManifestRepository (openRepository()) or a function opening one for repository',
    );
  }
  if (options.output !== undefined && (typeof options.output !== 'string' || options.output.length === 0))
    throw new TypeError('Expected a non-empty file path for output');
  if (!signer || typeof signer.sign !== 'function') throw new TypeError('Expected a Signer for signer');
  if (options.timestamp !== undefined) checkTimestampOptions(options.timestamp);
  const watermarkKey = watermarkKeyOf(options);
  const asset = await readAsset(input, 'input', ENGINE_SIGN_LIMIT);
  const { bytes: original, format } = asset;
  if (format.kind === 'manifest')
    throw new RangeError('Expected a media file to protect but received a C2PA manifest store');
  const identity = deriveIdentity(original, options, watermarkKey);
  const softBindingId =
    options.softBindingId !== undefined
      ? parseSoftBindingId(options.softBindingId, 'softBindingId')
      : identity.softBindingId;
  // Watermark first, then sign the final container: a remux would drop the manifest, never the mark.
  const { bytes: marked, schemes } = await embedWatermark(original, format, {
    payload: softBindingId,
    ...(options.watermark?.strength !== undefined ? { strength: options.watermark.strength } : {}),
    ...(watermarkKey !== undefined ? { key: watermarkKey } : {}),
    ...(options.watermark?.quality !== undefined ? { quality: options.watermark.quality } : {}),
    ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });

  const manifest = options.manifest ?? {};
  const signing: SigningOptions = {
    signer,
    manifest: {
      ...manifest,
      actions: [
        ...(manifest.actions ?? []),
        {
          action: 'c2pa.watermarked',
          parameters: { description: `invisible watermark ${schemes.map((s) => s.id).join(' + ')}` },
        },
      ],
      assertions: [
        ...(manifest.assertions ?? []).filter((a) => a.label !== SOFT_BINDING_LABEL),
        // The format's own medium's scheme; the repository row also names any other (a soundtrack's).
        { label: SOFT_BINDING_LABEL, data: softBindingAssertion(softBindingId, schemes[0]) },
      ],
    },
    manifestLabel:
      options.softBindingId !== undefined ? labelFor(identity.digest, softBindingId) : identity.manifestLabel,
    ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
    ...(options.timestamp ? { timestamp: options.timestamp } : {}),
    ...(options.likeness ? { likeness: options.likeness } : {}),
  };
  checkSigningOptions(signing);
  // The watermark keeps the container, so the marked bytes have the original's format.
  const signed = await signAndReadBack(
    assetWithFormat(marked, format),
    signing,
    await resolveTrust(options.trust),
  );

  const record = {
    manifestId: signed.manifestId,
    manifestStore: signed.manifestStore,
    bindings: schemes.map((s) => ({ alg: s.id, value: s.binding.encode(softBindingId) })),
    format: format.mime,
  };
  // The file goes in place first and the row is committed last, so a row never points to a file
  // that was not written; when the row fails, the file is taken back.
  const staged = options.output !== undefined ? await stageOutput(options.output, signed.bytes) : undefined;
  let stored: ProtectResult['stored'];
  try {
    await staged?.commit();
    stored = await register(typeof repository === 'function' ? await repository() : repository, record);
  } catch (err) {
    await staged?.rollback();
    throw err;
  }
  await staged?.finish();
  return {
    bytes: signed.bytes,
    manifestId: signed.manifestId,
    softBindingId,
    manifestStore: signed.manifestStore,
    format: signed.format,
    stored,
    report: signed.report,
  };
}

/** The watermark key: `watermarkKey`, or its deprecated name `watermark.key`; never two different ones. */
function watermarkKeyOf(options: ProtectOptions): string | Uint8Array | undefined {
  const { watermarkKey } = options;
  const older = options.watermark?.key;
  if (watermarkKey === undefined) return older;
  if (older !== undefined && !Buffer.from(older).equals(Buffer.from(watermarkKey)))
    throw new RangeError(
      'Expected one watermark key but received two different ones: give watermarkKey only (watermark.key is its deprecated name)',
    );
  return watermarkKey;
}

async function register(
  repository: ManifestRepository,
  record: NewManifestRecord,
): Promise<ProtectResult['stored']> {
  try {
    return (await repository.put(record)).created ? 'created' : 'unchanged';
  } catch (err) {
    if (!(isProvmarkError(err) && err.code === 'ERR_CONFLICT')) throw storeError(err);
    // A retry of the same call (same label) after an earlier attempt was stored: that earlier
    // manifest was never handed out, so the new one takes its place.
    try {
      await repository.delete(record.manifestId);
      await repository.put(record);
      return 'replaced';
    } catch (err2) {
      throw storeError(err2);
    }
  }
}

function storeError(err: unknown): unknown {
  if (isProvmarkError(err)) return err;
  return new RepositoryError('ERR_REPOSITORY', `Storing the manifest failed: ${(err as Error).message}`, {
    cause: err,
  });
}

/**
 * Deterministic identity of one protect() call: SHA-256 over the signer certificate, the input
 * bytes and the options that shape the manifest. Same call, same id and label.
 */
function deriveIdentity(
  original: Uint8Array,
  options: ProtectOptions,
  watermarkKey: string | Uint8Array | undefined,
): { digest: Buffer; softBindingId: SoftBindingId; manifestLabel: string } {
  const h = createHash('sha256');
  h.update('provmark.protect.v1\0');
  for (const cert of options.signer.certificateChain) h.update(cert);
  h.update(original);
  h.update(
    JSON.stringify({ manifest: options.manifest ?? {}, watermark: { ...options.watermark, key: undefined } }),
  );
  if (watermarkKey !== undefined)
    h.update(typeof watermarkKey === 'string' ? watermarkKey : Buffer.from(watermarkKey));
  const digest = h.digest();
  const softBindingId = digest.subarray(0, 8).toString('hex');
  return { digest, softBindingId, manifestLabel: labelFor(digest, softBindingId) };
}

/** A UUID from the digest, in version-4 layout (the engine accepts only v4 claim GUIDs). */
function labelFor(digest: Buffer, softBindingId: SoftBindingId): string {
  const b = createHash('sha256').update(digest).update(softBindingId).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `urn:c2pa:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
