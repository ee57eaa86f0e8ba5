/**
 * Sign an asset with the engine. The engine hands us the claim bytes; we return a complete
 * COSE_Sign1 padded to the reserved size (the engine's own signer interface in this build takes
 * no certificate chain, so the chain travels in our protected header).
 */
import {
  encodePaddedSign1,
  encodeProtectedHeader,
  encodeSigStructure,
  encodeTimestampedData,
  type SigningAlgorithm,
} from './cose.js';
import { BytesBlob, ENGINE_SIGN_LIMIT, loadEngine } from './engine.js';
import { checkByteLimit } from '../media/io.js';
import { parseEngineError, toSigningError } from './engine-errors.js';
import { SigningError } from '../errors.js';

export interface ClaimSigner {
  readonly alg: SigningAlgorithm;
  readonly certificateChain: readonly Uint8Array[];
  /** Raw signature over the Sig_structure bytes. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export interface EngineIngredientInput {
  /** Engine ingredient JSON (title, relationship, label). */
  readonly json: Record<string, unknown>;
  readonly mime: string;
  readonly bytes: Uint8Array;
}

export interface EngineSignRequest {
  /** Engine manifest definition (snake_case JSON). */
  readonly definition: Record<string, unknown>;
  readonly contextJson: string;
  readonly mime: string;
  readonly asset: Uint8Array;
  readonly signer: ClaimSigner;
  readonly thumbnail?: { readonly mime: string; readonly bytes: Uint8Array };
  readonly ingredients?: readonly EngineIngredientInput[];
  /** Sidecar: leave the asset unchanged and return only the manifest store. */
  readonly noEmbed?: boolean;
  /** Write a remote-manifest reference (XMP `dcterms:provenance`) into the asset. */
  readonly remoteUrl?: string;
  /**
   * Time-stamp the claim signature: called with the bytes a `sigTst2` time-stamp covers, returns
   * the DER TimeStampToken that goes into the COSE unprotected header.
   */
  readonly timestamp?: (data: Uint8Array) => Promise<Uint8Array>;
}

export interface EngineSignResult {
  readonly asset: Uint8Array;
  readonly manifestStore: Uint8Array;
}

/** Room for the COSE structure beyond the certificates: signature (≤ 512 B for RSA-4096), headers, padding slack. */
const COSE_OVERHEAD = 2048;
/**
 * Room for a time-stamp token. The engine fixes the signature box size before the claim is
 * signed, so the token's size must be guessed: a token holds the TSA's certificates, and those
 * of public TSAs (RSA keys, two or three certificates) come to a few KB; 10 KiB leaves room for
 * a chain of RSA-4096 certificates.
 */
const TIMESTAMP_RESERVE = 10 * 1024;

export async function signWithEngine(req: EngineSignRequest): Promise<EngineSignResult> {
  // Over the cap the engine aborts the whole process; callers check earlier, this is the backstop.
  checkByteLimit(req.asset.length, 'asset', ENGINE_SIGN_LIMIT);
  for (const ing of req.ingredients ?? []) checkByteLimit(ing.bytes.length, 'ingredient', ENGINE_SIGN_LIMIT);
  const c2pa = await loadEngine();
  const { signer } = req;
  const protectedHeader = encodeProtectedHeader(signer.alg, signer.certificateChain);
  const reserveSize = protectedHeader.length + COSE_OVERHEAD + (req.timestamp ? TIMESTAMP_RESERVE : 0);
  let signerError: unknown;
  const definition = {
    sign: async (claim: Uint8Array): Promise<Uint8Array<ArrayBuffer>> => {
      try {
        const signature = await signer.sign(encodeSigStructure(protectedHeader, claim));
        // v2 time-stamps are taken after signing: they cover the signature itself.
        const token = req.timestamp
          ? await req.timestamp(encodeTimestampedData(protectedHeader, signature))
          : undefined;
        const cose = encodePaddedSign1(protectedHeader, signature, reserveSize, token);
        if (!cose) {
          throw new SigningError(
            'ERR_SIGNING_FAILED',
            token
              ? `The signature and the ${token.length}-byte time-stamp token do not fit the reserved space`
              : `The ${signature.length}-byte signature does not fit the reserved space`,
          );
        }
        return cose as Uint8Array<ArrayBuffer>;
      } catch (err) {
        signerError = err;
        throw err;
      }
    },
    reserveSize,
    alg: signer.alg.toLowerCase(),
  };

  let builder;
  try {
    builder = c2pa.WasmBuilder.fromJson(JSON.stringify(req.definition), req.contextJson);
  } catch (err) {
    throw new SigningError(
      'ERR_INVALID_MANIFEST',
      `The manifest definition is not valid: ${parseEngineError(err).message}`,
      {
        cause: err,
      },
    );
  }
  try {
    if (req.thumbnail) builder.setThumbnailFromBlob(req.thumbnail.mime, new BytesBlob(req.thumbnail.bytes));
    for (const ing of req.ingredients ?? []) {
      try {
        await builder.addIngredientFromBlob(JSON.stringify(ing.json), ing.mime, new BytesBlob(ing.bytes));
      } catch (err) {
        throw toSigningError(parseEngineError(err), ing.mime);
      }
    }
    if (req.remoteUrl) builder.setRemoteUrl(req.remoteUrl);
    if (req.noEmbed) builder.setNoEmbed(true);
    try {
      const out = (await builder.signAndGetManifestBytes(
        definition,
        [],
        req.mime,
        new BytesBlob(req.asset),
      )) as {
        manifest: Uint8Array;
        asset?: Uint8Array;
      };
      const asset = out.asset && out.asset.length > 0 ? out.asset : req.asset;
      return { asset, manifestStore: out.manifest };
    } catch (err) {
      if (signerError) throw signerError;
      throw toSigningError(parseEngineError(err), req.mime);
    }
  } finally {
    builder.free();
  }
}
