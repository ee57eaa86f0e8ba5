/**
 * Where a batch's paths come from: file arguments, directories walked recursively and `-` (one path per line on
 * stdin). Everything streams: directories are read with `opendir` one entry at a time and stdin line by line, so
 * memory does not grow with the number of files (only with the depth of the directory tree).
 */
import { opendir, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { compileGlob, matchesAny, type GlobMatcher } from './glob.js';
import type { BatchError } from './types.js';

/** A path to process, or one that could not even be listed (an unreadable directory). */
export type SourceItem = string | { readonly path: string; readonly error: BatchError };

export interface CollectPathsOptions {
  /** Globs a walked file must match (any of them); default: every file. */
  readonly include?: readonly string[];
  /** Globs that skip walked files and whole directories. */
  readonly exclude?: readonly string[];
  /** Walk into dot-files and dot-directories too (default false: `.DS_Store`, `.git` are skipped). */
  readonly hidden?: boolean;
  /** Where `-` reads its list from (default `process.stdin`). */
  readonly stdin?: Readable;
}

/**
 * Expand command-line inputs into file paths, in order: a file is yielded as given (even when it does not exist,
 * so that it gets its own error line), a directory is walked, and `-` reads paths from stdin (each of which may
 * itself be a directory). `include`/`exclude` apply to files found inside directories, matched against the path
 * relative to the directory given; explicitly named files are always yielded.
 */
export async function* collectPaths(
  inputs: Iterable<string> | AsyncIterable<string>,
  options: CollectPathsOptions = {},
): AsyncGenerator<SourceItem> {
  const include = (options.include ?? []).map(compileGlob);
  const exclude = (options.exclude ?? []).map(compileGlob);
  const filter = { include, exclude, hidden: options.hidden === true };
  let stdinUsed = false;
  for await (const input of inputs) {
    if (input === '-') {
      if (stdinUsed) throw new RangeError('Expected "-" (read paths from stdin) at most once');
      stdinUsed = true;
      for await (const line of readLines(options.stdin ?? process.stdin)) yield* expand(line, filter);
    } else yield* expand(input, filter);
  }
}

interface Filter {
  readonly include: readonly GlobMatcher[];
  readonly exclude: readonly GlobMatcher[];
  readonly hidden: boolean;
}

async function* readLines(stream: Readable): AsyncGenerator<string> {
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const raw of rl) {
    const line = raw.trim();
    if (line !== '') yield line;
  }
}

async function* expand(path: string, filter: Filter): AsyncGenerator<SourceItem> {
  let isDirectory = false;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch {
    // Missing or unreadable: yield it anyway, the per-file work reports the precise error.
  }
  if (isDirectory) yield* walk(path, path, filter);
  else yield path;
}

async function* walk(root: string, dir: string, filter: Filter): AsyncGenerator<SourceItem> {
  let handle;
  try {
    handle = await opendir(dir);
  } catch (err) {
    yield { path: dir, error: ioError(dir, err) };
    return;
  }
  // for await closes the directory handle when the loop ends or the consumer stops early.
  for await (const entry of handle) {
    if (!filter.hidden && entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    const rel = relative(root, full).split(sep).join('/');
    if (matchesAny(filter.exclude, rel)) continue;
    let kind: 'file' | 'dir' | 'other' = entry.isFile() ? 'file' : entry.isDirectory() ? 'dir' : 'other';
    if (entry.isSymbolicLink()) {
      // Linked files are followed; linked directories are not (a link back up would never end).
      kind = await stat(full).then(
        (s) => (s.isFile() ? 'file' : 'other'),
        () => 'other',
      );
    }
    if (kind === 'dir') yield* walk(root, full, filter);
    else if (kind === 'file' && (filter.include.length === 0 || matchesAny(filter.include, rel))) yield full;
  }
}

function ioError(path: string, err: unknown): BatchError {
  const e = err as NodeJS.ErrnoException;
  return {
    code: e.code === 'ENOENT' ? 'ERR_FILE_NOT_FOUND' : 'ERR_FILE_IO',
    message: `Cannot read directory ${path}: ${e.message ?? String(err)}`,
  };
}
