/**
 * `org.provmark.watermark.video.2`: the image mark's translation-invariant tile held still in every
 * frame (src/watermark/core/video2.ts), read from the time average of the frames; survives crops,
 * padding and picture-in-picture. It does not read `video.1` marks (schemes/video/, still
 * registered for them). A video's soundtrack is marked by the audio scheme as well (it lists MP4
 * and MOV).
 */
import type { WatermarkScheme } from '../types.js';
import { videoWatermarkV1 } from '../video/index.js';

export const videoWatermarkV2: WatermarkScheme = {
  id: 'org.provmark.watermark.video.2',
  version: 2,
  name: 'provmark video watermark v2',
  // The same medium, formats and binding value encoding as the first layout.
  medium: videoWatermarkV1.medium,
  formats: videoWatermarkV1.formats,
  binding: videoWatermarkV1.binding,
  async embed(input, _format, options) {
    const { embedVideoWatermark } = await import('../../video.js');
    const progress = options.onProgress;
    return embedVideoWatermark(input, {
      payload: options.payload,
      version: 2,
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
    return detectVideoWatermark(input, {
      layouts: [2],
      ...(options.key !== undefined ? { key: options.key } : {}),
    });
  },
};
