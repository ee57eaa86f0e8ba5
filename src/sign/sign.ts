import { signWithEngine, type ClaimSigner, type EngineIngredientInput } from '../c2pa/build.js';
import { engineContextJson } from '../c2pa/context.js';
import { ENGINE_SIGN_LIMIT } from '../c2pa/engine.js';
import { CredentialError, SigningError } from '../errors.js';
import { makeThumbnail, readImageInfo } from '../media/image.js';
import { readMediaInput } from '../media/io.js';
import { sniffFormat } from '../media/sniff.js';
import type { MediaFormat, MediaInput } from '../types.js';
import { resolveTrust, type TrustOptions } from '../verify/trust.js';
import type { ManifestReport } from '../verify/types.js';
import { verify } from '../verify/verify.js';
import { buildManifestDefinition, type ManifestInput } from './manifest.js';
import {
  LIKENESS_ASSERTION_LABEL,
  likenessAssertion,
  type LikenessDeclaration,
} from '../likeness/declare.js';
import { signatureMatchesCertificate, type Signer } from './signers.js';
import { checkTimestampOptions, requestTimestamp, type TimestampOptions } from './timestamp.js';

export interface SignOptions {
  readonly signer: Signer;
  readonly manifest?: ManifestInput;
  /** An earlier version of this asset (ideally itself signed): recorded as the `parentOf` ingredient. */
  readonly parent?: MediaInput;
  /** Embed a JPEG thumbnail of the asset (images only). Default true. */
  readonly thumbnail?: boolean;
  /** Trust used to validate the parent ingredient and to read the result back. */
  readonly trust?: TrustOptions;
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

export interface SignResult {
  /** The signed asset (unchanged bytes for a sidecar). */
  readonly bytes: Uint8Array;
  /** The C2PA manifest store (`application/c2pa`), e.g. for a repository or a `.c2pa` sidecar. */
  readonly manifestStore: Uint8Array;
  /** Label of the new active manifest (`urn:c2pa:…`). */
  readonly manifestId: string;
  readonly format: MediaFormat;
  /** The verification of the output that {@link sign} did before returning it. */
  readonly report: ManifestReport;
}

const PARENT_LABEL = 'parent';
/** Failures that come from what the caller put in the manifest, not from signing. */
const MANIFEST_PROBLEM = /^assertion\.[A-Za-z]+\.(malformed|missing|multiple)$|^assertion\.action\./;

/**
 * Sign `input` with a C2PA manifest. The output is read back and verified; a file that does not
 * verify is never returned (ERR_SIGNED_OUTPUT_INVALID).
 *
 * @example
 * ```ts
 * const signer = await createPemSigner({ key: 'signer.key.pem', certificate: 'chain.pem' });
 * const { bytes, manifestId } = await sign('photo.jpg', { signer, manifest: { title: 'Harbour at dawn' } });
 * ```
 */
export async function sign(input: MediaInput, options: SignOptions): Promise<SignResult> {
  if (!options || typeof options !== 'object')
    throw new TypeError('Expected an options object with a signer');
  const { signer } = options;
  if (!signer || typeof signer.sign !== 'function' || !Array.isArray(signer.certificateChain)) {
    throw new TypeError(
      'Expected a Signer (createPemSigner, createEd25519Signer or createCallbackSigner) for signer',
    );
  }
  if (options.timestamp !== undefined) checkTimestampOptions(options.timestamp);
  const asset = await readMediaInput(input, 'input', ENGINE_SIGN_LIMIT);
  const format = sniffFormat(asset);
  if (format.kind === 'manifest')
    throw new RangeError('Expected a media file to sign but received a C2PA manifest store');
  const limits = options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : undefined;
  if (format.decodableImage) await readImageInfo(asset, limits);

  const ingredients: EngineIngredientInput[] = [];
  if (options.parent !== undefined) {
    const parent = await readMediaInput(options.parent, 'parent', ENGINE_SIGN_LIMIT);
    const parentFormat = sniffFormat(parent);
    ingredients.push({
      json: {
        title: options.manifest?.title ? `parent of ${options.manifest.title}` : 'parent',
        relationship: 'parentOf',
        label: PARENT_LABEL,
      },
      mime: parentFormat.mime,
      bytes: parent,
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
  if (options.manifestLabel !== undefined) {
    if (
      !/^urn:c2pa:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(options.manifestLabel)
    ) {
      throw new RangeError(
        `Expected urn:c2pa:UUID (lower-case) for manifestLabel but received ${JSON.stringify(options.manifestLabel)}`,
      );
    }
    definition.label = options.manifestLabel;
  }
  const thumbBytes =
    options.thumbnail !== false && format.decodableImage
      ? await makeThumbnail(asset, 1024, limits)
      : undefined;
  const trust = await resolveTrust(options.trust);

  const { asset: signed, manifestStore } = await signWithEngine({
    definition,
    // Our read-back below is a full validation, so the engine's own post-sign check would be a second one.
    contextJson: engineContextJson({ trust, verifyAfterSign: false }),
    mime: format.mime,
    asset,
    signer: checkedSigner(signer),
    ...(thumbBytes ? { thumbnail: { mime: 'image/jpeg', bytes: thumbBytes } } : {}),
    ingredients,
    ...(options.sidecar ? { noEmbed: true } : {}),
    ...(options.remoteUrl ? { remoteUrl: options.remoteUrl } : {}),
    ...(options.timestamp ? { timestamp: timestamper(options.timestamp) } : {}),
  });

  const report = await verify(signed, {
    ...(options.trust ? { trust: options.trust } : {}),
    ...(options.sidecar ? { sidecar: manifestStore } : {}),
  });
  if (
    report.state === 'absent' ||
    report.state === 'remote' ||
    report.state === 'invalid' ||
    !report.activeManifest
  ) {
    const failures = report.statuses.filter(
      (s) => s.kind === 'failure' && s.code !== 'signingCredential.untrusted',
    );
    const codes = failures.map((s) => s.code);
    if (failures.length > 0 && failures.every((s) => MANIFEST_PROBLEM.test(s.code))) {
      throw new SigningError(
        'ERR_INVALID_MANIFEST',
        `The manifest is not valid C2PA: ${failures.map((f) => `${f.code} (${f.explanation})`).join(', ')}`,
        {
          hint: 'Fix the manifest definition (actions, assertions); nothing was written.',
          details: { statuses: report.statuses },
        },
      );
    }
    throw new SigningError(
      'ERR_SIGNED_OUTPUT_INVALID',
      `The signed ${format.mime} file does not verify (${codes.join(', ') || report.state})`,
      {
        hint: 'This is a bug or an engine limitation for this file; the output was not written.',
        details: { statuses: report.statuses },
      },
    );
  }
  return {
    bytes: signed,
    manifestStore,
    manifestId: report.activeManifest.manifestId,
    format: format.format,
    report,
  };
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
