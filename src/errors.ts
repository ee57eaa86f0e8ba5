/**
 * Every error that provmark throws for unusable input or a broken environment is a
 * {@link ProvmarkError} with a stable string `code`, so callers can `switch (err.code)`.
 * Misuse of the API (wrong argument types or ranges) throws `TypeError`/`RangeError` instead,
 * and verification verdicts are returned as data, never thrown.
 *
 * @example
 * ```ts
 * try { await sign(file, opts) } catch (err) {
 *   if (err instanceof ProvmarkError && err.code === 'ERR_KEY_CERT_MISMATCH') { ... }
 * }
 * ```
 */
export type ErrorCode =
  | 'ERR_UNSUPPORTED_FORMAT'
  | 'ERR_CORRUPT_MEDIA'
  | 'ERR_MEDIA_TOO_LARGE'
  | 'ERR_MEDIA_TOO_SMALL'
  | 'ERR_FILE_NOT_FOUND'
  | 'ERR_FILE_IO'
  | 'ERR_INVALID_KEY'
  | 'ERR_INVALID_CERTIFICATE'
  | 'ERR_CERT_EXPIRED'
  | 'ERR_CERT_IS_CA'
  | 'ERR_CERT_PROFILE'
  | 'ERR_KEY_CERT_MISMATCH'
  | 'ERR_INVALID_MANIFEST'
  | 'ERR_SIGNING_FAILED'
  | 'ERR_SIGNED_OUTPUT_INVALID'
  | 'ERR_C2PA_ENGINE'
  | 'ERR_TRUST_CONFIG'
  | 'ERR_NETWORK'
  | 'ERR_TIMESTAMP'
  | 'ERR_FFMPEG_MISSING'
  | 'ERR_FFMPEG_FAILED'
  | 'ERR_REPOSITORY'
  | 'ERR_REPOSITORY_VERSION'
  | 'ERR_NOT_FOUND'
  | 'ERR_CONFLICT'
  | 'ERR_UNSUPPORTED_OPERATION'
  | 'ERR_MODEL_LOAD'
  | 'ERR_WATERMARK'
  | 'ERR_NO_FACE'
  | ServerErrorCode;

/**
 * Codes that only `provmark serve` answers, as the `code` of its JSON error bodies (next to the
 * library's own codes above, e.g. ERR_NOT_FOUND or ERR_UNSUPPORTED_FORMAT); the library never
 * throws them.
 */
export type ServerErrorCode =
  | 'ERR_INVALID_REQUEST'
  | 'ERR_UNSUPPORTED_ALGORITHM'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_PAYLOAD_TOO_LARGE'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_FORBIDDEN'
  | 'ERR_RATE_LIMITED'
  | 'ERR_BUSY'
  | 'ERR_NOT_IMPLEMENTED'
  | 'ERR_INTERNAL';

