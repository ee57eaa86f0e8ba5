/**
 * The signing step: a C2PA manifest built, signed and embedded (or kept aside as a sidecar) by the
 * engine. It takes an asset already read and sniffed and trust already resolved; the public
 * `sign()` (src/flows/sign.ts) reads the input, resolves trust, calls this, and reads the output
 * back before returning it.
 */
import { signWithEngine, type ClaimSigner, type EngineIngredientInput } from '../c2pa/build.js';
import { engineContextJson, type EngineTrust } from '../c2pa/context.js';
import { ENGINE_SIGN_LIMIT } from '../c2pa/engine.js';
import { CredentialError } from '../errors.js';
import { readAsset, type MediaAsset } from '../media/asset.js';
import { makeThumbnail, readImageInfo } from '../media/image.js';
import type { MediaInput } from '../types.js';
import { buildManifestDefinition, type ManifestInput } from './manifest.js';
import {
  LIKENESS_ASSERTION_LABEL,
  likenessAssertion,
  type LikenessDeclaration,
} from '../likeness/declare.js';
import { signatureMatchesCertificate, type Signer } from './signers.js';
import { checkTimestampOptions, requestTimestamp, type TimestampOptions } from './timestamp.js';

/** What shapes a signature, besides trust (see `SignOptions` in src/flows/sign.ts). */
export interface SigningOptions {
  readonly signer: Signer;
  readonly manifest?: ManifestInput;
  /** An earlier version of this asset (ideally itself signed): recorded as the `parentOf` ingredient. */
  readonly parent?: MediaInput;
  /** Embed a JPEG thumbnail of the asset (images only). Default true. */
  readonly thumbnail?: boolean;
  /** Produce a sidecar: the asset is returned unchanged and the manifest store is the result. */
  readonly sidecar?: boolean;
  /** Reference a remote copy of the manifest store from the asset (XMP `dcterms:provenance`). */
  readonly remoteUrl?: string;
  /** Pixel cap for images (thumbnail decoding). */
  readonly maxPixels?: number;
  /** Label of the new manifest (`urn:c2pa:UUID`); default: a random UUID chosen by the engine. */
  readonly manifestLabel?: string;
  /**
   * Time-stamp the signature with an RFC 3161 time-stamp authority (stored in the COSE `sigTst2`
   * header, C2PA 2.1+). With a trusted time-stamp the signature stays valid after the signer
   * certificate expires. Signing fails with ERR_TIMESTAMP when the TSA cannot give one.
   */
  readonly timestamp?: TimestampOptions;
  /**
   * The registered people the asset depicts and the consent reference: written as the assertion
   * `org.provmark.likeness`, which `checkLikeness` compares with the faces it finds.
   */
  readonly likeness?: LikenessDeclaration;
}

/** The engine's output, not yet read back. */
export interface SignedAsset {
  /** The signed asset (unchanged bytes for a sidecar), same format as the input. */
  readonly bytes: Uint8Array;
  /** The C2PA manifest store (`application/c2pa`). */
  readonly manifestStore: Uint8Array;
}

const PARENT_LABEL = 'parent';
const MANIFEST_LABEL = /^urn:c2pa:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Misuse checks done before anything is read: a Signer, time-stamp options, the manifest label. */
export function checkSigningOptions(options: SigningOptions): void {
  if (!options || typeof options !== 'object')
    throw new TypeError('Expected an options object with a signer');
  const { signer } = options;
  if (!signer || typeof signer.sign !== 'function' || !Array.isArray(signer.certificateChain)) {
    throw new TypeError(
      'Expected a Signer (createPemSigner, createEd25519Signer or createCallbackSigner) for signer',
    );
  }
  if (options.timestamp !== undefined) checkTimestampOptions(options.timestamp);
  if (options.manifestLabel !== undefined && !MANIFEST_LABEL.test(options.manifestLabel)) {
    throw new RangeError(
      `Expected urn:c2pa:UUID (lower-case) for manifestLabel but received ${JSON.stringify(options.manifestLabel)}`,
    );
  }
}

/**
 * Sign `asset` (options checked by {@link checkSigningOptions}) under `trust`, which validates a
 * parent ingredient. The output is not validated here: the caller reads it back.
 */
export async function signAsset(
  asset: MediaAsset,
  options: SigningOptions,
  trust: EngineTrust,
): Promise<SignedAsset> {
  const { format } = asset;
  if (format.kind === 'manifest')
    throw new RangeError('Expected a media file to sign but received a C2PA manifest store');
  const limits = options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : undefined;
  if (format.decodableImage) await readImageInfo(asset.bytes, limits);

  const ingredients: EngineIngredientInput[] = [];
  if (options.parent !== undefined) {
    const parent = await readAsset(options.parent, 'parent', ENGINE_SIGN_LIMIT);
    ingredients.push({
      json: {
        title: options.manifest?.title ? `parent of ${options.manifest.title}` : 'parent',
        relationship: 'parentOf',
        label: PARENT_LABEL,
      },
      mime: parent.format.mime,
      bytes: parent.bytes,
    });
  }
  const manifestInput: ManifestInput | undefined =
    options.likeness === undefined
      ? options.manifest
      : {
          ...options.manifest,
          assertions: [
            ...(options.manifest?.assertions ?? []).filter((a) => a.label !== LIKENESS_ASSERTION_LABEL),
            likenessAssertion(options.likeness),
          ],
        };
  const definition = buildManifestDefinition(manifestInput, {
    mime: format.mime,
    ...(ingredients.length ? { parentLabel: PARENT_LABEL } : {}),
  });
  if (options.manifestLabel !== undefined) definition.label = options.manifestLabel;
  const thumbBytes =
    options.thumbnail !== false && format.decodableImage
      ? await makeThumbnail(asset.bytes, 1024, limits)
      : undefined;

  const { asset: signed, manifestStore } = await signWithEngine({
    definition,
    // The caller's read-back is a full validation, so the engine's own post-sign check would be a second one.
    contextJson: engineContextJson({ trust, verifyAfterSign: false }),
    mime: format.mime,
    asset: asset.bytes,
    signer: checkedSigner(options.signer),
    ...(thumbBytes ? { thumbnail: { mime: 'image/jpeg', bytes: thumbBytes } } : {}),
    ingredients,
    ...(options.sidecar ? { noEmbed: true } : {}),
    ...(options.remoteUrl ? { remoteUrl: options.remoteUrl } : {}),
    ...(options.timestamp ? { timestamp: timestamper(options.timestamp) } : {}),
  });
  return { bytes: signed, manifestStore };
}

function timestamper(options: TimestampOptions): (data: Uint8Array) => Promise<Uint8Array> {
  return async (data) => (await requestTimestamp(data, options)).token;
}

/** Check every signature against the certificate before it goes into a file. */
function checkedSigner(signer: Signer): ClaimSigner {
  return {
    alg: signer.alg,
    certificateChain: signer.certificateChain,
    async sign(data) {
      const signature = await signer.sign(data);
      if (!(signature instanceof Uint8Array))
        throw new TypeError('Expected the signer to return a Uint8Array signature');
      if (!signatureMatchesCertificate(signer, data, signature)) {
        throw new CredentialError(
          'ERR_KEY_CERT_MISMATCH',
          'The signature does not verify with the signer certificate: the key and certificate do not match',
          {
            hint: 'Check that the signing key (or KMS key) belongs to the first certificate of the chain.',
          },
        );
      }
      return signature;
    },
  };
}
