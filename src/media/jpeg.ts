/**
 * JPEG marker segments (ITU T.81 B.1.1) and what provmark reads from them. Pure TypeScript over the
 * bytes, no decoding library: the one segment walker that the metadata carrier (media/image.ts), the
 * C2PA signer-certificate reader (APP11) and the detector's metadata reader (APP1, COM, DQT) share,
 * and the one JPEG quality estimate.
 */

/** One marker segment: `marker` is the byte after 0xFF; `body` the payload after the length field. */
export interface JpegSegment {
  readonly marker: number;
  /** Offset of the segment's 0xFF in the file. */
  readonly start: number;
  /** Offset just past the segment. */
  readonly end: number;
  readonly body: Uint8Array;
}

/** True when `bytes` start with the SOI marker. */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xd8;
}

/**
 * The marker segments of the header, in file order: everything from SOI up to the first SOS (start of
 * scan: entropy-coded data follows) or EOI. Fill bytes (0xFF 0xFF) and the markers that stand alone
 * (SOI, TEM, RST0–7) are stepped over. Damaged structure ends the walk quietly: a byte that is not a
 * marker where one is due, or a length field under 2 or past the end of the file. Nothing when `bytes`
 * do not start with SOI.
 *
 * @example
 * ```ts
 * for (const s of jpegSegments(bytes)) if (s.marker === 0xfe) comments.push(s.body);
 * ```
 */
export function* jpegSegments(bytes: Uint8Array): Generator<JpegSegment> {
  if (!isJpeg(bytes)) return;
  let o = 2;
  while (o + 4 <= bytes.length) {
    if (bytes[o] !== 0xff) return;
    const marker = bytes[o + 1]!;
    if (marker === 0xff) {
      o += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      o += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return;
    const length = (bytes[o + 2]! << 8) | bytes[o + 3]!;
    if (length < 2 || o + 2 + length > bytes.length) return;
    yield { marker, start: o, end: o + 2 + length, body: bytes.subarray(o + 4, o + 2 + length) };
    o += 2 + length;
  }
}

/**
 * Add the quantisation tables of one DQT segment's body to `out` by table id (a later definition of
 * an id replaces an earlier one), in zig-zag order as stored. T.81 B.2.4.1: Pq (precision) / Tq (id),
 * then 64 entries of 8 or 16 bits; a truncated table ends the segment.
 */
export function readDqtSegment(body: Uint8Array, out: Map<number, number[]>): void {
  let o = 0;
  while (o < body.length) {
    const pq = body[o]! >> 4;
    const tq = body[o]! & 15;
    const size = pq === 0 ? 64 : 128;
    if (o + 1 + size > body.length) return;
    const table: number[] = [];
    for (let i = 0; i < 64; i++)
      table.push(pq === 0 ? body[o + 1 + i]! : (body[o + 1 + 2 * i]! << 8) | body[o + 2 + 2 * i]!);
    out.set(tq, table);
    o += 1 + size;
  }
}

/** The quantisation tables defined before the first scan, by table id (0 is luminance in baseline files). */
export function jpegQuantTables(bytes: Uint8Array): Map<number, number[]> {
  const tables = new Map<number, number[]>();
  for (const s of jpegSegments(bytes)) if (s.marker === 0xdb) readDqtSegment(s.body, tables);
  return tables;
}

/** IJG (libjpeg) standard luminance table, ITU T.81 Annex K.1, in zig-zag order as stored in DQT. */
const IJG_LUMA_ZIGZAG = [
  16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40, 26, 24, 22, 22, 24, 49, 35, 37, 29, 40, 58,
  51, 61, 60, 57, 51, 56, 55, 64, 72, 92, 78, 64, 68, 87, 69, 55, 56, 80, 109, 81, 87, 95, 98, 103, 104, 103,
  62, 77, 113, 121, 112, 100, 120, 92, 101, 103, 99,
];

/**
 * The IJG quality (1–100) whose scaled luminance table is closest (least absolute difference, lowest
 * quality on a tie) to `lumaTable`, a file's table 0 in zig-zag order. Exact for files saved by libjpeg
 * and its descendants (sharp, libvips, mozjpeg with the Annex K tables) at every quality; encoders with
 * their own tables (cameras, Photoshop) get the nearest IJG equivalent: how coarse the quantisation is.
 *
 * @example
 * ```ts
 * const luma = jpegQuantTables(bytes).get(0);
 * const quality = luma && nearestIjgQuality(luma);
 * ```
 */
export function nearestIjgQuality(lumaTable: readonly number[]): number {
  let best = 100;
  let bestErr = Infinity;
  for (let q = 1; q <= 100; q++) {
    // IJG jcparam.c: scale 5000/Q below 50, 200 - 2Q from 50; entries rounded and kept in 1..255.
    const scale = q < 50 ? 5000 / q : 200 - 2 * q;
    let err = 0;
    for (let i = 0; i < 64; i++) {
      const t = Math.min(255, Math.max(1, Math.floor((IJG_LUMA_ZIGZAG[i]! * scale + 50) / 100)));
      err += Math.abs(t - (lumaTable[i] ?? t));
    }
    if (err < bestErr) {
      bestErr = err;
      best = q;
    }
  }
  return best;
}

/**
 * The quality a JPEG was saved at, as {@link nearestIjgQuality} of its luminance table; undefined when
 * the bytes are not a JPEG or define no table 0 before the first scan.
 *
 * @example
 * ```ts
 * const quality = estimateJpegQuality(bytes) ?? 90;
 * ```
 */
export function estimateJpegQuality(bytes: Uint8Array): number | undefined {
  const luma = jpegQuantTables(bytes).get(0);
  return luma === undefined ? undefined : nearestIjgQuality(luma);
}
