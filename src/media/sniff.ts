import { CorruptMediaError, UnsupportedFormatError } from '../errors.js';
import type { MediaFormat, MediaKind } from '../types.js';

/** Facts about each format: the one place that lists them. */
export interface FormatInfo {
  readonly format: MediaFormat;
  readonly kind: MediaKind;
  /** MIME type, also the format name the C2PA engine takes. */
  readonly mime: string;
  /** Usual file extension, without the dot. */
  readonly extension: string;
  /** Whether sharp can decode pixels of this format here (used for watermarks and thumbnails). */
  readonly decodableImage: boolean;
}

export const FORMATS: Readonly<Record<MediaFormat, FormatInfo>> = {
  jpeg: { format: 'jpeg', kind: 'image', mime: 'image/jpeg', extension: 'jpg', decodableImage: true },
  png: { format: 'png', kind: 'image', mime: 'image/png', extension: 'png', decodableImage: true },
  webp: { format: 'webp', kind: 'image', mime: 'image/webp', extension: 'webp', decodableImage: true },
  avif: { format: 'avif', kind: 'image', mime: 'image/avif', extension: 'avif', decodableImage: true },
  heic: { format: 'heic', kind: 'image', mime: 'image/heic', extension: 'heic', decodableImage: false },
  heif: { format: 'heif', kind: 'image', mime: 'image/heif', extension: 'heif', decodableImage: false },
  gif: { format: 'gif', kind: 'image', mime: 'image/gif', extension: 'gif', decodableImage: true },
  tiff: { format: 'tiff', kind: 'image', mime: 'image/tiff', extension: 'tif', decodableImage: true },
  svg: { format: 'svg', kind: 'image', mime: 'image/svg+xml', extension: 'svg', decodableImage: true },
  mp4: { format: 'mp4', kind: 'video', mime: 'video/mp4', extension: 'mp4', decodableImage: false },
  mov: { format: 'mov', kind: 'video', mime: 'video/quicktime', extension: 'mov', decodableImage: false },
  m4a: { format: 'm4a', kind: 'audio', mime: 'audio/mp4', extension: 'm4a', decodableImage: false },
  wav: { format: 'wav', kind: 'audio', mime: 'audio/wav', extension: 'wav', decodableImage: false },
  mp3: { format: 'mp3', kind: 'audio', mime: 'audio/mpeg', extension: 'mp3', decodableImage: false },
  // Read by the engine (@contentauth/c2pa-wasm 0.13.3, c2pa-rs riff_io / jpegxl_io / pdf_io): checked by
  // giving it each MIME type; provmark verifies these but has no watermark or detector for them.
  avi: { format: 'avi', kind: 'video', mime: 'video/x-msvideo', extension: 'avi', decodableImage: false },
  jxl: { format: 'jxl', kind: 'image', mime: 'image/jxl', extension: 'jxl', decodableImage: false },
  pdf: { format: 'pdf', kind: 'document', mime: 'application/pdf', extension: 'pdf', decodableImage: false },
  // ZIP-based documents (c2pa-rs zip_io): the engine takes the full MIME type, not application/zip.
  docx: {
    format: 'docx',
    kind: 'document',
    mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    extension: 'docx',
    decodableImage: false,
  },
  xlsx: {
    format: 'xlsx',
    kind: 'document',
    mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    extension: 'xlsx',
    decodableImage: false,
  },
  pptx: {
    format: 'pptx',
    kind: 'document',
    mime: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    extension: 'pptx',
    decodableImage: false,
  },
  odt: {
    format: 'odt',
    kind: 'document',
    mime: 'application/vnd.oasis.opendocument.text',
    extension: 'odt',
    decodableImage: false,
  },
  ods: {
    format: 'ods',
    kind: 'document',
    mime: 'application/vnd.oasis.opendocument.spreadsheet',
    extension: 'ods',
    decodableImage: false,
  },
  odp: {
    format: 'odp',
    kind: 'document',
    mime: 'application/vnd.oasis.opendocument.presentation',
    extension: 'odp',
    decodableImage: false,
  },
  epub: {
    format: 'epub',
    kind: 'document',
    mime: 'application/epub+zip',
    extension: 'epub',
    decodableImage: false,
  },
  c2pa: {
    format: 'c2pa',
    kind: 'manifest',
    mime: 'application/c2pa',
    extension: 'c2pa',
    decodableImage: false,
  },
};

const ascii = (bytes: Uint8Array, start: number, end: number): string =>
  String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)));

const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx']);
const AVIF_BRANDS = new Set(['avif', 'avis']);
const M4A_BRANDS = new Set(['M4A ', 'M4B ', 'M4P ']);

function sniffBmff(bytes: Uint8Array): MediaFormat | undefined {
  if (bytes.length < 12 || ascii(bytes, 4, 8) !== 'ftyp') return undefined;
  const size = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const major = ascii(bytes, 8, 12);
  const brands = [major];
  for (let off = 16; off + 4 <= Math.min(size, bytes.length, 256); off += 4)
    brands.push(ascii(bytes, off, off + 4));
  if (brands.some((b) => AVIF_BRANDS.has(b))) return 'avif';
  if (brands.some((b) => HEIC_BRANDS.has(b))) return 'heic';
  if (major === 'mif1' || major === 'msf1') return 'heif';
  if (M4A_BRANDS.has(major)) return 'm4a';
  if (major === 'qt  ') return 'mov';
  return 'mp4';
}

