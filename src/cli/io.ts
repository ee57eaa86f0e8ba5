import { isProvmarkError } from '../errors.js';

/** Exit codes shared by every command (README "CLI"). */
export const EXIT = { ok: 0, failed: 1, usage: 2, absent: 3 } as const;

/** Print one JSON object per line (NDJSON) on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** One line: a coded error (provmark's own, or one a report carries as data) and what to do. */
export function formatCoded(code: string, message: string, hint?: string): string {
  return `provmark: ${code}: ${message}${hint ? ` — ${hint}` : ''}`;
}

/** One line on stderr: the error code and what to do. */
export function formatError(err: unknown): string {
  if (isProvmarkError(err)) return formatCoded(err.code, err.message, err.hint);
  if (err instanceof TypeError || err instanceof RangeError) return `provmark: ERR_USAGE: ${err.message}`;
  return `provmark: ERR_INTERNAL: ${err instanceof Error ? err.message : String(err)} — please report this as a bug`;
}

export function printError(err: unknown): void {
  process.stderr.write(`${formatError(err).replace(/\s*\n\s*/g, ' ')}\n`);
}

/**
 * Run a command body and turn its result into the process exit code.
 * Coded errors and misuse exit 2 with one line on stderr; never a stack trace.
 */
export async function runCommand(body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (err) {
    printError(err);
    process.exitCode = EXIT.usage;
  }
}

/**
 * A file that could not be examined in a multi-file command: one line on stderr, or a JSON object
 * `{ file, error: { code, message } }` with --json. Returns the exit code to record for it.
 * Anything that is not a coded error is re-thrown.
 */
export function reportFileError(file: string, err: unknown, json: boolean | undefined): number {
  if (!isProvmarkError(err)) throw err;
  if (json) printJson({ file, error: { code: err.code, message: err.message } });
  else process.stderr.write(`${formatError(err)}\n`);
  return EXIT.usage;
}
