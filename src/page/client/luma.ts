/**
 * Browser decoding for the watermark detector: the image is scaled to the detector's working area
 * by the browser's own decoder and resampler, flattened on mid grey, and reduced to Rec. 601 luma,
 * the steps src/media/image.ts `decodeLumaPlane` takes with libvips in Node.
 */

/** Working-plane size for an image of `width`×`height` (as `decodeLumaPlane`). */
export function workingSize(
  width: number,
  height: number,
  targetArea: number,
): { width: number; height: number } {
  const scale = Math.sqrt(targetArea / (width * height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Rec. 601 luma of interleaved RGBA pixels (alpha already flattened). */
export function lumaOfRgba(rgba: Uint8ClampedArray, n: number): Float32Array {
  const plane = new Float32Array(n);
  for (let i = 0, p = 0; i < n; i++, p += 4)
    plane[i] = 0.299 * rgba[p]! + 0.587 * rgba[p + 1]! + 0.114 * rgba[p + 2]!;
  return plane;
}

/** Luma plane of a decoded bitmap at the working area (browser only: OffscreenCanvas). */
export function lumaPlane(
  bitmap: ImageBitmap,
  targetArea: number,
): { plane: Float32Array; width: number; height: number } {
  const { width, height } = workingSize(bitmap.width, bitmap.height, targetArea);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('OffscreenCanvas 2D is not available');
  ctx.fillStyle = '#808080';
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, width, height);
  const data = ctx.getImageData(0, 0, width, height).data;
  return { plane: lumaOfRgba(data, width * height), width, height };
}
