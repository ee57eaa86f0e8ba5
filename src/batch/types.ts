import type { DetectReport } from '../detect/types.js';
import type { EngineTrust } from '../c2pa/context.js';
import type { ProvenanceReport } from '../flows/inspect.js';
import type { TrustOptions } from '../verify/trust.js';
import type { VerifyReport } from '../verify/types.js';
import type { ImageWatermarkDetection } from '../watermark/image.js';

/** Why one file of a batch has no report: the error's stable `code` (`ERR_FILE_NOT_FOUND`, …) and message. */
export interface BatchError {
  readonly code: string;
  readonly message: string;
}

/**
 * One file's outcome, yielded as soon as it is done (completion order, not input order): `index` is the file's
 * 0-based position in the input, so callers that need input order can restore it.
 */
export type BatchItem<R> =
  | { readonly path: string; readonly index: number; readonly report: R; readonly error?: undefined }
  | {
      readonly path: string;
      readonly index: number;
      readonly error: BatchError;
      readonly report?: undefined;
    };

/** Settings shared by every `…Many` call. */
export interface ManyOptions {
  /**
   * Worker threads (default `os.availableParallelism()`); each loads the engine/model once and handles many files.
   * `0` runs everything on the calling thread, one file at a time.
   */
  readonly jobs?: number;
}

/** Options of the per-file work; plain data, because they are copied into each worker thread. */
export interface BatchTaskOptions {
  readonly verify: { readonly trust?: TrustOptions };
  readonly inspect: {
    readonly trust?: TrustOptions;
    /** Repository URL as `openRepository` takes it (`sqlite:PATH`, `postgres://…`, `https://…`); none by default. */
    readonly repository?: string;
    /** Open an SQLite `repository` read-only. */
    readonly readonlyRepository?: boolean;
    /** A Soft Binding Resolution API asked after the repository. */
    readonly resolver?: string;
    /** Run the offline detector on files without provenance (default true). */
    readonly detector?: boolean;
    readonly watermarkKey?: string;
  };
  readonly detect: Record<string, never>;
  readonly watermark: { readonly key?: string };
}

/** What each kind of work reports per file. */
export interface BatchReports {
  readonly verify: VerifyReport;
  readonly inspect: ProvenanceReport;
  readonly detect: DetectReport;
  readonly watermark: ImageWatermarkDetection;
}

export type BatchKind = keyof BatchReports;

/**
 * Trust resolved once per batch on the calling thread (anchor files read, URL anchors fetched) and
 * copied into every worker: the engine's PEM bundles, or why resolving failed, which each file then
 * reports as its error, as a per-file resolution would.
 */
export type BatchTrust = { readonly trust: EngineTrust } | { readonly error: BatchError };
