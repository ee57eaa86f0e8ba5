/**
 * The batch side of `verify`, `inspect`, `detect` and `watermark detect`: directories, `-` (paths on stdin),
 * --include/--exclude, --jobs worker threads, NDJSON streamed as files complete, a progress bar on a TTY,
 * a summary line on stderr and --resume. Memory is bounded: results are written as they arrive and exit codes
 * and verdicts are tallied, never kept per file (only --resume keeps the set of paths already done).
 */
import type { Command } from 'commander';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { FileError } from '../errors.js';
import { resolveJobs, runBatch } from '../batch/pool.js';
import { collectPaths, type SourceItem } from '../batch/sources.js';
import type { BatchError, BatchKind, BatchReports, BatchTaskOptions } from '../batch/types.js';
import { combineExitCodes } from './exit-codes.js';
import { EXIT } from './io.js';
import { createBatchProgress } from './progress.js';

export interface BatchFlags {
  readonly jobs?: string;
  readonly include?: string[];
  readonly exclude?: string[];
  readonly hidden?: boolean;
  readonly resume?: string;
  readonly json?: boolean;
  readonly progress?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The options every batch-capable command shares. */
export function addBatchFlags(cmd: Command): Command {
  return cmd
    .option(
      '--jobs <n>',
      'files handled in parallel by worker threads (default: the number of cores; 0: none)',
    )
    .option('--include <glob>', 'in directories, only files matching this glob (repeatable)', collect)
    .option(
      '--exclude <glob>',
      'in directories, skip files and folders matching this glob (repeatable)',
      collect,
    )
    .option('--hidden', 'in directories, also walk dot-files and dot-folders')
    .option(
      '--resume <ndjson>',
      'skip files already in this earlier --json output and append new lines to it',
    )
    .option('--no-progress', 'no progress bar on stderr (it is drawn only on a terminal anyway)');
}

/** How one command turns a report into its exit code, summary verdict, JSON line and human text. */
export interface BatchPresenter<R> {
  readonly label: string;
  exitCode(report: R): number;
  verdict(report: R): string;
  json(file: string, index: number, report: R): Record<string, unknown>;
  /** Human text (ending with a newline) and whether it goes to stderr. */
  human(file: string, report: R): { readonly text: string; readonly toStderr?: boolean };
}

function parseJobs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 256)
    throw new RangeError(
      `Expected integer between 0 and 256 for --jobs but received ${JSON.stringify(value)}`,
    );
  return n;
}

