/**
 * Worker-thread entry of batch work (built to `dist/batch/worker.js`; run from source through tsx). It creates one
 * task runner for its whole life, so the engine, model and repository load once, then answers one message per
 * file. Protocol: in `{ index, path }` or `{ close: true }`; out `{ ready }`, `{ fatal }` or `{ index, report | error }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setDetectorThreads } from '../detect/model.js';
import { createTaskRunner, toBatchError, type TaskRunner } from './tasks.js';
import type { BatchKind, BatchTaskOptions, BatchTrust } from './types.js';
import type { ToWorker, FromWorker } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('src/batch/worker is a worker-thread entry, not a module to import');
const { kind, options, trust, detectorThreads } = workerData as {
  kind: BatchKind;
  options: BatchTaskOptions[BatchKind];
  /** Resolved once by the pool for the whole batch. */
  trust: BatchTrust | undefined;
  detectorThreads: number;
};
// Before the first detection: the runtime reads its thread count once.
setDetectorThreads(detectorThreads);
const send = (m: FromWorker): void => port.postMessage(m);

const runner: Promise<TaskRunner<BatchKind> | undefined> = createTaskRunner(kind, options, trust).then(
  (r) => {
    send({ type: 'ready' });
    return r;
  },
  (err: unknown) => {
    send({ type: 'fatal', error: toBatchError(err) });
    return undefined;
  },
);

// One file at a time, in arrival order: the pool sends a second one ahead only so this thread never idles.
let queue: Promise<void> = Promise.resolve();
port.on('message', (m: ToWorker) => {
  queue = queue.then(() => handle(m));
});

async function handle(m: ToWorker): Promise<void> {
  const r = await runner;
  if (m.type === 'close') {
    await r?.close().catch(() => undefined);
    port!.close();
    return;
  }
  if (!r) return; // the fatal message already went out
  try {
    send({ type: 'result', index: m.index, report: await r.run(m.path) });
  } catch (err) {
    send({ type: 'result', index: m.index, error: toBatchError(err) });
  }
}
