/**
 * What a watermark scheme is: one entry of the registry (registry.ts). Types only, so the browser
 * verify page can bundle the registry's descriptors without any adapter.
 */
import type { FormatInfo } from '../../media/sniff.js';
import type { MediaFormat, MediaInput } from '../../types.js';
import type { SoftBindingId } from '../softbinding.js';

/** The signal a scheme marks: pixels of a still image, frames of a video, samples of audio. */
export type WatermarkMedium = 'image' | 'video' | 'audio';

/**
 * How a scheme writes the 64-bit id in a soft-binding `value` (assertion, repository, resolution
 * API). Values are base64 text, as C2PA and the Soft Binding Resolution API carry them.
 */
export interface SoftBindingCodec {
  /** The id as the binding value. */
  encode(id: SoftBindingId): string;
  /** The id a binding value carries; undefined when the value is not one this scheme writes. */
  decode(value: string): SoftBindingId | undefined;
}

/** Options every scheme's embed takes (a scheme ignores what does not apply to it). */
export interface WatermarkEmbedOptions {
  readonly payload: SoftBindingId;
  readonly key?: string | Uint8Array;
  readonly strength?: number;
  /** Lossy image output quality (images only). */
  readonly quality?: number;
  readonly maxPixels?: number;
  /** Progress of long video/audio work. */
  readonly onProgress?: (progress: {
    readonly unit: 'frames' | 'seconds';
    readonly done: number;
    readonly total?: number;
  }) => void;
}

/** Options every scheme's detect takes. */
export interface WatermarkDetectOptions {
  readonly key?: string | Uint8Array;
  readonly maxPixels?: number;
}

/** The least a scheme's detect reports; a scheme may add diagnostics (bit errors, geometry…). */
export interface WatermarkDetection {
  readonly found: boolean;
  /** The embedded id, only when `found`. */
  readonly payload?: SoftBindingId;
  /** Score in [0, 1]; `found` is the decision. */
  readonly confidence: number;
  /** Why nothing was found. */
  readonly reason?: string;
}

/**
 * One watermark scheme: an identifier with its version, the medium and formats it marks, how it
 * embeds and detects, and how it encodes the id as a binding value.
 *
 * @example
 * ```ts
 * const scheme: WatermarkScheme = {
 *   id: 'org.example.watermark.image.1', medium: 'image', version: 1, name: 'example image mark',
 *   formats: ['png'], binding: base64IdCodec, embed, detect,
 * };
 * ```
 */
export interface WatermarkScheme {
  /** Identifier written in `c2pa.soft-binding.alg` and stored with the binding, e.g. `org.provmark.watermark.image.1`. */
  readonly id: string;
  readonly medium: WatermarkMedium;
  /** Version within the medium; a new version is a new scheme (a new id). */
  readonly version: number;
  /** A short name for people (summaries, CLI). */
  readonly name: string;
  /** Formats whose `medium` signal this scheme can mark and read (sniffed, never from the file name). */
  readonly formats: readonly MediaFormat[];
  /** Identifiers written by earlier releases that name this scheme for files of its medium (read, never written). */
  readonly legacyIds?: readonly string[];
  readonly binding: SoftBindingCodec;
  /**
   * Mark `input` (of format `format`) and return the new file in the same container. Resolves
   * `undefined` when the file has no `medium` signal to mark (a video without an audio track for
   * an audio scheme). Absent for a detect-only scheme: an older version kept to read old marks.
   */
  readonly embed?: (
    input: Uint8Array,
    format: FormatInfo,
    options: WatermarkEmbedOptions,
  ) => Promise<Uint8Array | undefined>;
  /** Read the mark. Verdicts are data: never throws for bad content, only for misuse or the environment. */
  readonly detect: (
    input: MediaInput,
    format: FormatInfo,
    options: WatermarkDetectOptions,
  ) => Promise<WatermarkDetection>;
}
