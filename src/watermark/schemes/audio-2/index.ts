/**
 * `org.provmark.watermark.audio.2`: the STFT mark of src/watermark/audio.ts with a telephone band
 * (core/audio.ts, "Versions"): read after a 300–3400 Hz, 8 kHz, G.711 line as well as after the
 * codecs audio.1 survives. Its detector does not read audio.1 marks (another layout and other
 * features), so audio.1 stays registered, detect-only.
 */
import { base64IdCodec } from '../binding.js';
import type { WatermarkScheme } from '../types.js';

export const audioWatermarkV2: WatermarkScheme = {
  id: 'org.provmark.watermark.audio.2',
  medium: 'audio',
  version: 2,
  name: 'provmark audio watermark v2 (telephone band)',
  formats: ['wav', 'mp3', 'm4a', 'mp4', 'mov'],
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
    return detectAudioWatermark(input, {
      version: 2,
      ...(options.key !== undefined ? { key: options.key } : {}),
    });
  },
};
