/** Messages between the page and its worker (structured-cloned; bytes are transferred). */
import type { EngineStore } from '../../c2pa/read.js';
import type { MediaFormat, MediaKind } from '../../types.js';

export interface WatermarkReading {
  readonly found: boolean;
  /** The 64-bit id as 16 hex digits, when found. */
  readonly payload?: string;
  readonly confidence: number;
  readonly bitErrors?: number;
  readonly pilotZ?: number;
  readonly reason?: string;
  /** Size of the plane the detector read (the working area, as in Node). */
  readonly plane?: { readonly width: number; readonly height: number };
  readonly ms: number;
}

export type ReadOutcome =
  | {
      readonly kind: 'store';
      readonly store: EngineStore;
      readonly crJson: unknown;
      /** Thumbnails (manifest and ingredients) by resource identifier. */
      readonly resources: Readonly<Record<string, { readonly bytes: Uint8Array; readonly format: string }>>;
    }
  | { readonly kind: 'absent' }
  | { readonly kind: 'remote'; readonly url: string }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string; readonly hasStore: boolean };

export interface SniffedFormat {
  readonly format: MediaFormat;
  readonly kind: MediaKind;
  readonly mime: string;
}

export type WorkerRequest =
  | { readonly type: 'init'; readonly module: WebAssembly.Module }
  | {
      readonly type: 'read';
      readonly id: number;
      readonly bytes: Uint8Array;
      /** MIME type for the engine; undefined: sniff the bytes. */
      readonly mime?: string;
      readonly context: string;
    }
  | { readonly type: 'watermark'; readonly id: number; readonly blob: Blob; readonly key?: string };

export type WorkerResponse =
  | { readonly type: 'ready' }
  | {
      readonly type: 'read';
      readonly id: number;
      readonly format?: SniffedFormat;
      readonly error?: { readonly code: string; readonly message: string };
      readonly outcome?: ReadOutcome;
      readonly ms: number;
    }
  | { readonly type: 'watermark'; readonly id: number; readonly reading: WatermarkReading }
  | { readonly type: 'error'; readonly id?: number; readonly message: string };
