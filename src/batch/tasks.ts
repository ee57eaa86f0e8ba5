/**
 * The per-file work of each batch kind, shared by worker threads and the in-thread mode: a runner is created
 * once (engine, model and repository load on first use and stay loaded) and then handles many files.
 */
import { open } from 'node:fs/promises';
import type { EngineTrust } from '../c2pa/context.js';
import { FileError, ProvmarkError, isProvmarkError, type ErrorCode } from '../errors.js';
import { readMediaInput } from '../media/io.js';
import { sniffFormat, type FormatInfo } from '../media/sniff.js';
import type { ManifestRepository } from '../repository/types.js';
import type { BatchError, BatchKind, BatchReports, BatchTaskOptions, BatchTrust } from './types.js';

export interface TaskRunner<K extends BatchKind> {
  run(path: string): Promise<BatchReports[K]>;
  close(): Promise<void>;
}

/**
 * The format of a file from its first 4 KiB (video can be large: never read whole here). A path that cannot be
 * opened or read, a directory included, is an `ERR_FILE_NOT_FOUND` / `ERR_FILE_IO` naming the path and the reason.
 */
export async function sniffFile(path: string): Promise<FormatInfo> {
  let handle;
  try {
    handle = await open(path, 'r');
    const head = new Uint8Array(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return sniffFormat(head.subarray(0, bytesRead));
  } catch (err) {
    if (isProvmarkError(err)) throw err;
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new FileError(
      e.code === 'ENOENT' ? 'ERR_FILE_NOT_FOUND' : 'ERR_FILE_IO',
      `Cannot read ${path}: ${reason}`,
      {
        cause: err,
        details: { path },
      },
    );
  } finally {
    await handle?.close();
  }
}

/** A thrown value as the `{ code, message }` of a batch line; anything uncoded is a bug, `ERR_INTERNAL`. */
export function toBatchError(err: unknown): BatchError {
  if (isProvmarkError(err)) return { code: err.code, message: err.message };
  if (err instanceof TypeError || err instanceof RangeError)
    return { code: 'ERR_USAGE', message: err.message };
  return { code: 'ERR_INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

/** A batch line's error as a thrown value again, so that {@link toBatchError} gives the same line back. */
export function errorOfBatchError(error: BatchError): Error {
  return error.code === 'ERR_INTERNAL' || error.code === 'ERR_USAGE'
    ? new Error(error.message)
    : new ProvmarkError(error.code as ErrorCode, error.message);
}

/**
 * The trust of a verify or inspect batch, resolved once on the calling thread before any file is
 * read: URL anchors are fetched once per batch, not once per file or per worker.
 */
export async function resolveBatchTrust<K extends BatchKind>(
  kind: K,
  options: BatchTaskOptions[K],
): Promise<BatchTrust | undefined> {
  if (kind !== 'verify' && kind !== 'inspect') return undefined;
  const { resolveTrust } = await import('../verify/trust.js');
  return resolveTrust((options as BatchTaskOptions['verify' | 'inspect']).trust).then(
    (trust) => ({ trust }),
    (err: unknown) => ({ error: toBatchError(err) }),
  );
}

/** What a runner calls for trust: the batch's resolved bundles, or its resolution error thrown again. */
function batchTrust(trust: BatchTrust | undefined): () => Promise<EngineTrust> {
  if (trust === undefined) throw new Error('A verify or inspect runner needs the batch trust');
  return async () => {
    if ('error' in trust) throw errorOfBatchError(trust.error);
    return trust.trust;
  };
}

export async function createTaskRunner<K extends BatchKind>(
  kind: K,
  options: BatchTaskOptions[K],
  trust?: BatchTrust,
): Promise<TaskRunner<K>> {
  // Each branch returns a runner of the matching kind; the casts restore what the switch already proved.
  switch (kind) {
    case 'verify':
      return (await verifyRunner(batchTrust(trust))) as unknown as TaskRunner<K>;
    case 'inspect':
      return (await inspectRunner(
        options as BatchTaskOptions['inspect'],
        batchTrust(trust),
      )) as unknown as TaskRunner<K>;
    case 'detect':
      return (await detectRunner()) as unknown as TaskRunner<K>;
    case 'watermark':
      return (await watermarkRunner(options as BatchTaskOptions['watermark'])) as unknown as TaskRunner<K>;
    default:
      throw new RangeError(
        `Expected verify, inspect, detect or watermark for kind but received ${String(kind)}`,
      );
  }
}

/**
 * Work done once on the calling thread before workers start: an inspect repository is opened (created and migrated
 * if it is new) and closed, so that N workers never race to create the same database, and a bad URL fails at once.
 */
export async function prepareTask<K extends BatchKind>(kind: K, options: BatchTaskOptions[K]): Promise<void> {
  if (kind !== 'inspect') return;
  const o = options as BatchTaskOptions['inspect'];
  if (o.repository === undefined) return;
  const { openRepository } = await import('../repository/open.js');
  const repository = await openRepository(o.repository, { readonly: o.readonlyRepository === true });
  await repository.close();
}

async function verifyRunner(trust: () => Promise<EngineTrust>): Promise<TaskRunner<'verify'>> {
  const { verifyInput } = await import('../verify/verify.js');
  return {
    run: (path) => verifyInput(path, trust, {}),
    close: async () => undefined,
  };
}

async function inspectRunner(
  options: BatchTaskOptions['inspect'],
  trust: () => Promise<EngineTrust>,
): Promise<TaskRunner<'inspect'>> {
  const { inspectInput } = await import('../flows/inspect.js');
  const { openRepository } = await import('../repository/open.js');
  const { createHttpRepository } = await import('../repository/http.js');
  const repository: ManifestRepository | undefined =
    options.repository === undefined
      ? undefined
      : await openRepository(options.repository, { readonly: options.readonlyRepository === true });
  const resolver = options.resolver ? createHttpRepository({ url: options.resolver }) : undefined;
  return {
    run: (path) =>
      inspectInput(path, trust, {
        ...(repository ? { repository } : {}),
        ...(resolver ? { resolver } : {}),
        ...(options.watermarkKey === undefined ? {} : { watermarkKey: options.watermarkKey }),
        detector: options.detector ?? true,
      }),
    close: async () => {
      await repository?.close();
      await resolver?.close();
    },
  };
}

async function detectRunner(): Promise<TaskRunner<'detect'>> {
  const { detect } = await import('../detect/detect.js');
  return { run: (path) => detect(path), close: async () => undefined };
}

async function watermarkRunner(options: BatchTaskOptions['watermark']): Promise<TaskRunner<'watermark'>> {
  const { detectImageWatermark } = await import('../watermark/image.js');
  const { detectMediaWatermark } = await import('../watermark/media.js');
  const { watermarkSchemesFor } = await import('../watermark/schemes/index.js');
  const key = options.key === undefined ? {} : { key: options.key };
  return {
    async run(path) {
      // Unrecognised bytes are a verdict (found:false with the reason), not an input error.
      const format = await sniffFile(path).catch((err: unknown) => {
        if (err instanceof FileError) throw err;
        return undefined;
      });
      // Unrecognised bytes get the image reader's reason. An image scheme's result is reported
      // whole (geometry, bit errors); video and audio go through the dispatcher (frames, then
      // soundtrack); a format no scheme reads (SVG, documents) is reported as such.
      if (format === undefined) return detectImageWatermark(path, key);
      const [own] = watermarkSchemesFor(format, 'detect');
      if (own?.medium === 'image' && format.kind === 'image') return own.detect(path, format, key);
      return detectMediaWatermark(await readMediaInput(path), format, key);
    },
    close: async () => undefined,
  };
}
