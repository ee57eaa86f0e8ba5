/**
 * `provmark/watermark`: invisible, robust image watermarks carrying a 64-bit C2PA soft-binding id.
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
export * from './softbinding.js';
