/**
 * Per-file verdict → exit code, in one place for every command that reads files (README "Exit codes"), and how
 * several files combine. Batch runs tally codes instead of keeping them, so memory does not grow with files.
 */
import type { DetectReport } from '../detect/types.js';
import type { ProvenanceReport } from '../flows/inspect.js';
import type { VerifyReport } from '../verify/types.js';
import type { ImageWatermarkDetection } from '../watermark/image.js';
import { EXIT } from './io.js';

/** `verify`: 0 trusted or valid, 1 invalid (or untrusted with --require-trusted), 3 absent/remote, 2 input error. */
export function verifyExitCode(report: VerifyReport, requireTrusted: boolean): number {
  if (report.state === 'absent') return 'error' in report && report.error ? EXIT.usage : EXIT.absent;
  if (report.state === 'remote') return EXIT.absent;
  if (report.state === 'invalid') return EXIT.failed;
  if (report.state === 'valid' && requireTrusted) return EXIT.failed;
  return EXIT.ok;
}

/**
 * `inspect`: 0 verified/recovered (and untrusted-signer without --require-trusted), 1 tampered,
 * invalid-credential, invalid or conflict, 3 no provenance, 2 input error.
 */
export function inspectExitCode(r: ProvenanceReport, requireTrusted: boolean): number {
  if (r.error) return EXIT.usage;
  // Compared as strings: the verdict list grows (invalid-credential), and an unknown one must not pass as success.
  switch (r.verdict as string) {
    case 'verified':
      return EXIT.ok;
    case 'recovered':
      return requireTrusted && r.recovered?.state !== 'trusted' ? EXIT.failed : EXIT.ok;
    case 'untrusted-signer':
      return requireTrusted ? EXIT.failed : EXIT.ok;
    case 'tampered':
    case 'invalid-credential':
    case 'invalid':
    case 'conflict':
      return EXIT.failed;
    case 'no-provenance':
      return EXIT.absent;
    default:
      // A verdict this CLI does not know yet (a newer library): not a success.
      return EXIT.failed;
  }
}

/** `watermark detect`: 0 found, 3 not found. */
export function watermarkExitCode(r: ImageWatermarkDetection): number {
  return r.found ? EXIT.ok : EXIT.absent;
}

/** `detect`: every label is an answer, so 0; only files that cannot be read (2) change the exit code. */
export function detectExitCode(_r: DetectReport): number {
  return EXIT.ok;
}

/** Several files: input errors win, then failures, then "absent". */
export function combineExitCodes(codes: Iterable<number>): number {
  const seen = new Set(codes);
  for (const c of [EXIT.usage, EXIT.failed, EXIT.absent]) if (seen.has(c)) return c;
  return EXIT.ok;
}
