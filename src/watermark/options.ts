/** Argument checks and error handling shared by the image, video and audio watermark adapters. */
import { isProvmarkError } from '../errors.js';

/** `strength` is an amplitude multiplier between 0.25 and 4 (default 1). */
export function checkStrength(strength: number | undefined): number {
  if (strength === undefined) return 1;
  if (typeof strength !== 'number' || !Number.isFinite(strength) || strength < 0.25 || strength > 4) {
    throw new RangeError(
      `Expected a number between 0.25 and 4 for strength but received ${String(strength)}`,
    );
  }
  return strength;
}

/** Errors about the environment or the path, which a detector re-throws instead of reporting. */
const ENVIRONMENT_CODES = new Set(['ERR_FFMPEG_MISSING', 'ERR_FILE_NOT_FOUND', 'ERR_FILE_IO']);

/**
 * Detection verdicts are data: a coded error about the content becomes `found: false` with the
 * code in the reason; environment errors and anything uncoded are re-thrown.
 */
export function notFoundFromContentError(err: unknown): { found: false; confidence: 0; reason: string } {
  if (isProvmarkError(err) && !ENVIRONMENT_CODES.has(err.code)) {
    return { found: false, confidence: 0, reason: `${err.code}: ${err.message}` };
  }
  throw err;
}
