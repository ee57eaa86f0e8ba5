/**
 * Faces in video: frames sampled at least {@link SAMPLE_INTERVAL_SECONDS} apart on a fixed time grid plus
 * every scene change, decoded by ffmpeg and piped to this process as raw frames (no frame files), each
 * searched with {@link detectFaces}. Times come from the packets' presentation timestamps.
 */
import { UnsupportedFormatError } from '../errors.js';
import { decodeVideoFrames, rawFrameFormat } from '../media/ffmpeg/decode.js';
import { withMediaFile } from '../media/ffmpeg/media-file.js';
import { probeFrameTimes, probeMedia, type VideoStreamInfo } from '../media/ffmpeg/probe.js';
import type { MediaInput } from '../types.js';
import { detectFaces, type DetectedFace, type DetectFacesOptions, type FacePixels } from './faces.js';

/** One sample per half second at least: the "at least 2 frames per second". */
export const SAMPLE_INTERVAL_SECONDS = 0.5;

/**
 * Mean absolute luma difference (0–255) between consecutive frames' grey thumbnails above which a frame
 * starts a new scene. A cut between unrelated shots moves the mean by 30–100 levels; pans, zooms and
 * talking heads stay under ~15.
 */
export const SCENE_CHANGE_MAD = 28;

/** Width of the grey thumbnails compared for scene changes (each pixel averages a block of the frame). */
const SCENE_THUMB_WIDTH = 96;

/** Most frame numbers put in one ffmpeg select expression (about 16 characters each). */
const MAX_PICKS_IN_FILTER = 2000;

/** Frames are decoded at most this long on their longer side (area-scaled by ffmpeg): enough for the
 * detector's 640 px and the descriptor's 150 px face crops, and it bounds the bytes piped per frame. */
const DECODE_LONG_SIDE = 1280;

export interface VideoFaces {
  /** Seconds from the start of the stream. */
  readonly time: number;
  /** Why this frame was sampled. */
  readonly reason: 'interval' | 'scene-change';
  /** Boxes in the grid of the frame as displayed, scaled to {@link SampledVideo.width}×height. */
  readonly faces: readonly DetectedFace[];
}

export interface SampledVideo {
  readonly durationSeconds: number;
  /** Size of the analysed frames (display orientation). */
  readonly width: number;
  readonly height: number;
  readonly frames: readonly VideoFaces[];
}

export interface DetectVideoFacesOptions extends DetectFacesOptions {
  /** Seconds between grid samples, at most {@link SAMPLE_INTERVAL_SECONDS} (default). */
  readonly interval?: number;
}

/**
 * Sample a video's frames and find the faces in each.
 *
 * @example
 * ```ts
 * const v = await detectVideoFaces('ad.mp4');
 * for (const f of v.frames) console.log(f.time, f.faces.length);
 * ```
 */
export async function detectVideoFaces(
  input: MediaInput,
  options: DetectVideoFacesOptions = {},
): Promise<SampledVideo> {
  const interval = options.interval ?? SAMPLE_INTERVAL_SECONDS;
  if (typeof interval !== 'number' || !(interval > 0 && interval <= SAMPLE_INTERVAL_SECONDS)) {
    throw new RangeError(
      `Expected number above 0 and at most ${SAMPLE_INTERVAL_SECONDS} for interval but received ${interval}`,
    );
  }
  // Video defaults: the tiny detector (a fifth of SSD's time, and a person on screen for seconds is seen
  // in several samples) and no padded second look (frames are not tight portrait crops).
  const detect: DetectFacesOptions = {
    ...(options.minConfidence === undefined ? {} : { minConfidence: options.minConfidence }),
    pad: options.pad ?? 'never',
    detector: options.detector ?? 'tiny',
  };
  return withMediaFile(input, async (path) => {
    const probe = await probeMedia(path);
    const stream = probe.video.find((v) => !v.attachedPicture);
    if (stream === undefined) {
      throw new UnsupportedFormatError('The file has no video stream to look for faces in', {
        hint: 'Check a still image or a video with a picture track.',
      });
    }
    const times = await probeFrameTimes(path, stream.index);
    const t0 = times[0] ?? 0;
    const scale = Math.min(1, DECODE_LONG_SIDE / Math.max(stream.width, stream.height));
    // Even sizes: 4:2:0 chroma planes are half size.
    const width = Math.max(2, 2 * Math.round((stream.width * scale) / 2));
    const height = Math.max(2, 2 * Math.round((stream.height * scale) / 2));
    const pixelFormat = rawFrameFormat(stream);
    const matrix = colourMatrix(stream, pixelFormat === 'yuvj420p');
    const size = width === stream.width && height === stream.height ? {} : { size: { width, height } };

    // Which frames to look at. The grid comes from the packet times alone (no decoding): the first
    // frame at or after each multiple of `interval`. Scene changes need pixels: a second ffmpeg pass
    // pipes every frame as a small grey thumbnail (a few kB each, not megabytes), compared in turn.
    const grid: number[] = [];
    for (let i = 0, slot = 0; i < times.length; i++) {
      const t = (times[i] as number) - t0;
      if (t >= slot * interval - 1e-6) {
        grid.push(i);
        slot = Math.floor(t / interval + 1e-6) + 1;
      }
    }
    const thumbW = SCENE_THUMB_WIDTH;
    const thumbH = Math.max(2, 2 * Math.round((SCENE_THUMB_WIDTH * stream.height) / stream.width / 2));
    const cutsFound = (async () => {
      const cuts: number[] = [];
      let previous: Uint8Array | undefined;
      let i = 0;
      for await (const thumb of decodeVideoFrames(path, stream, {
        pixelFormat: 'gray',
        size: { width: thumbW, height: thumbH },
      })) {
        if (thumb.length < thumbW * thumbH) break;
        if (previous !== undefined && meanAbsDiff(previous, thumb) > SCENE_CHANGE_MAD) cuts.push(i);
        previous = thumb;
        i++;
      }
      return cuts;
    })();
    cutsFound.catch(() => undefined);

    const timeOf = (i: number) => Math.round(Math.max(0, (times[i] ?? t0) - t0) * 1000) / 1000;
    const frames: VideoFaces[] = [];
    const look = async (picks: readonly number[], reason: VideoFaces['reason']): Promise<void> => {
      if (picks.length === 0) return;
      // A very long pick list (a video of a quarter of an hour or more) would not fit one command
      // line: then every frame is piped and the picks are taken here.
      const inFfmpeg = picks.length <= MAX_PICKS_IN_FILTER;
      let k = 0;
      let n = 0;
      for await (const frame of decodeVideoFrames(path, stream, {
        pixelFormat,
        ...size,
        ...(inFfmpeg ? { selectFrames: picks } : {}),
      })) {
        if (frame.length < width * height || k >= picks.length) break;
        if (!inFfmpeg && n++ !== picks[k]) continue;
        const rgb = rotate(yuv420ToRgb(frame, width, height, matrix), stream.rotation);
        frames.push({ time: timeOf(picks[k] as number), reason, faces: await detectFaces(rgb, detect) });
        k++;
      }
    };
    await look(grid, 'interval');
    const onGrid = new Set(grid);
    await look(
      (await cutsFound).filter((i) => !onGrid.has(i)),
      'scene-change',
    );
    frames.sort((a, b) => a.time - b.time);
    const quarter = ((Math.round(stream.rotation / 90) % 4) + 4) % 4;
    return {
      durationSeconds: stream.durationSeconds ?? probe.durationSeconds ?? (times.at(-1) ?? 0) - t0,
      width: quarter % 2 === 1 ? height : width,
      height: quarter % 2 === 1 ? width : height,
      frames,
    };
  });
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs((a[i] as number) - (b[i] as number));
  return s / a.length;
}

