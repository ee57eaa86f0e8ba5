/**
 * Many files at once, as async iterators: `verifyMany`, `inspectMany`, `detectMany`, `detectWatermarkMany`.
 * Work runs in worker threads (each loads the engine or model once), results stream out as each file completes,
 * and memory stays bounded whatever the number of files.
 */
import type { DetectReport } from '../detect/types.js';
import type { ProvenanceReport } from './inspect.js';
import type { TrustOptions } from '../verify/trust.js';
import type { VerifyReport } from '../verify/types.js';
import type { ImageWatermarkDetection } from '../watermark/image.js';
import { resolveJobs, runBatch } from '../batch/pool.js';
import { collectPaths } from '../batch/sources.js';
import type { BatchItem, BatchKind, BatchReports, BatchTaskOptions, ManyOptions } from '../batch/types.js';

/** Where the paths come from, and how files inside directories are chosen. */
export interface PathOptions {
  /** Globs a file found inside a directory must match (any of them); default every file. */
  readonly include?: readonly string[];
  /** Globs that skip files and whole directories found inside a directory. */
  readonly exclude?: readonly string[];
  /** Include dot-files and dot-directories found inside directories (default false). */
  readonly hidden?: boolean;
}

export type VerifyManyOptions = ManyOptions & PathOptions & { readonly trust?: TrustOptions };
export type InspectManyOptions = ManyOptions & PathOptions & BatchTaskOptions['inspect'];
export type DetectManyOptions = ManyOptions & PathOptions;
export type DetectWatermarkManyOptions = ManyOptions & PathOptions & { readonly key?: string };

/** Paths to work on: files, directories (walked recursively) and `"-"` (one path per line on stdin). */
export type ManyInput = Iterable<string> | AsyncIterable<string>;

function many<K extends BatchKind>(
  kind: K,
  paths: ManyInput,
  options: ManyOptions & PathOptions,
  task: BatchTaskOptions[K],
): AsyncGenerator<BatchItem<BatchReports[K]>> {
  if (
    paths === null ||
    (typeof paths !== 'object' && typeof paths !== 'function') ||
    typeof paths === 'string'
  )
    throw new TypeError('Expected an iterable or async iterable of path strings for paths');
  if (options === null || typeof options !== 'object') throw new TypeError('Expected an options object');
  for (const name of ['include', 'exclude'] as const) {
    const v = options[name];
    if (v !== undefined && (!Array.isArray(v) || v.some((p) => typeof p !== 'string')))
      throw new TypeError(`Expected an array of glob strings for ${name}`);
  }
  const jobs = resolveJobs(options.jobs);
  const source = collectPaths(paths, {
    ...(options.include ? { include: options.include } : {}),
    ...(options.exclude ? { exclude: options.exclude } : {}),
    ...(options.hidden ? { hidden: true } : {}),
  });
  return runBatch(kind, source, task, jobs);
}

/**
 * Verify the C2PA manifest of many files; one item per file, in completion order (`index` gives input order).
 *
 * @example
 * ```ts
 * import { verifyMany } from 'provmark/verify';
 * for await (const item of verifyMany(['archive/'], { include: ['*.jpg'], trust: { anchors: ['ca.pem'] } })) {
 *   if (item.error) console.error(item.path, item.error.code);
 *   else console.log(item.path, item.report.state);
 * }
 * ```
 */
export function verifyMany(
  paths: ManyInput,
  options: VerifyManyOptions = {},
): AsyncGenerator<BatchItem<VerifyReport>> {
  return many('verify', paths, options, options.trust ? { trust: options.trust } : {});
}

/**
 * Inspect many files (embedded manifest, watermark → repository, detector); one item per file as it completes.
 * `repository` and `resolver` are URLs (each worker thread opens its own connection).
 *
 * @example
 * ```ts
 * import { inspectMany } from 'provmark';
 * for await (const { path, index, report, error } of inspectMany(['photos/'], { repository: 'sqlite:repo.db', jobs: 2 })) {
 *   console.log(index, path, error ? error.code : report.verdict);
 * }
 * ```
 */
export function inspectMany(
  paths: ManyInput,
  options: InspectManyOptions = {},
): AsyncGenerator<BatchItem<ProvenanceReport>> {
  const { jobs: _jobs, include: _include, exclude: _exclude, hidden: _hidden, ...task } = options;
  return many('inspect', paths, options, task);
}

/**
 * Run the offline detector on many images; one item per file as it completes.
 *
 * @example
 * ```ts
 * import { detectMany } from 'provmark/detect';
 * for await (const item of detectMany(['ads/'])) if (item.report) console.log(item.path, item.report.label);
 * ```
 */
export function detectMany(
  paths: ManyInput,
  options: DetectManyOptions = {},
): AsyncGenerator<BatchItem<DetectReport>> {
  return many('detect', paths, options, {});
}

/**
 * Look for the provmark watermark in many images, videos or audio files; one item per file as it completes.
 *
 * @example
 * ```ts
 * import { detectWatermarkMany } from 'provmark/watermark';
 * for await (const item of detectWatermarkMany(['incoming/'], { jobs: 4 }))
 *   if (item.report?.found) console.log(item.path, item.report.payload);
 * ```
 */
export function detectWatermarkMany(
  paths: ManyInput,
  options: DetectWatermarkManyOptions = {},
): AsyncGenerator<BatchItem<ImageWatermarkDetection>> {
  return many('watermark', paths, options, options.key === undefined ? {} : { key: options.key });
}
