/**
 * sign(): the public signing call. The input is read and sniffed once, trust is resolved once, the
 * signing step (src/sign/sign.ts) signs, and the output is read back and validated under the same
 * trust before it is returned: a file that does not verify is never handed out.
 */
import type { EngineTrust } from '../c2pa/context.js';
import { ENGINE_SIGN_LIMIT } from '../c2pa/engine.js';
import { SigningError } from '../errors.js';
import { assetWithFormat, readAsset, type MediaAsset } from '../media/asset.js';
import type { MediaFormat, MediaInput } from '../types.js';
import { checkSigningOptions, signAsset, type SigningOptions } from '../sign/sign.js';
import { resolveTrust, type TrustOptions } from '../verify/trust.js';
import type { ManifestReport } from '../verify/types.js';
import { verifyAsset } from '../verify/verify.js';

export interface SignOptions extends SigningOptions {
  /** Trust used to validate the parent ingredient and to read the result back. */
  readonly trust?: TrustOptions;
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
  checkSigningOptions(options);
  const asset = await readAsset(input, 'input', ENGINE_SIGN_LIMIT);
  return signAndReadBack(asset, options, await resolveTrust(options.trust));
}

/**
 * Sign an asset and read the output back under the same trust: {@link sign} behind its checks,
 * and protect()'s signing step. Options must have passed `checkSigningOptions`.
 */
export async function signAndReadBack(
  asset: MediaAsset,
  options: SigningOptions,
  trust: EngineTrust,
): Promise<SignResult> {
  const signed = await signAsset(asset, options, trust);
  // Signing keeps the container, so the output has the input's format.
  const report = await verifyAsset(
    assetWithFormat(signed.bytes, asset.format),
    trust,
    options.sidecar ? { sidecar: signed.manifestStore } : {},
  );
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
      `The signed ${asset.format.mime} file does not verify (${codes.join(', ') || report.state})`,
      {
        hint: 'This is a bug or an engine limitation for this file; the output was not written.',
        details: { statuses: report.statuses },
      },
    );
  }
  return {
    bytes: signed.bytes,
    manifestStore: signed.manifestStore,
    manifestId: report.activeManifest.manifestId,
    format: asset.format.format,
    report,
  };
}