export interface ProvmarkErrorOptions {
  /** What the user can do about it, one sentence. */
  readonly hint?: string;
  /** Machine-readable context (engine message, ffmpeg stderr, file path...). */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/**
 * The brand every provmark error carries: a registered symbol, so that an error made by another copy
 * of this module (the ESM and CJS builds loaded side by side) is still recognised, while Node's own
 * errors, which also have `ERR_*` codes (`Buffer.alloc(-1)` throws `ERR_OUT_OF_RANGE`), are not.
 */
const BRAND = Symbol.for('provmark.ProvmarkError');

/** Base class of all coded provmark errors. */
export class ProvmarkError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: ProvmarkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** The bytes are not a media format provmark (or the C2PA engine) supports. */
export class UnsupportedFormatError extends ProvmarkError {
  constructor(message: string, options?: ProvmarkErrorOptions) {
    super('ERR_UNSUPPORTED_FORMAT', message, {
      hint: 'Use JPEG, PNG, WebP, AVIF, HEIC, GIF, TIFF, SVG, MP4, MOV, M4A, WAV or MP3.',
      ...options,
    });
  }
}

/** The bytes claim a supported format but cannot be parsed (truncated, damaged, zero length). */
export class CorruptMediaError extends ProvmarkError {
  constructor(message: string, options?: ProvmarkErrorOptions) {
    super('ERR_CORRUPT_MEDIA', message, {
      hint: 'The file is truncated or damaged; use the original.',
      ...options,
    });
  }
}

/** Media over a configured limit (pixels, bytes, duration), refused before decoding. */
export class MediaTooLargeError extends ProvmarkError {
  constructor(message: string, options?: ProvmarkErrorOptions) {
    super('ERR_MEDIA_TOO_LARGE', message, {
      hint: 'Downscale the input or raise the limit option explicitly if you trust the source.',
      ...options,
    });
  }
}

/** Media under the minimum size an operation needs. */
export class MediaTooSmallError extends ProvmarkError {
  constructor(message: string, options?: ProvmarkErrorOptions) {
    super('ERR_MEDIA_TOO_SMALL', message, options);
  }
}

/** A file could not be read or written. */
export class FileError extends ProvmarkError {
  constructor(code: 'ERR_FILE_NOT_FOUND' | 'ERR_FILE_IO', message: string, options?: ProvmarkErrorOptions) {
    super(code, message, options);
  }
}

/** A key or certificate is unusable for C2PA signing. */
export class CredentialError extends ProvmarkError {
  constructor(
    code:
      | 'ERR_INVALID_KEY'
      | 'ERR_INVALID_CERTIFICATE'
      | 'ERR_CERT_EXPIRED'
      | 'ERR_CERT_IS_CA'
      | 'ERR_CERT_PROFILE'
      | 'ERR_KEY_CERT_MISMATCH',
    message: string,
    options?: ProvmarkErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** Signing did not produce a file that verifies, or the engine refused to sign. */
export class SigningError extends ProvmarkError {
  constructor(
    code: 'ERR_SIGNING_FAILED' | 'ERR_SIGNED_OUTPUT_INVALID' | 'ERR_INVALID_MANIFEST',
    message: string,
    options?: ProvmarkErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** The C2PA engine failed in a way that is not about the content (load failure, internal error). */
export class EngineError extends ProvmarkError {
  constructor(message: string, options?: ProvmarkErrorOptions) {
    super('ERR_C2PA_ENGINE', message, options);
  }
}

/** Trust configuration (anchors, lists) is unusable. */
export class TrustConfigError extends ProvmarkError {
  constructor(message: string, options?: ProvmarkErrorOptions) {
    super('ERR_TRUST_CONFIG', message, options);
  }
}

/** A network operation (trust list download, remote resolver) failed. */
export class NetworkError extends ProvmarkError {
  constructor(message: string, options?: ProvmarkErrorOptions) {
    super('ERR_NETWORK', message, options);
  }
}

/** A time-stamp authority (RFC 3161) was unreachable, refused, or answered something unusable. */
export class TimestampError extends ProvmarkError {
  constructor(message: string, options?: ProvmarkErrorOptions) {
    super('ERR_TIMESTAMP', message, options);
  }
}

/** The system ffmpeg/ffprobe is missing, too old, or failed. */
export class FfmpegError extends ProvmarkError {
  constructor(
    code: 'ERR_FFMPEG_MISSING' | 'ERR_FFMPEG_FAILED',
    message: string,
    options?: ProvmarkErrorOptions,
  ) {
    super(code, message, options);
  }
}

/**
 * The manifest repository failed or refused (schema from a newer version, conflicts), or was asked
 * for an operation its kind cannot do by design (`ERR_UNSUPPORTED_OPERATION`: listing a remote resolver).
 */
export class RepositoryError extends ProvmarkError {
  constructor(
    code:
      | 'ERR_REPOSITORY'
      | 'ERR_REPOSITORY_VERSION'
      | 'ERR_NOT_FOUND'
      | 'ERR_CONFLICT'
      | 'ERR_UNSUPPORTED_OPERATION',
    message: string,
    options?: ProvmarkErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** The bundled detector model could not be loaded. */
export class ModelLoadError extends ProvmarkError {
  constructor(message: string, options?: ProvmarkErrorOptions) {
    super('ERR_MODEL_LOAD', message, options);
  }
}

/** Watermark embedding could not be done on this input. */
export class WatermarkError extends ProvmarkError {
  constructor(message: string, options?: ProvmarkErrorOptions) {
    super('ERR_WATERMARK', message, options);
  }
}

/** An enrolment image shows no face, or several with none clearly the subject (likeness registry). */
export class FaceNotFoundError extends ProvmarkError {
  constructor(message: string, options?: ProvmarkErrorOptions) {
    super('ERR_NO_FACE', message, {
      hint: "Enrol with photos that show the person's face, frontal and at least about 80 px wide, alone or clearly the largest.",
      ...options,
    });
  }
}

/**
 * True when `err` is a coded provmark error, also one made by another copy of provmark (ESM + CJS).
 * Other errors with an `ERR_*` code (Node's own) are not provmark's.
 */
export function isProvmarkError(err: unknown): err is ProvmarkError {
  if (err instanceof ProvmarkError) return true;
  return (
    err instanceof Error &&
    (err as Error & { [BRAND]?: unknown })[BRAND] === true &&
    typeof (err as Error & { code?: unknown }).code === 'string'
  );
}
