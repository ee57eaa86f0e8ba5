/**
 * `org.provmark.watermark.video.1`: the held luma cell grid of src/watermark/video.ts. A video's
 * soundtrack is marked by the audio scheme as well (it lists MP4 and MOV). Marks written before
 * the registry carry the legacy identifier.
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
  async embed(input, _format, options) {
    const { embedVideoWatermark } = await import('../../video.js');
    const progress = options.onProgress;
    return embedVideoWatermark(input, {
      payload: options.payload,
      ...(options.key !== undefined ? { key: options.key } : {}),
      ...(options.strength !== undefined ? { strength: options.strength } : {}),
      ...(progress
        ? {
            onProgress: (p) =>
              progress({
                unit: 'frames',
                done: p.frames,
                ...(p.totalFrames ? { total: p.totalFrames } : {}),
              }),
          }
        : {}),
    });
  },
  async detect(input, _format, options) {
    const { detectVideoWatermark } = await import('../../video.js');
    return detectVideoWatermark(input, options.key !== undefined ? { key: options.key } : {});
  },
};
