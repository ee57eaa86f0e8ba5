/**
 * Is this input like the images the model was validated on? Cheap measurements that let the detector abstain
 * instead of guessing on screenshots, graphics, tiny or heavily compressed images.
 */
import type { RgbPixels } from '../media/image.js';

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
