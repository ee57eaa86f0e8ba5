/**
 * `org.provmark.watermark.image.1`: the luma tile mark of src/watermark/image.ts (see
 * src/watermark/README.md). Marks written before the registry carry the legacy identifier.
 */
import { base64IdCodec } from '../binding.js';
import { LEGACY_WATERMARK_ALG } from '../legacy.js';
import type { WatermarkScheme } from '../types.js';

export const imageWatermarkV1: WatermarkScheme = {
  id: 'org.provmark.watermark.image.1',
  medium: 'image',
  version: 1,
  name: 'provmark image watermark v1',
  formats: ['jpeg', 'png', 'webp', 'avif', 'gif', 'tiff'],
  legacyIds: [LEGACY_WATERMARK_ALG],
  binding: base64IdCodec,
  async embed(input, _format, options) {
    const { embedImageWatermark } = await import('../../image.js');
    return embedImageWatermark(input, {
      payload: options.payload,
      ...(options.key !== undefined ? { key: options.key } : {}),
      ...(options.strength !== undefined ? { strength: options.strength } : {}),
      ...(options.quality !== undefined ? { quality: options.quality } : {}),
      ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
    });
  },
  async detect(input, _format, options) {
    const { detectImageWatermark } = await import('../../image.js');
    return detectImageWatermark(input, {
      ...(options.key !== undefined ? { key: options.key } : {}),
      ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
    });
  },
};
