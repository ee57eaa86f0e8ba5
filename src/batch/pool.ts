/**
 * The batch engine: paths stream in, each goes to the least busy of N worker threads, and results stream out as
 * they complete. Memory is bounded whatever the number of files: at most `2 × jobs` files are in flight or waiting
 * for the consumer, and the path source is only pulled when there is room.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FileError } from '../errors.js';
import type { FromWorker, ToWorker } from './protocol.js';
import type { SourceItem } from './sources.js';
import {
  createTaskRunner,
  errorOfBatchError,
  prepareTask,
  resolveBatchTrust,
  toBatchError,
} from './tasks.js';
import type { BatchError, BatchItem, BatchKind, BatchReports, BatchTaskOptions } from './types.js';

/** Files handed to one worker ahead of its current one, so it never waits for the main thread. */
const PER_WORKER_IN_FLIGHT = 2;

/** `jobs` as given, checked; the default is the number of cores. */
export function resolveJobs(jobs: number | undefined): number {
  if (jobs === undefined) return availableParallelism();
  if (!Number.isInteger(jobs) || jobs < 0 || jobs > 256)
    throw new RangeError(`Expected integer between 0 and 256 for jobs but received ${String(jobs)}`);
  return jobs;
}

/**
 * Run `kind` over every path of `source`, yielding one item per path in completion order.
 * Throws only when the work cannot start (a worker fails to load, the repository cannot be opened) or the
 * source itself throws; a file that fails becomes an item with an `error`.
 */
export function runBatch<K extends BatchKind>(
  kind: K,
  source: Iterable<SourceItem> | AsyncIterable<SourceItem>,
  options: BatchTaskOptions[K],
  jobs: number,
): AsyncGenerator<BatchItem<BatchReports[K]>> {
  return jobs === 0 ? runInThread(kind, source, options) : runInWorkers(kind, source, options, jobs);
}

async function* runInThread<K extends BatchKind>(
  kind: K,
  source: Iterable<SourceItem> | AsyncIterable<SourceItem>,
  options: BatchTaskOptions[K],
): AsyncGenerator<BatchItem<BatchReports[K]>> {
  const runner = await createTaskRunner(kind, options, await resolveBatchTrust(kind, options));
  try {
    let index = 0;
    for await (const item of source) {
      const i = index++;
      if (typeof item !== 'string') {
        yield { path: item.path, index: i, error: item.error };
        continue;
      }
      let report: BatchReports[K];
      try {
        report = await runner.run(item);
      } catch (err) {
        yield { path: item, index: i, error: toBatchError(err) };
        continue;
      }
      yield { path: item, index: i, report };
    }
  } finally {
    await runner.close();
  }
}

