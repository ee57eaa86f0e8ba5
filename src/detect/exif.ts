/**
 * A minimal EXIF reader for the few tags the detector uses (TIFF 6.0 section 2 IFD structure, EXIF 2.32 tags).
 * Bounds-checked; damaged IFDs end the walk instead of throwing.
 */

/** Text tags read from IFD0 and the EXIF sub-IFD, keyed by a name that includes the tag number. */
export interface ExifText {
  readonly tag: number;
  readonly name: string;
  readonly ifd: 'IFD0' | 'ExifIFD';
  readonly value: string;
}

const IFD0_TAGS: Record<number, string> = {
  0x010e: 'ImageDescription',
  0x010f: 'Make',
  0x0110: 'Model',
  0x0131: 'Software',
  0x013b: 'Artist',
};
const EXIF_TAGS: Record<number, string> = { 0x9286: 'UserComment' };
const EXIF_IFD_POINTER = 0x8769;
const MAX_ENTRIES = 512;

/** Read the text tags of interest from a TIFF-structured EXIF block. */
export function readExifText(tiff: Uint8Array): ExifText[] {
  if (tiff.length < 8) return [];
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return [];
  const u16 = (o: number): number =>
    little ? tiff[o]! | (tiff[o + 1]! << 8) : (tiff[o]! << 8) | tiff[o + 1]!;
  const u32 = (o: number): number =>
    little
      ? (tiff[o]! | (tiff[o + 1]! << 8) | (tiff[o + 2]! << 16) | (tiff[o + 3]! << 24)) >>> 0
      : ((tiff[o]! << 24) | (tiff[o + 1]! << 16) | (tiff[o + 2]! << 8) | tiff[o + 3]!) >>> 0;
  if (u16(2) !== 42) return [];
  const out: ExifText[] = [];

  const walk = (
    ifdOffset: number,
    ifd: 'IFD0' | 'ExifIFD',
    tags: Record<number, string>,
  ): number | undefined => {
    if (ifdOffset < 8 || ifdOffset + 2 > tiff.length) return undefined;
    const count = Math.min(u16(ifdOffset), MAX_ENTRIES);
    let pointer: number | undefined;
    for (let i = 0; i < count; i++) {
      const e = ifdOffset + 2 + i * 12;
      if (e + 12 > tiff.length) break;
      const tag = u16(e);
      const type = u16(e + 2);
      const n = u32(e + 4);
      if (tag === EXIF_IFD_POINTER && ifd === 'IFD0') pointer = u32(e + 8);
      const name = tags[tag];
      // Type 2 = ASCII, 7 = UNDEFINED (UserComment), 1 = BYTE (some writers); values over 4 bytes are at an offset.
      if (!name || (type !== 2 && type !== 7 && type !== 1) || n === 0 || n > 1 << 20) continue;
      const start = n <= 4 ? e + 8 : u32(e + 8);
      if (start + n > tiff.length) continue;
      const raw = tiff.subarray(start, start + n);
      const value = tag === 0x9286 ? decodeUserComment(raw) : decodeAscii(raw);
      if (value) out.push({ tag, name, ifd, value });
    }
    return pointer;
  };

  const exifIfd = walk(u32(4), 'IFD0', IFD0_TAGS);
  if (exifIfd !== undefined) walk(exifIfd, 'ExifIFD', EXIF_TAGS);
  return out;
}

function decodeAscii(raw: Uint8Array): string {
  let end = raw.length;
  while (end > 0 && raw[end - 1] === 0) end--;
  return new TextDecoder('utf-8', { fatal: false }).decode(raw.subarray(0, end)).trim();
}

// EXIF 2.32 4.6.5 UserComment: 8-byte character code ("ASCII\0\0\0", "UNICODE\0", "JIS\0\0\0\0\0") then the text.
function decodeUserComment(raw: Uint8Array): string {
  if (raw.length < 8) return '';
  const code = new TextDecoder('latin1').decode(raw.subarray(0, 8)).replace(/\0+$/, '');
  const body = raw.subarray(8);
  if (code === 'UNICODE') {
    // No byte-order mark in the standard; writers differ, so pick the order with more zero high bytes.
    let evenZeros = 0;
    let oddZeros = 0;
    for (let i = 0; i + 1 < body.length; i += 2) {
      if (body[i] === 0) evenZeros++;
      if (body[i + 1] === 0) oddZeros++;
    }
    return new TextDecoder(evenZeros > oddZeros ? 'utf-16be' : 'utf-16le')
      .decode(body)
      .replace(/\0+$/, '')
      .trim();
  }
  return decodeAscii(body);
}
