/**
 * The four input conditions the detector is evaluated under (MODEL_CARD.md): the original file, a
 * normalised copy (centre square, Lanczos to 256², JPEG 90: removes format and size shortcuts),
 * JPEG 75, and a ×0.5 Lanczos resize. One definition for eval.ts and explore.ts, so every table
 * in the model card scores the same transformations.
 */
import { loadSharp } from '../src/media/image.js';

export type Condition = 'original' | 'normalised' | 'jpeg75' | 'resize50';

export const CONDITIONS: readonly Condition[] = ['original', 'normalised', 'jpeg75', 'resize50'];

/** Apply one evaluation condition to encoded image bytes. */
export async function transform(bytes: Uint8Array, condition: Condition): Promise<Uint8Array> {
  if (condition === 'original') return bytes;
  const sharp = await loadSharp();
  const img = sharp(bytes);
  const meta = await img.metadata();
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  let out: Buffer;
  if (condition === 'normalised') {
    const side = Math.min(w, h);
    out = await sharp(bytes)
      .extract({
        left: Math.floor((w - side) / 2),
        top: Math.floor((h - side) / 2),
        width: side,
        height: side,
      })
      .resize(256, 256, { kernel: 'lanczos3' })
      .jpeg({ quality: 90 })
      .toBuffer();
  } else if (condition === 'jpeg75') {
    out = await sharp(bytes).jpeg({ quality: 75 }).toBuffer();
  } else {
    out = await sharp(bytes)
      .resize(Math.round(w / 2), Math.round(h / 2), { kernel: 'lanczos3' })
      .png()
      .toBuffer();
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
