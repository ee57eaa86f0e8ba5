/** Generated test images (no fixtures needed). */
import sharp from 'sharp';

/** Deterministic pseudo-random generator for test content. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export type Kind = 'textured' | 'flat' | 'smooth' | 'photo-like';

/** A width × height plane of the given kind, values 0–255. */
export function plane(kind: Kind, width: number, height: number, seed = 1): Float32Array {
  const r = lcg(seed);
  const p = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v: number;
      if (kind === 'flat') v = 140;
      else if (kind === 'smooth') v = 60 + (120 * (x + y)) / (width + height);
      else if (kind === 'textured')
        v = 128 + 45 * Math.sin(x / 7 + seed) * Math.cos(y / 11) + 25 * (r() - 0.5);
      else
        v =
          120 +
          60 * Math.sin(x / 45) * Math.sin(y / 60 + seed) +
          20 * Math.sin((x - y) / 5) * (x > width / 2 ? 1 : 0.2) +
          8 * (r() - 0.5);
      p[y * width + x] = Math.max(0, Math.min(255, v));
    }
  }
  return p;
}

/** Encode a generated image; channels 1 (grey), 3 (RGB) or 4 (RGBA). */
export async function image(
  kind: Kind,
  width: number,
  height: number,
  options: { channels?: 1 | 3 | 4; format?: 'png' | 'jpeg' | 'webp'; seed?: number } = {},
): Promise<Buffer> {
  const channels = options.channels ?? 3;
  const p = plane(kind, width, height, options.seed ?? 1);
  const data = Buffer.alloc(width * height * channels);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < Math.min(channels, 3); c++)
      data[i * channels + c] = Math.max(0, Math.min(255, Math.round(p[i]! + (c - 1) * 10)));
    if (channels === 4) data[i * 4 + 3] = 255;
  }
  const s = sharp(data, { raw: { width, height, channels } });
  if (options.format === 'jpeg') return s.jpeg({ quality: 92 }).toBuffer();
  if (options.format === 'webp') return s.webp({ quality: 90 }).toBuffer();
  return s.png({ compressionLevel: 1 }).toBuffer();
}
