/** The report the verify page builds and offers for download, and what it keeps for drawing it. */
import type { EngineStore } from '../../c2pa/read.js';
import type { ReadOutcome, SniffedFormat, WatermarkReading } from './protocol.js';
import type { PageVerdict, ValidatedStore } from './verdict.js';

/** What the page found; the "Download the report" button saves exactly this. */
export interface PageReport {
  readonly verdict: PageVerdict;
  readonly file: { readonly name: string; readonly size: number; readonly type: string };
  readonly format?: SniffedFormat;
  readonly summary: string;
  readonly verification:
    | (ValidatedStore & { readonly state: ValidatedStore['state'] })
    | {
        readonly state: 'absent' | 'remote' | 'unreadable';
        readonly remoteManifestUrl?: string;
        readonly error?: { code: string; message: string };
      };
  readonly watermark?: WatermarkReading;
  readonly recovered?: ValidatedStore & { readonly manifestId: string; readonly matches: readonly string[] };
  readonly timingsMs: Readonly<Record<string, number>>;
  readonly analysedIn: 'browser';
}

/** The resources (thumbnails) of a store by identifier. */
export type Resources = Record<string, { bytes: Uint8Array; format: string }>;

export interface ThumbRefs {
  readonly manifest?: string;
  /** The store the manifest came from, for the ingredient tree (nested manifests). */
  readonly store?: EngineStore;
}

export function thumbRefs(store: ReadOutcome): ThumbRefs {
  if (store.kind !== 'store') return {};
  const active = store.store.active_manifest ? store.store.manifests[store.store.active_manifest] : undefined;
  return {
    ...(active?.thumbnail?.identifier ? { manifest: active.thumbnail.identifier } : {}),
    store: store.store,
  };
}
