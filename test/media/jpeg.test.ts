import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readContainerMetadata } from '../../src/detect/containers.js';
import { decodeImagePixels, encodeImagePixels } from '../../src/media/image.js';
import {
  estimateJpegQuality,
  jpegQuantTables,
  jpegSegments,
  nearestIjgQuality,
  readDqtSegment,
} from '../../src/media/jpeg.js';

const W = 96;
const H = 64;

/** A textured RGB test card (smooth gradients plus a fine pattern). */
function card(): Buffer {
  const raw = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      raw[i] = (x * 255) / W;
      raw[i + 1] = (y * 255) / H;
      raw[i + 2] = ((x ^ y) & 7) * 32;
    }
  return raw;
}

async function jpegAt(quality: number): Promise<Uint8Array> {
  const buf = await sharp(card(), { raw: { width: W, height: H, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** The detector's reading: the container metadata's table 0, then the one estimate. */
function detectorQuality(bytes: Uint8Array): number | undefined {
  const luma = readContainerMetadata(bytes, 'jpeg').jpegQuantTables.get(0);
  return luma === undefined ? undefined : nearestIjgQuality(luma);
}

describe('JPEG quality: one estimate for the re-encoder and the detector', () => {
  const files = new Map<number, Uint8Array>();
  // 30/50/75/90 are the usual ones; 1, 10, 99 and 100 are where scaling clamps the table to 255 or 1
  // (an average-ratio estimate read them as 7, 12, 98 and 99).
  const qualities = [1, 10, 30, 50, 75, 90, 99, 100];
  beforeAll(async () => {
    for (const q of qualities) files.set(q, await jpegAt(q));
  });

  it.each(qualities)('reads quality %i back from a sharp JPEG, the same for both callers', (q) => {
    const bytes = files.get(q)!;
    expect(estimateJpegQuality(bytes)).toBe(q);
    expect(detectorQuality(bytes)).toBe(q);
  });

  it('re-encodes a JPEG at the quality it was saved at', async () => {
    for (const q of [50, 100]) {
      const original = files.get(q)!;
      const out = await encodeImagePixels(await decodeImagePixels(original), original);
      expect(estimateJpegQuality(out)).toBe(q);
    }
  });

  it('is undefined without a JPEG or a luminance table', () => {
    expect(estimateJpegQuality(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBeUndefined();
    expect(estimateJpegQuality(Uint8Array.of(0xff, 0xd8, 0xff, 0xd9))).toBeUndefined();
  });
});

/** Bytes of a marker segment with `body`. */
const seg = (marker: number, body: number[]): number[] => [
  0xff,
  marker,
  (body.length + 2) >> 8,
  (body.length + 2) & 255,
  ...body,
];

describe('jpegSegments', () => {
  it('walks the header segments, stepping over fill bytes and standalone markers, up to SOS', () => {
    const bytes = Uint8Array.from([
      0xff,
      0xd8,
      ...seg(0xe0, [1, 2, 3]),
      0xff,
      0xff, // fill byte
      0xff,
      0xd0, // RST0 (stands alone)
      ...seg(0xfe, [0x68, 0x69]),
      ...seg(0xda, [0, 0]),
      ...seg(0xfe, [0x78]), // after the scan starts: not header metadata
    ]);
    const found = [...jpegSegments(bytes)].map((s) => ({
      marker: s.marker,
      start: s.start,
      end: s.end,
      body: [...s.body],
    }));
    expect(found).toEqual([
      { marker: 0xe0, start: 2, end: 9, body: [1, 2, 3] },
      { marker: 0xfe, start: 13, end: 19, body: [0x68, 0x69] },
    ]);
  });

  it('stops quietly at damaged structure and yields nothing for other formats', () => {
    const truncated = Uint8Array.from([0xff, 0xd8, ...seg(0xe1, [1, 2]), 0xff, 0xe1, 0x00, 0x40, 1, 2]);
    expect([...jpegSegments(truncated)].map((s) => s.marker)).toEqual([0xe1]);
    const badLength = Uint8Array.from([0xff, 0xd8, 0xff, 0xe1, 0x00, 0x01, 0, 0]);
    expect([...jpegSegments(badLength)]).toEqual([]);
    const notMarker = Uint8Array.from([0xff, 0xd8, 0x00, 0xe1, 0x00, 0x04, 0, 0]);
    expect([...jpegSegments(notMarker)]).toEqual([]);
    expect([...jpegSegments(Uint8Array.from(seg(0xe1, [1, 2])))]).toEqual([]);
  });
});

describe('readDqtSegment', () => {
  it('reads 8- and 16-bit tables by id, a later definition replacing an earlier one', () => {
    const t8 = Array.from({ length: 64 }, (_, i) => i + 1);
    const t16 = Array.from({ length: 64 }, (_, i) => 300 + i);
    const body = [0x00, ...t8, 0x11, ...t16.flatMap((v) => [v >> 8, v & 255])];
    const out = new Map<number, number[]>();
    readDqtSegment(Uint8Array.from(body), out);
    expect(out.get(0)).toEqual(t8);
    expect(out.get(1)).toEqual(t16);
    readDqtSegment(Uint8Array.from([0x00, ...t8.map((v) => v * 2)]), out);
    expect(out.get(0)).toEqual(t8.map((v) => v * 2));
    // A truncated table ends the segment without adding anything.
    const partial = new Map<number, number[]>();
    readDqtSegment(Uint8Array.from([0x02, 1, 2, 3]), partial);
    expect(partial.size).toBe(0);
  });

  it('finds the tables of a real file before the first scan', async () => {
    const tables = jpegQuantTables(await jpegAt(75));
    expect([...tables.keys()].sort()).toEqual([0, 1]);
    expect(tables.get(0)).toHaveLength(64);
  });
});
