/**
 * `org.provmark.watermark.audio.1`: the STFT mark of src/watermark/audio.ts, in audio files and in
 * the first audio track of MP4/MOV video. Marks written before the registry carry the legacy
 * identifier.
 */
import { base64IdCodec } from '../binding.js';
import { LEGACY_WATERMARK_ALG } from '../legacy.js';
import type { WatermarkScheme } from '../types.js';

export const audioWatermarkV1: WatermarkScheme = {
  id: 'org.provmark.watermark.audio.1',
  medium: 'audio',
  version: 1,
  name: 'provmark audio watermark v1',
  formats: ['wav', 'mp3', 'm4a', 'mp4', 'mov'],
  legacyIds: [LEGACY_WATERMARK_ALG],
  binding: base64IdCodec,
  async embed(input, format, options) {
    const { embedAudioWatermark } = await import('../../audio.js');
    if (format.kind !== 'audio') {
      // A video's soundtrack: nothing to mark when there is none.
      const { probeMedia } = await import('../../../media/ffmpeg/probe.js');
      if ((await probeMedia(input)).audio.length === 0) return undefined;
    }
    const progress = options.onProgress;
    return embedAudioWatermark(input, {
      payload: options.payload,
      ...(options.key !== undefined ? { key: options.key } : {}),
      ...(options.strength !== undefined ? { strength: options.strength } : {}),
      ...(progress && format.kind === 'audio'
        ? { onProgress: (p) => progress({ unit: 'seconds', done: p.secondsDone, total: p.secondsTotal }) }
        : {}),
    });
  },
  async detect(input, _format, options) {
    const { detectAudioWatermark } = await import('../../audio.js');
    return detectAudioWatermark(input, options.key !== undefined ? { key: options.key } : {});
  },
};
