/** Ad-like test images built in code around a face image (the face files themselves come from the fixtures). */
import sharp from 'sharp';

/** A 1200×628 banner: coloured background, headline text, the face scaled to `faceWidth` px on the left. */
export async function bannerAd(
  face: Uint8Array,
  faceWidth = 220,
  headline = 'NEW SEASON SALE',
): Promise<Uint8Array> {
  const placed = await sharp(face).resize(faceWidth).png().toBuffer();
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="628">
       <rect width="1200" height="628" fill="#1d3557"/>
       <text x="520" y="300" font-family="sans-serif" font-size="64" fill="#f1faee">${headline}</text>
       <text x="520" y="380" font-family="sans-serif" font-size="36" fill="#a8dadc">up to 50% off, this week only</text>
     </svg>`,
  );
  const out = await sharp(svg)
    .composite([{ input: placed, left: 120, top: Math.round((628 - faceWidth) / 2) }])
    .jpeg({ quality: 90 })
    .toBuffer();
  return new Uint8Array(out);
}

/**
 * A 640×360 H.264 video of `seconds` length on a plain background, with `face` (scaled to
 * `faceWidth`) shown from `from` to `to` seconds and `other` (if given) before that. Made with ffmpeg
 * from the still images; returns the MP4 bytes.
 */
export async function faceVideo(opts: {
  readonly face: Uint8Array;
  readonly other?: Uint8Array;
  readonly from: number;
  readonly to: number;
  readonly seconds?: number;
  readonly faceWidth?: number;
  readonly width?: number;
  readonly height?: number;
}): Promise<Uint8Array> {
  const { runFfmpeg } = await import('../../src/media/ffmpeg/run.js');
  const { mkdtemp, writeFile, readFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const w = opts.width ?? 640;
  const h = opts.height ?? 360;
  const fw = opts.faceWidth ?? Math.round(h / 2);
  const dir = await mkdtemp(join(tmpdir(), 'likeness-video-'));
  try {
    await writeFile(join(dir, 'face.png'), await sharp(opts.face).resize(fw).png().toBuffer());
    await writeFile(
      join(dir, 'other.png'),
      await sharp(opts.other ?? opts.face)
        .resize(fw)
        .png()
        .toBuffer(),
    );
    const seconds = opts.seconds ?? 10;
    const x = Math.round(w / 2 - fw / 2);
    const y = Math.round(h / 2 - fw / 2);
    await runFfmpeg([
      '-f',
      'lavfi',
      '-i',
      `color=c=0x406080:s=${w}x${h}:r=25:d=${seconds}`,
      '-loop',
      '1',
      '-i',
      join(dir, 'face.png'),
      '-loop',
      '1',
      '-i',
      join(dir, 'other.png'),
      '-filter_complex',
      `[0][1]overlay=${x}:${y}:enable='between(t,${opts.from},${opts.to})'[a];` +
        `[a][2]overlay=${x}:${y}:enable='${opts.other ? `lt(t,${opts.from})` : '0'}':shortest=1,format=yuv420p[v]`,
      '-map',
      '[v]',
      '-t',
      String(seconds),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-y',
      join(dir, 'out.mp4'),
    ]);
    return new Uint8Array(await readFile(join(dir, 'out.mp4')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
