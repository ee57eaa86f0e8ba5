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
