/**
 * Is this input like the images the model was validated on? Cheap measurements that let the detector abstain
 * instead of guessing on screenshots, graphics, tiny or heavily compressed images.
 */
import type { RgbPixels } from '../media/image.js';

/** IJG (libjpeg) standard luminance table, ITU T.81 Annex K.1, in zig-zag order as stored in DQT. */
const IJG_LUMA_ZIGZAG = [
  16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40, 26, 24, 22, 22, 24, 49, 35, 37, 29, 40, 58,
  51, 61, 60, 57, 51, 56, 55, 64, 72, 92, 78, 64, 68, 87, 69, 55, 56, 80, 109, 81, 87, 95, 98, 103, 104, 103,
  62, 77, 113, 121, 112, 100, 120, 92, 101, 103, 99,
];

/**
 * Estimate the IJG quality (1-100) whose scaled luminance table is closest to the file's table 0.
 * Encoders with their own tables (cameras, Photoshop) get the nearest IJG equivalent, which is what matters here:
 * how coarse the quantisation is.
 */
export function estimateJpegQuality(luma: readonly number[]): number {
  let best = 100;
  let bestErr = Infinity;
  for (let q = 1; q <= 100; q++) {
    const scale = q < 50 ? 5000 / q : 200 - 2 * q;
    let err = 0;
    for (let i = 0; i < 64; i++) {
      const t = Math.min(255, Math.max(1, Math.floor((IJG_LUMA_ZIGZAG[i]! * scale + 50) / 100)));
      err += Math.abs(t - (luma[i] ?? t));
    }
    if (err < bestErr) {
      bestErr = err;
      best = q;
    }
  }
  return best;
}

/** Pixel statistics for the photographic-content check. */
export interface ContentStats {
  /** Share of sampled horizontal and vertical neighbour pairs that are exactly equal in all three channels. */
  readonly flatShare: number;
  /** Distinct colours among the sampled pixels (at most {@link SAMPLE_PIXELS}). */
  readonly distinctColours: number;
  readonly sampled: number;
}

const SAMPLE_PIXELS = 65_536;

/**
 * Sample up to 65 536 pixel positions on a regular grid. Photos carry sensor noise and JPEG noise, so exactly equal
 * neighbours are rare and colours are many; screenshots, logos and flat graphics have large equal areas and few
 * colours.
 */
export function measureContent(img: RgbPixels): ContentStats {
  const { width, height, data } = img;
  const step = Math.max(1, Math.floor(Math.sqrt((width * height) / SAMPLE_PIXELS)));
  const colours = new Set<number>();
  let flat = 0;
  let pairs = 0;
  let sampled = 0;
  for (let y = 0; y + 1 < height; y += step) {
    for (let x = 0; x + 1 < width; x += step) {
      const p = (y * width + x) * 3;
      const r = data[p]!;
      const g = data[p + 1]!;
      const b = data[p + 2]!;
      colours.add((r << 16) | (g << 8) | b);
      sampled++;
      const right = p + 3;
      const down = p + width * 3;
      if (data[right] === r && data[right + 1] === g && data[right + 2] === b) flat++;
      if (data[down] === r && data[down + 1] === g && data[down + 2] === b) flat++;
      pairs += 2;
    }
  }
  return { flatShare: pairs ? flat / pairs : 1, distinctColours: colours.size, sampled };
}