function isMp3(bytes: Uint8Array): boolean {
  if (ascii(bytes, 0, 3) === 'ID3') return true;
  // MPEG audio frame sync: 11 set bits, layer III (bits 01), a valid bitrate index.
  return bytes.length >= 4 && bytes[0] === 0xff && (bytes[1]! & 0xe6) === 0xe2 && (bytes[2]! & 0xf0) !== 0xf0;
}

function isSvg(bytes: Uint8Array): boolean {
  const head = new TextDecoder('utf-8', { fatal: false })
    .decode(bytes.subarray(0, 4096))
    .replace(/^\uFEFF/, '');
  const trimmed = head.trimStart();
  if (!(
    trimmed.startsWith('<?xml') ||
    trimmed.startsWith('<svg') ||
    trimmed.startsWith('<!--') ||
    trimmed.startsWith('<!DOCTYPE svg')
  )) {
    return false;
  }
  return /<svg[\s>]/.test(head);
}

/** JPEG XL in its ISO BMFF-style container (ISO/IEC 18181-2): the only JPEG XL form that can carry C2PA. */
const JXL_CONTAINER = [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a];

/** PDF header `%PDF-`; ISO 32000-1 §7.5.2 lets it follow other bytes, readers look in the first 1024. */
function isPdf(bytes: Uint8Array): boolean {
  return ascii(bytes, 0, 1024).includes('%PDF-');
}

const ODF_AND_EPUB: Readonly<Record<string, MediaFormat>> = {
  'application/epub+zip': 'epub',
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'application/vnd.oasis.opendocument.presentation': 'odp',
};
/** OOXML part that names the document type (ECMA-376 Part 1 §11–13). */
const OOXML_PARTS: ReadonlyArray<[string, MediaFormat]> = [
  ['word/document.xml', 'docx'],
  ['xl/workbook.xml', 'xlsx'],
  ['ppt/presentation.xml', 'pptx'],
];

/**
 * ZIP-based documents. EPUB (OCF §4.3) and ODF (ODF 1.2 Part 3 §3.3) store a `mimetype` entry first,
 * uncompressed, so its text sits right after the first local header; OOXML names its main part in
 * the archive (a file holding `[Content_Types].xml` and e.g. `word/document.xml`). Other ZIPs: none.
 */
function sniffZip(b: Uint8Array): MediaFormat | undefined {
  if (b.length < 30 || !(b[0] === 0x50 && b[1] === 0x4b && b[2] === 3 && b[3] === 4)) return undefined;
  const nameLength = b[26]! | (b[27]! << 8);
  const extraLength = b[28]! | (b[29]! << 8);
  if (ascii(b, 30, 30 + nameLength) === 'mimetype') {
    const at = 30 + nameLength + extraLength;
    const mime = ascii(b, at, at + 64);
    for (const [prefix, format] of Object.entries(ODF_AND_EPUB)) if (mime.startsWith(prefix)) return format;
    return undefined;
  }
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.indexOf('[Content_Types].xml', 0, 'latin1') < 0) return undefined;
  return OOXML_PARTS.find(([part]) => buf.indexOf(part, 0, 'latin1') >= 0)?.[1];
}

/** A JUMBF superbox (`jumb`) holding a C2PA manifest store: a sidecar `.c2pa` file. */
function isC2paStore(bytes: Uint8Array): boolean {
  return ascii(bytes, 4, 8) === 'jumb' && ascii(bytes, 12, 16) === 'jumd';
}

/**
 * Identify a format from its leading bytes. Throws {@link CorruptMediaError} for empty input and
 * {@link UnsupportedFormatError} for anything not in {@link FORMATS}.
 */
export function sniffFormat(bytes: Uint8Array): FormatInfo {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('Expected Uint8Array for bytes');
  if (bytes.length === 0) throw new CorruptMediaError('The input is empty (0 bytes)');
  const format = detect(bytes);
  if (!format) {
    throw new UnsupportedFormatError(
      `Unrecognised media format (first bytes ${Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ')})`,
    );
  }
  return FORMATS[format];
}

function detect(b: Uint8Array): MediaFormat | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 4) === 'PNG' && b[4] === 0x0d && b[5] === 0x0a)
    return 'png';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'webp';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WAVE') return 'wav';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'AVI ') return 'avi';
  if (JXL_CONTAINER.every((x, i) => b[i] === x)) return 'jxl';
  if (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a') return 'gif';
  if (
    b.length >= 4 &&
    ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) ||
      (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a))
  ) {
    return 'tiff';
  }
  const bmff = sniffBmff(b);
  if (bmff) return bmff;
  const zip = sniffZip(b);
  if (zip) return zip;
  if (isC2paStore(b)) return 'c2pa';
  if (isMp3(b)) return 'mp3';
  if (isSvg(b)) return 'svg';
  if (isPdf(b)) return 'pdf';
  return undefined;
}

/** Format info for a file extension (for sidecar naming and output paths); undefined when unknown. */
export function formatFromExtension(ext: string): FormatInfo | undefined {
  const e = ext.replace(/^\./, '').toLowerCase();
  const alias: Record<string, MediaFormat> = {
    jpg: 'jpeg',
    jpeg: 'jpeg',
    tif: 'tiff',
    tiff: 'tiff',
    qt: 'mov',
  };
  const f = alias[e] ?? (e in FORMATS ? (e as MediaFormat) : undefined);
  return f ? FORMATS[f] : undefined;
}
