/**
 * `org.provmark.watermark.video.1`: the held luma cell grid of src/watermark/core/video.ts (a grid
 * relative to the frame). Detect-only since `video.2` (schemes/video-2/) marks video: its detector
 * cannot read these marks, so this scheme stays registered to read files marked before. Marks
 * written before the registry carry the legacy identifier.
 */
import { base64IdCodec } from '../binding.js';
import { LEGACY_WATERMARK_ALG } from '../legacy.js';
import type { WatermarkScheme } from '../types.js';

export const videoWatermarkV1: WatermarkScheme = {
  id: 'org.provmark.watermark.video.1',
  medium: 'video',
  version: 1,
  name: 'provmark video watermark v1',
  formats: ['mp4', 'mov', 'avi'],
  legacyIds: [LEGACY_WATERMARK_ALG],
  binding: base64IdCodec,
  async detect(input, _format, options) {
    const { detectVideoWatermark } = await import('../../video.js');
    return detectVideoWatermark(input, {
      layouts: [1],
      ...(options.key !== undefined ? { key: options.key } : {}),
    });
  },
};