/** Wakes one waiting loop; conditions are re-checked after every wake, so a wake with nobody waiting is harmless. */
class Signal {
  private waiters: (() => void)[] = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  notify(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}

interface Slot {
  worker: Worker;
  readonly tasks: Map<number, string>;
  closing: boolean;
  exited: boolean;
}

async function* runInWorkers<K extends BatchKind>(
  kind: K,
  source: Iterable<SourceItem> | AsyncIterable<SourceItem>,
  options: BatchTaskOptions[K],
  jobs: number,
): AsyncGenerator<BatchItem<BatchReports[K]>> {
  await prepareTask(kind, options);
  const trust = await resolveBatchTrust(kind, options);
  const entry = workerEntry();
  const limit = jobs * PER_WORKER_IN_FLIGHT;
  const ready: BatchItem<BatchReports[K]>[] = [];
  const changed = new Signal();
  let inFlight = 0;
  let exhausted = false;
  let stopped = false;
  let fatal: unknown;
  let respawns = 0;

  const deliver = (item: BatchItem<BatchReports[K]>): void => {
    ready.push(item);
    changed.notify();
  };

  const spawn = (): Slot => {
    // The cores are shared out: N workers each get cores/N threads for the detector's WebAssembly runtime, so
    // two workers on two cores do not start four inference threads.
    const detectorThreads = Math.max(1, Math.floor(availableParallelism() / jobs));
    const worker = new Worker(entry.code, {
      eval: true,
      workerData: { kind, options, trust, entry: entry.url, detectorThreads },
    });
    const slot: Slot = { worker, tasks: new Map(), closing: false, exited: false };
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'fatal') {
        fatal ??= errorOfBatchError(m.error);
        changed.notify();
      } else if (m.type === 'result') {
        const path = slot.tasks.get(m.index)!;
        slot.tasks.delete(m.index);
        inFlight--;
        deliver(
          m.error
            ? { path, index: m.index, error: m.error }
            : { path, index: m.index, report: m.report as BatchReports[K] },
        );
      }
    });
    const lost = (reason: string): void => {
      if (slot.closing) return;
      slot.closing = true;
      // Files the worker held get an error line; a fresh worker takes its place (a few times at most).
      const error: BatchError = { code: 'ERR_INTERNAL', message: `The worker thread stopped: ${reason}` };
      for (const [index, path] of slot.tasks) {
        inFlight--;
        deliver({ path, index, error });
      }
      slot.tasks.clear();
      if (stopped) return;
      if (++respawns > jobs * 3) {
        fatal ??= new Error(`Batch worker threads keep stopping (${reason})`);
        changed.notify();
        return;
      }
      const i = slots.indexOf(slot);
      if (i >= 0) slots[i] = spawn();
      changed.notify();
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => {
      slot.exited = true;
      lost(`exit code ${code}`);
    });
    return slot;
  };

  const slots: Slot[] = Array.from({ length: jobs }, spawn);
  const post = (slot: Slot, m: ToWorker): void => slot.worker.postMessage(m);

  const feed = async (): Promise<void> => {
    let index = 0;
    try {
      for await (const item of source) {
        while (!stopped && fatal === undefined && inFlight + ready.length >= limit) await changed.wait();
        if (stopped || fatal !== undefined) return;
        const i = index++;
        if (typeof item !== 'string') {
          deliver({ path: item.path, index: i, error: item.error });
          continue;
        }
        const slot = slots.reduce((a, b) => (b.tasks.size < a.tasks.size ? b : a));
        slot.tasks.set(i, item);
        inFlight++;
        post(slot, { type: 'task', index: i, path: item });
      }
    } catch (err) {
      fatal ??= err;
    } finally {
      exhausted = true;
      changed.notify();
    }
  };
  const feeding = feed();

  try {
    for (;;) {
      if (fatal !== undefined) throw fatal;
      const next = ready.shift();
      if (next) {
        changed.notify(); // room for the feeder
        yield next;
        continue;
      }
      if (exhausted && inFlight === 0) break;
      await changed.wait();
    }
  } finally {
    stopped = true;
    changed.notify();
    // Not awaited when stopped early: the feeder may be waiting for a line on stdin; it returns on its next item.
    void feeding;
    await Promise.all(slots.map(closeSlot));
  }
}

/** Ask a worker to close its runner (repository connections) and end; stop it if it does not within 5 s. */
async function closeSlot(slot: Slot): Promise<void> {
  slot.closing = true;
  if (slot.exited) return;
  const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
  try {
    slot.worker.postMessage({ type: 'close' } satisfies ToWorker);
  } catch {
    // already gone
  }
  const timer = setTimeout(() => void slot.worker.terminate(), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * How to start a worker. From the built package: `dist/batch/worker.js`. From the TypeScript sources (development,
 * tests): `src/batch/worker.ts`, loaded after registering tsx's ESM loader inside the worker, since loader flags
 * given to the parent process do not reach worker threads.
 */
function workerEntry(): { code: string; url: string } {
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  if (/\.[mc]?ts$/.test(here)) {
    const url = pathToFileURL(join(dirname(here), 'worker.ts')).href;
    const tsx = tsxEsmApi(here);
    return {
      url,
      code: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(require('node:worker_threads').workerData.entry); });`,
    };
  }
  const url = pathToFileURL(join(packageRoot(here), 'dist', 'batch', 'worker.js')).href;
  return { url, code: `import(require('node:worker_threads').workerData.entry);` };
}

function tsxEsmApi(from: string): string {
  const require = createRequire(from);
  const pkgPath = require.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as {
    exports: Record<string, { import?: { default?: string } }>;
  };
  const rel = pkg.exports['./esm/api']?.import?.default;
  if (!rel) throw new Error('This tsx version has no ESM API; run the built package (npm run build) instead');
  return pathToFileURL(join(dirname(pkgPath), rel)).href;
}

function packageRoot(from: string): string {
  let dir = dirname(from);
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && existsSync(join(dir, 'dist', 'batch'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new FileError('ERR_FILE_NOT_FOUND', `Cannot find dist/batch/worker.js above ${from}`, {
    hint: 'Reinstall provmark; the package must include dist/batch.',
  });
}
