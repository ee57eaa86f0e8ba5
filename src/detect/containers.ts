/**
 * Pull the metadata blocks the detector reads (EXIF, XMP, PNG text, JPEG quantisation tables) out of the
 * container bytes. Pure TypeScript over the bytes, no decoding library, so the hints are available even when the
 * pixels cannot be decoded. Every parser is bounds-checked and stops quietly at damaged structure: metadata is
 * evidence, never a reason to fail.
 */
import { inflateSync } from 'node:zlib';
import { jpegSegments, readDqtSegment } from '../media/jpeg.js';
import type { MediaFormat } from '../types.js';

/** One PNG text chunk (tEXt, zTXt or iTXt). */
export interface PngTextChunk {
  readonly chunk: 'tEXt' | 'zTXt' | 'iTXt';
  readonly keyword: string;
  readonly text: string;
}

/** The metadata the detector looks at, as found in the file. */
export interface ContainerMetadata {
  /** TIFF-structured EXIF blocks (JPEG APP1 "Exif", PNG eXIf, WebP EXIF, or the TIFF file itself). */
  readonly exif: readonly { readonly where: string; readonly tiff: Uint8Array }[];
  /** XMP packets as text, with where they were found. */
  readonly xmp: readonly { readonly where: string; readonly text: string }[];
  readonly pngText: readonly PngTextChunk[];
  /** JPEG COM segments. */
  readonly jpegComments: readonly string[];
  /** JPEG quantisation tables by table id (0 is luminance in baseline files), in zig-zag order. */
  readonly jpegQuantTables: ReadonlyMap<number, readonly number[]>;
}

const MAX_INFLATE = 8 * 1024 * 1024;
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: false });

