/**
 * One entry point for the watermark of any media kind: images mark luma pixels, video marks luma
 * over groups of frames (and the audio track when there is one), audio marks the signal.
 * protect()/inspect() and the CLI call these; each kind's adapter is loaded on first use.
 */
import { UnsupportedFormatError } from '../errors.js';
import type { FormatInfo } from '../media/sniff.js';
import type { SoftBindingId } from './softbinding.js';

export interface MediaWatermarkOptions {
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

export interface MediaWatermarkReading {
  readonly found: boolean;
  readonly payload?: SoftBindingId;
  readonly confidence: number;
  readonly reason?: string;
  /** Which signal carried the mark. */
  readonly carrier?: 'pixels' | 'video' | 'audio';
}

function unsupported(format: FormatInfo): never {
  throw new UnsupportedFormatError(`Watermarks are not available for ${format.mime}`, {
    hint: 'Images (JPEG, PNG, WebP, AVIF, TIFF, GIF), video (MP4, MOV) and audio (WAV, MP3, M4A) can be watermarked.',
  });
}

/** Embed `payload` in media of any supported kind; the output keeps the container format. */
export async function embedMediaWatermark(
  bytes: Uint8Array,
  format: FormatInfo,
  options: MediaWatermarkOptions,
): Promise<Uint8Array> {
  const common = {
    payload: options.payload,
    ...(options.key !== undefined ? { key: options.key } : {}),
    ...(options.strength !== undefined ? { strength: options.strength } : {}),
  };
  if (format.kind === 'image' && format.decodableImage && format.format !== 'svg') {
    const { embedImageWatermark } = await import('./image.js');
    return embedImageWatermark(bytes, {
      ...common,
      ...(options.quality !== undefined ? { quality: options.quality } : {}),
      ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
    });
  }
  if (format.kind === 'video') {
    const [{ embedVideoWatermark }, { embedAudioWatermark }, { probeMedia }] = await Promise.all([
      import('./video.js'),
      import('./audio.js'),
      import('../media/ffmpeg/probe.js'),
    ]);
    const video = await embedVideoWatermark(bytes, {
      ...common,
      ...(options.onProgress
        ? {
            onProgress: (p) =>
              options.onProgress!({
                unit: 'frames',
                done: p.frames,
                ...(p.totalFrames ? { total: p.totalFrames } : {}),
              }),
          }
        : {}),
    });
    // The audio track carries the same id, so a clip whose picture is replaced still leads back.
    const probe = await probeMedia(video);
    if (probe.audio.length === 0) return video;
    return embedAudioWatermark(video, common);
  }
  if (format.kind === 'audio') {
    const { embedAudioWatermark } = await import('./audio.js');
    return embedAudioWatermark(bytes, {
      ...common,
      ...(options.onProgress
        ? {
            onProgress: (p) =>
              options.onProgress!({ unit: 'seconds', done: p.secondsDone, total: p.secondsTotal }),
          }
        : {}),
    });
  }
  return unsupported(format);
}

/** Read the mark of media of any supported kind. Never throws on bad content. */
export async function detectMediaWatermark(
  bytes: Uint8Array,
  format: FormatInfo,
  options: { readonly key?: string | Uint8Array; readonly maxPixels?: number } = {},
): Promise<MediaWatermarkReading> {
  const key = options.key !== undefined ? { key: options.key } : {};
  const pick = (
    d: { found: boolean; payload?: string; confidence: number; reason?: string },
    carrier: MediaWatermarkReading['carrier'],
  ): MediaWatermarkReading => ({
    found: d.found,
    ...(d.payload ? { payload: d.payload } : {}),
    confidence: d.confidence,
    ...(d.reason ? { reason: d.reason } : {}),
    ...(d.found ? { carrier } : {}),
  });
  if (format.kind === 'image' && format.decodableImage && format.format !== 'svg') {
    const { detectImageWatermark } = await import('./image.js');
    return pick(
      await detectImageWatermark(bytes, {
        ...key,
        ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
      }),
      'pixels',
    );
  }
  if (format.kind === 'video') {
    const { detectVideoWatermark } = await import('./video.js');
    const v = pick(await detectVideoWatermark(bytes, key), 'video');
    if (v.found) return v;
    const { detectAudioWatermark } = await import('./audio.js');
    const a = pick(await detectAudioWatermark(bytes, key), 'audio');
    return a.found ? a : v;
  }
  if (format.kind === 'audio') {
    const { detectAudioWatermark } = await import('./audio.js');
    return pick(await detectAudioWatermark(bytes, key), 'audio');
  }
  return { found: false, confidence: 0, reason: `no watermark reader for ${format.mime}` };
}
