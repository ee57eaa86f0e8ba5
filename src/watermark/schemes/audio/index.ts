/**
 * `org.provmark.watermark.audio.1`: the first STFT mark of src/watermark/audio.ts (one region over
 * 0.75–7 kHz), in audio files and in the first audio track of MP4/MOV video. Detect-only since
 * audio.2 (schemes/audio-2), whose detector does not read these marks. Marks written before the
 * registry carry the legacy identifier.
 */
import { LEGACY_WATERMARK_ALG } from '../legacy.js';
import { base64IdCodec } from '../binding.js';
import type { WatermarkScheme } from '../types.js';

export const audioWatermarkV1: WatermarkScheme = {
  id: 'org.provmark.watermark.audio.1',
  medium: 'audio',
  version: 1,
  name: 'provmark audio watermark v1',
  formats: ['wav', 'mp3', 'm4a', 'mp4', 'mov'],
  legacyIds: [LEGACY_WATERMARK_ALG],
  binding: base64IdCodec,
  async detect(input, _format, options) {
    const { detectAudioWatermark } = await import('../../audio.js');
    return detectAudioWatermark(input, {
      version: 1,
      ...(options.key !== undefined ? { key: options.key } : {}),
    });
  },
};