const be32 = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const le32 = (b: Uint8Array, o: number): number =>
  (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

function startsWith(b: Uint8Array, offset: number, prefix: string): boolean {
  if (offset + prefix.length > b.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[offset + i] !== prefix.charCodeAt(i)) return false;
  return true;
}

/** Read the metadata blocks of an image whose format was sniffed from its bytes. */
export function readContainerMetadata(bytes: Uint8Array, format: MediaFormat): ContainerMetadata {
  const meta: MutableMeta = { exif: [], xmp: [], pngText: [], jpegComments: [], jpegQuantTables: new Map() };
  if (format === 'jpeg') readJpeg(bytes, meta);
  else if (format === 'png') readPng(bytes, meta);
  else if (format === 'webp') readWebp(bytes, meta);
  else if (format === 'tiff') meta.exif.push({ where: 'TIFF IFD0', tiff: bytes });
  if (meta.xmp.length === 0) scanForXmp(bytes, meta);
  return meta;
}

interface MutableMeta {
  exif: { where: string; tiff: Uint8Array }[];
  xmp: { where: string; text: string }[];
  pngText: PngTextChunk[];
  jpegComments: string[];
  jpegQuantTables: Map<number, number[]>;
}

const XMP_NS = 'http://ns.adobe.com/xap/1.0/\0';
const XMP_EXT_NS = 'http://ns.adobe.com/xmp/extension/\0';

// JPEG: metadata lives in APPn segments before the first SOS (media/jpeg.ts walks them).
function readJpeg(b: Uint8Array, meta: MutableMeta): void {
  const extended = new Map<string, { total: number; parts: Map<number, Uint8Array> }>();
  for (const { marker, body } of jpegSegments(b)) {
    if (marker === 0xe1 && startsWith(body, 0, 'Exif\0\0')) {
      meta.exif.push({ where: 'JPEG APP1 Exif', tiff: body.subarray(6) });
    } else if (marker === 0xe1 && startsWith(body, 0, XMP_NS)) {
      meta.xmp.push({ where: 'JPEG APP1 XMP', text: utf8.decode(body.subarray(XMP_NS.length)) });
    } else if (marker === 0xe1 && startsWith(body, 0, XMP_EXT_NS)) {
      // XMP Part 3, 1.1.3.1: GUID (32) + full length (4) + offset (4) + portion.
      const h = XMP_EXT_NS.length;
      if (h + 40 <= body.length) {
        const guid = latin1.decode(body.subarray(h, h + 32));
        const entry = extended.get(guid) ?? { total: be32(body, h + 32), parts: new Map() };
        entry.parts.set(be32(body, h + 36), body.subarray(h + 40));
        extended.set(guid, entry);
      }
    } else if (marker === 0xfe) {
      meta.jpegComments.push(utf8.decode(body));
    } else if (marker === 0xdb) {
      readDqtSegment(body, meta.jpegQuantTables);
    }
  }
  for (const { total, parts } of extended.values()) {
    const offsets = [...parts.keys()].sort((x, y) => x - y);
    const chunks = offsets.map((k) => parts.get(k)!);
    const size = chunks.reduce((n, c) => n + c.length, 0);
    if (size !== total || size > MAX_INFLATE) continue;
    meta.xmp.push({ where: 'JPEG APP1 extended XMP', text: chunks.map((c) => utf8.decode(c)).join('') });
  }
}

// PNG: ISO/IEC 15948 11.3.4 (tEXt, zTXt, iTXt) and the PNG 3rd edition eXIf chunk.
function readPng(b: Uint8Array, meta: MutableMeta): void {
  let o = 8;
  while (o + 12 <= b.length) {
    const len = be32(b, o);
    const type = latin1.decode(b.subarray(o + 4, o + 8));
    const s = o + 8;
    const e = s + len;
    if (e + 4 > b.length) break;
    const data = b.subarray(s, e);
    if (type === 'tEXt') {
      const z = data.indexOf(0);
      if (z > 0)
        meta.pngText.push({
          chunk: 'tEXt',
          keyword: latin1.decode(data.subarray(0, z)),
          text: latin1.decode(data.subarray(z + 1)),
        });
    } else if (type === 'zTXt') {
      const z = data.indexOf(0);
      const text = z > 0 ? inflate(data.subarray(z + 2)) : undefined;
      if (z > 0 && text)
        meta.pngText.push({
          chunk: 'zTXt',
          keyword: latin1.decode(data.subarray(0, z)),
          text: latin1.decode(text),
        });
    } else if (type === 'iTXt') {
      readItxt(data, meta);
    } else if (type === 'eXIf') {
      meta.exif.push({ where: 'PNG eXIf', tiff: data });
    } else if (type === 'IEND') {
      break;
    }
    o = e + 4;
  }
}

function readItxt(data: Uint8Array, meta: MutableMeta): void {
  const z = data.indexOf(0);
  if (z <= 0 || z + 3 > data.length) return;
  const keyword = latin1.decode(data.subarray(0, z));
  const compressed = data[z + 1] === 1;
  const langEnd = data.indexOf(0, z + 3);
  if (langEnd < 0) return;
  const transEnd = data.indexOf(0, langEnd + 1);
  if (transEnd < 0) return;
  const raw = data.subarray(transEnd + 1);
  const body = compressed ? inflate(raw) : raw;
  if (!body) return;
  const text = utf8.decode(body);
  if (keyword === 'XML:com.adobe.xmp') meta.xmp.push({ where: 'PNG iTXt "XML:com.adobe.xmp"', text });
  else meta.pngText.push({ chunk: 'iTXt', keyword, text });
}

function inflate(data: Uint8Array): Uint8Array | undefined {
  try {
    return inflateSync(data, { maxOutputLength: MAX_INFLATE });
  } catch {
    return undefined;
  }
}

// WebP: RIFF container, "EXIF" and "XMP " chunks (WebP container specification, Extended File Format).
function readWebp(b: Uint8Array, meta: MutableMeta): void {
  let o = 12;
  while (o + 8 <= b.length) {
    const type = latin1.decode(b.subarray(o, o + 4));
    const len = le32(b, o + 4);
    const s = o + 8;
    const e = s + len;
    if (e > b.length) break;
    if (type === 'EXIF') {
      const skip = startsWith(b, s, 'Exif\0\0') ? 6 : 0;
      meta.exif.push({ where: 'WebP EXIF', tiff: b.subarray(s + skip, e) });
    } else if (type === 'XMP ') {
      meta.xmp.push({ where: 'WebP XMP', text: utf8.decode(b.subarray(s, e)) });
    }
    o = e + (len & 1);
  }
}

// XMP packets are stored as plain text in every container (XMP Part 3), so a byte scan finds them in
// AVIF/HEIC/GIF/TIFF where no dedicated parser runs.
function scanForXmp(b: Uint8Array, meta: MutableMeta): void {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let from = 0;
  for (let n = 0; n < 4; n++) {
    const start = buf.indexOf('<x:xmpmeta', from, 'latin1');
    if (start < 0) return;
    const end = buf.indexOf('</x:xmpmeta>', start, 'latin1');
    if (end < 0 || end - start > MAX_INFLATE) return;
    meta.xmp.push({ where: 'XMP packet', text: utf8.decode(b.subarray(start, end + 12)) });
    from = end + 12;
  }
}