interface ColourMatrix {
  readonly full: boolean;
  /** Kr and Kb of the matrix (ITU-R BT.601: 0.299/0.114, BT.709: 0.2126/0.0722). */
  readonly kr: number;
  readonly kb: number;
}

function colourMatrix(stream: VideoStreamInfo, fullRangeFormat: boolean): ColourMatrix {
  const full = fullRangeFormat || stream.colour.range === 'pc';
  const space = stream.colour.space;
  // Untagged streams: HD sizes are BT.709 by convention, SD BT.601 (what players assume too).
  const hd = space === undefined || space === 'unknown' ? stream.height >= 720 : space === 'bt709';
  return hd ? { full, kr: 0.2126, kb: 0.0722 } : { full, kr: 0.299, kb: 0.114 };
}

/** 8-bit 4:2:0 planar (Y, then U and V at half size) to interleaved RGB. */
export function yuv420ToRgb(
  frame: Uint8Array,
  width: number,
  height: number,
  m: { readonly full: boolean; readonly kr: number; readonly kb: number },
): FacePixels {
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const uOff = width * height;
  const vOff = uOff + cw * ch;
  const kg = 1 - m.kr - m.kb;
  // Limited range: Y 16–235, chroma 16–240 (BT.601/709 §"quantisation").
  const ys = m.full ? 1 : 255 / 219;
  const cs = m.full ? 1 : 255 / 224;
  const y0 = m.full ? 0 : 16;
  const rv = 2 * (1 - m.kr) * cs;
  const bu = 2 * (1 - m.kb) * cs;
  const gu = ((2 * (1 - m.kb) * m.kb) / kg) * cs;
  const gv = ((2 * (1 - m.kr) * m.kr) / kg) * cs;
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const crow = (y >> 1) * cw;
    for (let x = 0; x < width; x++) {
      const Y = ((frame[y * width + x] as number) - y0) * ys;
      const c = crow + (x >> 1);
      const U = (frame[uOff + c] as number) - 128;
      const V = (frame[vOff + c] as number) - 128;
      const o = (y * width + x) * 3;
      // Uint8Array stores clamp-free: clamp explicitly.
      out[o] = clamp(Y + rv * V);
      out[o + 1] = clamp(Y - gu * U - gv * V);
      out[o + 2] = clamp(Y + bu * U);
    }
  }
  return { data: out, width, height };
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** Turn stored-orientation pixels to display orientation (rotation: degrees counter-clockwise). */
function rotate(p: FacePixels, rotation: number): FacePixels {
  const quarter = ((Math.round(rotation / 90) % 4) + 4) % 4;
  if (quarter === 0) return p;
  const { width: w, height: h, data } = p;
  const ow = quarter === 2 ? w : h;
  const oh = quarter === 2 ? h : w;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Counter-clockwise by 90°: (x, y) -> (y, w - 1 - x); 180°: (w - 1 - x, h - 1 - y); 270°: (h - 1 - y, x).
      const [dx, dy] =
        quarter === 1 ? [y, w - 1 - x] : quarter === 2 ? [w - 1 - x, h - 1 - y] : [h - 1 - y, x];
      const s = (y * w + x) * 3;
      const d = (dy * ow + dx) * 3;
      out[d] = data[s] as number;
      out[d + 1] = data[s + 1] as number;
      out[d + 2] = data[s + 2] as number;
    }
  }
  return { data: out, width: ow, height: oh };
}
