/**
 * `provmark/watermark`: invisible, robust watermarks for images, video and audio carrying a 64-bit
 * C2PA soft-binding id.
 *
 * @example
 * ```ts
 * import { embedImageWatermark, detectImageWatermark, newSoftBindingId } from 'provmark/watermark';
 * const id = newSoftBindingId();
 * const marked = await embedImageWatermark('photo.jpg', { payload: id });
 * const result = await detectImageWatermark(marked); // { found: true, payload: id, confidence, ... }
 * ```
 * @packageDocumentation
 */
export {
  DEFAULT_WATERMARK_KEY,
  detectImageWatermark,
  embedImageWatermark,
  type DetectImageWatermarkOptions,
  type EmbedImageWatermarkOptions,
  type ImageWatermarkDetection,
} from './image.js';
export {
  detectVideoWatermark,
  embedVideoWatermark,
  type DetectVideoWatermarkOptions,
  type EmbedVideoWatermarkOptions,
  type VideoProgress,
  type VideoWatermarkDetection,
} from './video.js';
export {
  AUDIO_MIN_SECONDS,
  detectAudioWatermark,
  detectAudioWatermarkPcm,
  embedAudioWatermark,
  embedAudioWatermarkPcm,
  type AudioPcm,
  type AudioWatermarkDetection,
  type AudioWatermarkProgress,
  type DetectAudioWatermarkOptions,
  type EmbedAudioWatermarkOptions,
} from './audio.js';
export {
  detectMediaWatermark,
  embedMediaWatermark,
  embedWatermark,
  type EmbeddedWatermark,
  type MediaWatermarkOptions,
  type MediaWatermarkReading,
} from './media.js';
// The registry of schemes: one entry per scheme and version (ARCHITECTURE.md, "Recipe: add a watermark scheme").
export * from './schemes/index.js';
export * from './softbinding.js';
// Many files at once (worker threads, results streamed as each file completes): src/batch.
export {
  detectWatermarkMany,
  type DetectWatermarkManyOptions,
  type ManyInput,
  type PathOptions,
} from '../flows/many.js';
export type { BatchItem, BatchError, ManyOptions } from '../batch/types.js';