/** Files already present in an earlier NDJSON output (read line by line; a torn last line is ignored). */
async function readDone(path: string): Promise<Set<string>> {
  const done = new Set<string>();
  if (!existsSync(path)) return done;
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  try {
    for await (const line of rl) {
      if (line.trim() === '') continue;
      try {
        const file = (JSON.parse(line) as { file?: unknown }).file;
        if (typeof file === 'string') done.add(file);
      } catch {
        // a line cut short when the earlier run was killed: that file is done again
      }
    }
  } catch (err) {
    throw new FileError('ERR_FILE_IO', `Cannot read ${path} for --resume: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return done;
}

/** Open the --resume file for appending, starting on a fresh line if the earlier run was cut mid-line. */
async function openAppend(path: string): Promise<Writable> {
  let needsNewline = false;
  try {
    const h = await open(path, 'r');
    try {
      const { size } = await h.stat();
      if (size > 0) {
        const last = Buffer.alloc(1);
        await h.read(last, 0, 1, size - 1);
        needsNewline = last[0] !== 0x0a;
      }
    } finally {
      await h.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new FileError('ERR_FILE_IO', `Cannot open ${path} for --resume: ${(err as Error).message}`, {
        cause: err,
      });
  }
  const out = createWriteStream(path, { flags: 'a' });
  await new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve());
    out.once('error', (err) =>
      reject(
        new FileError('ERR_FILE_IO', `Cannot write ${path} for --resume: ${err.message}`, { cause: err }),
      ),
    );
  });
  if (needsNewline) out.write('\n');
  return out;
}

/** True when the inputs are one existing regular file: then the work runs in this thread, with no summary. */
function isSingleFile(inputs: readonly string[]): boolean {
  if (inputs.length !== 1 || inputs[0] === '-') return false;
  try {
    return !statSync(inputs[0]!).isDirectory();
  } catch {
    return true; // missing: one error line, no workers needed
  }
}

/**
 * Run one batch command and return its exit code: the most severe per-file code (2 input error, then 1, then 3).
 */
export async function runBatchCommand<K extends BatchKind>(
  kind: K,
  inputs: readonly string[],
  flags: BatchFlags,
  task: BatchTaskOptions[K],
  presenter: BatchPresenter<BatchReports[K]>,
): Promise<number> {
  const requested = parseJobs(flags.jobs);
  const single = isSingleFile(inputs) && !flags.resume;
  const jobs = single ? 0 : resolveJobs(requested);
  const json = flags.json === true || flags.resume !== undefined;
  const done = flags.resume ? await readDone(flags.resume) : undefined;
  const out: Writable = flags.resume ? await openAppend(flags.resume) : process.stdout;

  const pathOptions = {
    ...(flags.include ? { include: flags.include } : {}),
    ...(flags.exclude ? { exclude: flags.exclude } : {}),
    ...(flags.hidden ? { hidden: true } : {}),
  };
  const progress = createBatchProgress(presenter.label, !single && flags.progress !== false);
  let listed = 0;
  let total: number | undefined;
  let skipped = 0;
  if (progress.enabled && !inputs.includes('-')) {
    // The work pulls paths only as fast as it goes; a separate walk that only counts gives the bar its total early.
    void (async () => {
      let n = 0;
      for await (const item of collectPaths(inputs, pathOptions))
        if (!(done && typeof item === 'string' && done.has(item))) n++;
      total ??= n;
    })().catch(() => undefined);
  }
  async function* source(): AsyncGenerator<SourceItem> {
    for await (const item of collectPaths(inputs, pathOptions)) {
      if (done && typeof item === 'string' && done.has(item)) {
        skipped++;
        continue;
      }
      listed++;
      yield item;
    }
    total = listed;
  }

  // A closed pipe (`| head`) ends the batch quietly instead of crashing on EPIPE; other write errors are thrown.
  let closed = false;
  let outError: Error | undefined;
  const onOutError = (err: NodeJS.ErrnoException): void => {
    closed = true;
    if (err.code !== 'EPIPE') outError ??= err;
  };
  out.on('error', onOutError);

  const codes = new Map<number, number>();
  const verdicts = new Map<string, number>();
  // Files that could not be read, by error code: thrown errors and reports that carry one (an unsupported format in a
  // walked folder) alike, so the summary's error count is every file that got no verdict.
  const errorCodes = new Map<string, number>();
  const countError = (code: string) => errorCodes.set(code, (errorCodes.get(code) ?? 0) + 1);
  let count = 0;
  const start = performance.now();

  const write = async (stream: Writable, text: string): Promise<void> => {
    if (closed) return;
    // Wait for the reader: results are not buffered without bound when stdout is slower than the workers.
    if (!stream.write(text)) await once(stream, 'drain').catch(() => undefined); // 'error' rejects: onOutError saw it
  };

  try {
    for await (const item of runBatch(kind, source(), task, jobs)) {
      if (closed) break;
      count++;
      let code: number;
      // Erase the bar only when this line goes to the terminal it is drawn on.
      if (!json || (out === process.stdout && process.stdout.isTTY)) progress.clear();
      if (item.error) {
        countError(item.error.code);
        code = EXIT.usage;
        if (json)
          await write(out, `${JSON.stringify({ file: item.path, index: item.index, error: item.error })}\n`);
        else process.stderr.write(`provmark: ${item.error.code}: ${oneLine(item.path, item.error)}\n`);
      } else {
        code = presenter.exitCode(item.report);
        const verdict = presenter.verdict(item.report);
        if (verdict.startsWith('error ')) countError(verdict.slice('error '.length));
        else verdicts.set(verdict, (verdicts.get(verdict) ?? 0) + 1);
        if (json) await write(out, `${JSON.stringify(presenter.json(item.path, item.index, item.report))}\n`);
        else {
          const h = presenter.human(item.path, item.report);
          if (h.toStderr) process.stderr.write(h.text);
          else await write(out, h.text);
        }
      }
      codes.set(code, (codes.get(code) ?? 0) + 1);
      progress.tick(count, total);
    }
  } finally {
    progress.done();
    // onOutError stays attached: an EPIPE for a line still buffered may arrive after the loop.
    if (out !== process.stdout && !closed) await new Promise<void>((resolve) => out.end(resolve));
  }
  if (outError)
    throw new FileError('ERR_FILE_IO', `Cannot write the results: ${outError.message}`, { cause: outError });

  if (!single) {
    const seconds = (performance.now() - start) / 1000;
    const parts = [...verdicts].sort((a, b) => b[1] - a[1]).map(([v, n]) => `${v} ${n}`);
    const errors = [...errorCodes.values()].reduce((a, b) => a + b, 0);
    const byCode = [...errorCodes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`);
    process.stderr.write(
      `provmark: ${count} file${count === 1 ? '' : 's'} in ${seconds.toFixed(1)} s ` +
        `(${(count / Math.max(seconds, 1e-3)).toFixed(1)} files/s, ${jobs === 0 ? 'no worker threads' : `${jobs} worker${jobs === 1 ? '' : 's'}`}): ` +
        `${parts.length ? parts.join(', ') : 'no verdicts'}; ${errors} error${errors === 1 ? '' : 's'}` +
        `${byCode.length ? ` (${byCode.join(', ')})` : ''}` +
        `${skipped ? `; ${skipped} skipped (already in ${flags.resume})` : ''}\n`,
    );
  }
  return combineExitCodes(codes.keys());
}

function oneLine(path: string, e: BatchError): string {
  const message = e.message.replace(/\s*\n\s*/g, ' ');
  return message.includes(path) ? message : `${path}: ${message}`;
}
