/**
 * Native-resolution crops for the model, mirroring training/train.py `inference_crops` exactly: resizing would
 * erase the pixel-level traces the model reads, so the image is never scaled, only cut.
 */
import type { RgbPixels } from '../media/image.js';

/** The crop protocol stored in calibration.json by the training script. */
export interface CropProtocol {
  readonly crop: number;
  readonly grid: number;
  /** Share of rows dropped at the bottom (visible generator marks: StyleGAN2 credit text, DALL-E 2 colour bar). */
  readonly bottomDiscard: number;
  /**
   * Also score every crop mirrored left-right (the batch holds the grid crops, then their mirror images, so the
   * mean over the batch averages each crop with its mirror). Training flipped crops at random, so both
   * orientations are in-distribution; averaging them lowers the variance of the crop logits.
   */
  readonly flip?: boolean;
}

/** Rows kept after dropping the bottom share, as train.py `usable_height`. */
export function usableHeight(height: number, p: CropProtocol): number {
  return height - Math.floor(height * p.bottomDiscard);
}

/** `n` evenly spaced offsets, each rounded down to even so the 2x2 upsampling phase the model sees is fixed. */
export function gridOffsets(length: number, crop: number, n: number): number[] {
  if (length < crop) return [];
  const span = length - crop;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const o = n > 1 ? Math.floor((span * i) / (n - 1)) : Math.floor(span / 2);
    out.push(o - (o % 2));
  }
  return out;
}

/**
 * Cut grid x grid crops (and, with `flip`, their mirror images after them) into one NCHW float32 batch in [0, 1].
 * Returns undefined when the usable area is smaller than one crop.
 */
export function extractCrops(
  img: RgbPixels,
  p: CropProtocol,
): { data: Float32Array; count: number } | undefined {
  const ys = gridOffsets(usableHeight(img.height, p), p.crop, p.grid);
  const xs = gridOffsets(img.width, p.crop, p.grid);
  if (ys.length === 0 || xs.length === 0) return undefined;
  const c = p.crop;
  const plane = c * c;
  const grid = ys.length * xs.length;
  const count = p.flip === true ? 2 * grid : grid;
  const data = new Float32Array(count * 3 * plane);
  let n = 0;
  for (const y0 of ys) {
    for (const x0 of xs) {
      const base = n * 3 * plane;
      for (let y = 0; y < c; y++) {
        let src = ((y0 + y) * img.width + x0) * 3;
        const row = y * c;
        for (let x = 0; x < c; x++, src += 3) {
          data[base + row + x] = img.data[src]! / 255;
          data[base + plane + row + x] = img.data[src + 1]! / 255;
          data[base + 2 * plane + row + x] = img.data[src + 2]! / 255;
        }
      }
      n++;
    }
  }
  if (count > grid) {
    // Mirror images: same crops, each row reversed.
    for (let k = 0; k < grid; k++) {
      const from = k * 3 * plane;
      const to = (grid + k) * 3 * plane;
      for (let r = 0; r < 3 * c; r++) {
        const rowFrom = from + r * c;
        const rowTo = to + r * c;
        for (let x = 0; x < c; x++) data[rowTo + x] = data[rowFrom + c - 1 - x]!;
      }
    }
  }
  return { data, count };
}
