/** Minimal JPEG marker walking for tamper tests (not used by the library). */
export interface JpegSegment {
  readonly marker: number;
  readonly start: number;
  readonly end: number;
}

/** Segments before the first SOS (start of scan), plus the scan-data offset. */
export function jpegSegments(bytes: Uint8Array): { segments: JpegSegment[]; scanStart: number } {
  const segments: JpegSegment[] = [];
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) throw new Error(`not a marker at ${pos}`);
    const marker = bytes[pos + 1]!;
    const len = (bytes[pos + 2]! << 8) | bytes[pos + 3]!;
    const end = pos + 2 + len;
    segments.push({ marker, start: pos, end });
    if (marker === 0xda) return { segments, scanStart: end };
    pos = end;
  }
  throw new Error('no SOS marker');
}

/** Index of `needle` in `hay`, or -1. */
export function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle), from);
}
