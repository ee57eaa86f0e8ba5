import type { BatchError } from './types.js';

/** Messages from the pool to a worker. */
export type ToWorker =
  { readonly type: 'task'; readonly index: number; readonly path: string } | { readonly type: 'close' };

/** Messages from a worker to the pool. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'fatal'; readonly error: BatchError }
  | {
      readonly type: 'result';
      readonly index: number;
      readonly report?: unknown;
      readonly error?: BatchError;
    };
