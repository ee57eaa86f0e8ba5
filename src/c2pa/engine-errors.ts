/**
 * The engine reports errors as strings such as `C2pa(JumbfNotFound)` or
 * `C2pa(RemoteManifestUrl("https://…"))`. This is the one place that reads them.
 */
import {
  CorruptMediaError,
  EngineError,
  ProvmarkError,
  SigningError,
  UnsupportedFormatError,
} from '../errors.js';

export interface EngineFailure {
  /** The variant name, e.g. `JumbfNotFound`; `Unknown` when the text has another shape. */
  readonly kind: string;
  /** The variant's argument, when it has one (a URL, a message). */
  readonly argument: string | undefined;
  /** The full engine text, kept for error details. */
  readonly message: string;
}

export function parseEngineError(err: unknown): EngineFailure {
  // The engine rejects with plain strings; a JS exception can come through the signer callback.
  const message =
    typeof err === 'string' ? err : err instanceof Error ? err.message : (JSON.stringify(err) ?? String(err));
  const m = /C2pa\((\w+)(?:\((.*)\))?\)/s.exec(message);
  if (!m) return { kind: 'Unknown', argument: undefined, message };
  const arg = m[2]?.trim().replace(/^"(.*)"$/s, '$1');
  return { kind: m[1]!, argument: arg, message };
}

/** Engine failures that mean "this file has no manifest". */
export const NO_MANIFEST_KINDS = new Set(['JumbfNotFound', 'ProvenanceMissing', 'JumbfBoxNotFound']);

/** Engine failures that mean the asset bytes themselves could not be parsed. */
const CORRUPT_KINDS = new Set([
  'InvalidAsset',
  'IoError',
  'JumbfParseError',
  'BadParam',
  'OtherError',
  'XmpReadError',
  'NotFound',
]);

/** Convert an engine failure during signing to a coded error. */
export function toSigningError(failure: EngineFailure, mime: string): ProvmarkError {
  const details = { engine: failure.message };
  if (failure.kind === 'UnsupportedType') {
    return new UnsupportedFormatError(`The C2PA engine cannot sign ${mime} files`, { details });
  }
  if (
    failure.kind === 'BadParam' ||
    failure.kind === 'AssertionSpecificError' ||
    failure.kind === 'AssertionMissing'
  ) {
    return new SigningError(
      'ERR_INVALID_MANIFEST',
      `The engine rejected a signing parameter: ${failure.argument ?? failure.message}`,
      { details },
    );
  }
  if (failure.kind === 'InvalidManifest') {
    return new SigningError(
      'ERR_INVALID_MANIFEST',
      `The engine rejected the manifest: ${failureCodes(failure.message).join(', ')}`,
      {
        hint: 'Fix the manifest definition (actions, assertions) and sign again.',
        details,
      },
    );
  }
  if (CORRUPT_KINDS.has(failure.kind)) {
    return new CorruptMediaError(
      `The ${mime} file cannot be parsed for signing (${failure.kind}${failure.argument ? `: ${failure.argument}` : ''})`,
      {
        details,
      },
    );
  }
  return new EngineError(`The C2PA engine failed to sign: ${failure.message}`, { details });
}

/** Failure codes quoted in an engine `InvalidManifest(ValidationResults { … failure: [...] })` text. */
function failureCodes(message: string): string[] {
  const failures = message.slice(message.indexOf('failure: ['));
  return [...failures.matchAll(/code: "([^"]+)"(?:[^}]*?explanation: Some\("([^"]*)"\))?/g)].map((m) =>
    m[2] ? `${m[1]} (${m[2]})` : m[1]!,
  );
}
