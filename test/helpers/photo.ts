import sharp from 'sharp';

/**
 * A photograph-like test image: smooth shapes and gradients with fine texture and noise,
 * JPEG q90 (made here so core tests need no fixture files).
 */
export async function photoLike(width: number, height: number, seed = 1): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * 3);
  let s = seed * 7919 + 17;
  const rnd = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  const blobs = Array.from({ length: 12 }, () => ({
    x: rnd() * width,
    y: rnd() * height,
    r: (0.1 + rnd() * 0.3) * Math.min(width, height),
    c: [rnd() * 255, rnd() * 255, rnd() * 255],
  }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 90 + (60 * y) / height;
      let g = 110 + (40 * x) / width;
      let b = 140;
      for (const bl of blobs) {
        const d = Math.hypot(x - bl.x, y - bl.y);
        if (d < bl.r) {
          const w = 0.6 * (1 - d / bl.r);
          r = r * (1 - w) + bl.c[0]! * w;
          g = g * (1 - w) + bl.c[1]! * w;
          b = b * (1 - w) + bl.c[2]! * w;
        }
      }
      const tex = 12 * Math.sin(x * 0.21 + seed) * Math.sin(y * 0.17) + (rnd() - 0.5) * 14;
      const i = (y * width + x) * 3;
      raw[i] = Math.max(0, Math.min(255, r + tex));
      raw[i + 1] = Math.max(0, Math.min(255, g + tex));
      raw[i + 2] = Math.max(0, Math.min(255, b + tex));
    }
  }
  return new Uint8Array(
    await sharp(raw, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
}
