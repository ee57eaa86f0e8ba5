/**
 * The sharp adapter: the only module that decodes or encodes image pixels.
 * sharp is imported lazily so `provmark/verify` users never load libvips.
 */
import type { Sharp, SharpOptions } from 'sharp';
import { CorruptMediaError, MediaTooLargeError, UnsupportedFormatError } from '../errors.js';
import { formatOf } from './asset.js';
import { estimateJpegQuality, jpegSegments } from './jpeg.js';
import type { FormatInfo } from './sniff.js';

/** Default pixel cap: checked from the header before any decoding (pixel-bomb guard). */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface ImageLimits {
  /** Refuse images with more pixels than this (width × height × pages). Default {@link DEFAULT_MAX_PIXELS}. */
  readonly maxPixels?: number;
}

export interface ImageInfo {
  readonly format: FormatInfo;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly hasAlpha: boolean;
  /** EXIF orientation 1–8 when present. */
  readonly orientation: number | undefined;
  /** Frames/pages (animated GIF/WebP, multi-page TIFF). */
  readonly pages: number;
  /** libvips colour space interpretation, e.g. 'srgb', 'b-w'. */
  readonly space: string | undefined;
  readonly hasIcc: boolean;
}

type SharpFactory = (input?: Uint8Array, options?: SharpOptions) => Sharp;
let sharpModule: Promise<SharpFactory> | undefined;

/** Load sharp once, on first use. */
export function loadSharp(): Promise<SharpFactory> {
  sharpModule ??= import('sharp').then((m) => (m.default ?? m) as unknown as SharpFactory);
  return sharpModule;
}

function checkMaxPixels(limits: ImageLimits | undefined): number {
  const max = limits?.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isFinite(max) || max < 1) {
    throw new RangeError(`Expected a positive number for maxPixels but received ${String(max)}`);
  }
  return max;
}

/**
 * Read an image's header (no pixel decoding) and enforce the pixel cap.
 * Throws coded errors for unsupported, corrupt or oversized input.
 */
export async function readImageInfo(bytes: Uint8Array, limits?: ImageLimits): Promise<ImageInfo> {
  const format = formatOf(bytes);
  if (format.kind !== 'image') {
    throw new UnsupportedFormatError(`Expected an image but the input is ${format.mime}`);
  }
  if (!format.decodableImage) {
    throw new UnsupportedFormatError(`Pixel decoding of ${format.mime} is not available on this platform`, {
      hint: 'Convert the image to JPEG, PNG, WebP or AVIF first.',
    });
  }
  const max = checkMaxPixels(limits);
  const sharp = await loadSharp();
  let meta;
  try {
    meta = await sharp(bytes, { limitInputPixels: false, pages: -1 }).metadata();
  } catch (err) {
    throw new CorruptMediaError(`Cannot read the ${format.mime} header: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  const pages = meta.pages ?? 1;
  if (width <= 0 || height <= 0)
    throw new CorruptMediaError(`The ${format.mime} header has no valid dimensions`);
  if (width * height * pages > max) {
    throw new MediaTooLargeError(
      `Image is ${width}×${height}${pages > 1 ? `×${pages} pages` : ''} = ${width * height * pages} pixels, over the limit of ${max}`,
      { details: { width, height, pages, maxPixels: max } },
    );
  }
  return {
    format,
    width,
    height,
    channels: meta.channels ?? 3,
    hasAlpha: meta.hasAlpha ?? false,
    orientation: meta.orientation,
    pages,
    space: meta.space,
    hasIcc: meta.icc !== undefined,
  };
}

/**
 * Decode fully once (cheap check that the pixel data is complete) — used where a truncated file
 * must be refused rather than half-processed.
 */
export async function assertImageDecodes(bytes: Uint8Array, limits?: ImageLimits): Promise<ImageInfo> {
  const info = await readImageInfo(bytes, limits);
  const sharp = await loadSharp();
  try {
    await sharp(bytes, { failOn: 'truncated', limitInputPixels: checkMaxPixels(limits) })
      .raw()
      .toBuffer();
  } catch (err) {
    throw new CorruptMediaError(`The ${info.format.mime} pixel data is damaged: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return info;
}

/**
 * A JPEG thumbnail (long side `size` px, EXIF orientation applied) for the C2PA claim thumbnail.
 * Returns undefined for images sharp cannot decode here, so signing still works without one.
 */
export async function makeThumbnail(
  bytes: Uint8Array,
  size = 1024,
  limits?: ImageLimits,
): Promise<Uint8Array | undefined> {
  const format = formatOf(bytes);
  if (format.kind !== 'image' || !format.decodableImage) return undefined;
  await readImageInfo(bytes, limits);
  const sharp = await loadSharp();
  try {
    const out = await sharp(bytes, { limitInputPixels: checkMaxPixels(limits) })
      .rotate()
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 80 })
      .toBuffer();
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    throw new CorruptMediaError(`Cannot decode the ${format.mime} pixels: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** 8-bit interleaved RGB pixels (3 bytes per pixel, row-major), as decoded, without resizing. */
export interface RgbPixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/**
 * Decode the first frame to 8-bit RGB (the stored code values: an embedded ICC profile is not applied) without
 * alpha and without resizing or rotating, for analysis that needs the native pixel grid (the detector).
 * Truncated or damaged pixel data throws {@link CorruptMediaError}.
 */
export async function decodeImageRgb(bytes: Uint8Array, limits?: ImageLimits): Promise<RgbPixels> {
  const info = await readImageInfo(bytes, limits);
  const sharp = await loadSharp();
  try {
    // ignoreIcc: the detector reads the stored code values, as its training decoder (PIL) does; converting
    // through an embedded profile would change the pixel-level traces it measures.
    const { data, info: out } = await sharp(bytes, {
      failOn: 'truncated',
      limitInputPixels: checkMaxPixels(limits),
      ignoreIcc: true,
    })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (out.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${out.channels}`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: out.width,
      height: out.height,
    };
  } catch (err) {
    throw new CorruptMediaError(`Cannot decode the ${info.format.mime} pixels: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Decoded 8-bit pixels, interleaved, in the image's stored orientation and colour space. */
export interface DecodedPixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA). */
  readonly channels: number;
  readonly info: ImageInfo;
}

/**
 * Decode an image to 8-bit interleaved pixels without applying EXIF orientation and without
 * colour conversion (pixels stay in the embedded ICC profile's space), so they can be modified
 * and re-encoded with {@link encodeImagePixels} as the same picture. Animated and multi-page
 * images are refused with `ERR_UNSUPPORTED_FORMAT`.
 */
export async function decodeImagePixels(bytes: Uint8Array, limits?: ImageLimits): Promise<DecodedPixels> {
  const info = await readImageInfo(bytes, limits);
  if (info.pages > 1) {
    throw new UnsupportedFormatError(
      `The ${info.format.mime} has ${info.pages} frames/pages; only single-frame images are supported here`,
      { hint: 'Extract one frame first.', details: { pages: info.pages } },
    );
  }
  if (info.space === 'cmyk') {
    throw new UnsupportedFormatError('CMYK images are not supported here', {
      hint: 'Convert the image to RGB first.',
    });
  }
  const sharp = await loadSharp();
  try {
    const { data, info: out } = await sharp(bytes, {
      limitInputPixels: checkMaxPixels(limits),
      failOn: 'error',
    })
      .keepIccProfile()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: out.width,
      height: out.height,
      channels: out.channels,
      info,
    };
  } catch (err) {
    throw new CorruptMediaError(`Cannot decode the ${info.format.mime} pixels: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Decode an image straight to a luma (grey) plane resampled to about `targetArea` pixels
 * (up or down, aspect kept; EXIF orientation ignored). Decoding at reduced size lets libvips use
 * shrink-on-load, which is what keeps detection on 24 MP photos fast.
 */
export async function decodeLumaPlane(
  bytes: Uint8Array,
  targetArea: number,
  limits?: ImageLimits,
): Promise<{ plane: Float32Array; width: number; height: number; info: ImageInfo }> {
  const info = await readImageInfo(bytes, limits);
  const scale = Math.sqrt(targetArea / (info.width * info.height));
  const width = Math.max(1, Math.round(info.width * scale));
  const height = Math.max(1, Math.round(info.height * scale));
  const sharp = await loadSharp();
  try {
    const data = await sharp(bytes, { limitInputPixels: checkMaxPixels(limits) })
      .keepIccProfile()
      .flatten({ background: '#808080' })
      .greyscale()
      .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
      .raw({ depth: 'uchar' })
      .extractChannel(0)
      .toBuffer();
    const plane = new Float32Array(width * height);
    for (let i = 0; i < plane.length; i++) plane[i] = data[i]!;
    return { plane, width, height, info };
  } catch (err) {
    throw new CorruptMediaError(`Cannot decode the ${info.format.mime} pixels: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** JPEG APPn segments worth carrying over (EXIF/XMP APP1, ICC APP2, IPTC APP13), marker and length included. */
function jpegMetadataSegments(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const s of jpegSegments(bytes)) {
    if (s.marker === 0xe1 || s.marker === 0xe2 || s.marker === 0xed) out.push(bytes.subarray(s.start, s.end));
  }
  return out;
}

/** Insert segments after SOI and any APP0 of a freshly encoded JPEG. */
function spliceJpeg(encoded: Uint8Array, segments: Uint8Array[]): Uint8Array {
  if (segments.length === 0) return encoded;
  const first = jpegSegments(encoded).next();
  const off = !first.done && first.value.marker === 0xe0 && first.value.start === 2 ? first.value.end : 2;
  const total = segments.reduce((n, s) => n + s.length, 0);
  const out = new Uint8Array(encoded.length + total);
  out.set(encoded.subarray(0, off), 0);
  let p = off;
  for (const s of segments) {
    out.set(s, p);
    p += s.length;
  }
  out.set(encoded.subarray(off), p);
  return out;
}

const PNG_KEEP = new Set(['iCCP', 'eXIf', 'iTXt', 'tEXt', 'zTXt', 'sRGB', 'gAMA', 'cHRM', 'pHYs']);

function pngChunks(bytes: Uint8Array): Array<{ type: string; bytes: Uint8Array }> {
  const chunks: Array<{ type: string; bytes: Uint8Array }> = [];
  let off = 8;
  while (off + 12 <= bytes.length) {
    const len =
      ((bytes[off]! << 24) | (bytes[off + 1]! << 16) | (bytes[off + 2]! << 8) | bytes[off + 3]!) >>> 0;
    const type = String.fromCharCode(...bytes.subarray(off + 4, off + 8));
    chunks.push({ type, bytes: bytes.subarray(off, off + 12 + len) });
    off += 12 + len;
    if (type === 'IEND') break;
  }
  return chunks;
}

/** Rebuild a freshly encoded PNG with the original's colour and text chunks after IHDR. */
function splicePng(encoded: Uint8Array, original: Uint8Array): Uint8Array {
  const keep = pngChunks(original).filter((c) => PNG_KEEP.has(c.type));
  if (keep.length === 0) return encoded;
  const fresh = pngChunks(encoded).filter((c) => !PNG_KEEP.has(c.type));
  const parts = [encoded.subarray(0, 8)];
  for (const c of fresh) {
    parts.push(c.bytes);
    if (c.type === 'IHDR') parts.push(...keep.map((k) => k.bytes));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

export interface EncodeLikeOptions {
  /** Quality for lossy formats (1–100). Default: the original's estimated JPEG quality, else 90. */
  readonly quality?: number;
}

/**
 * Encode pixels from {@link decodeImagePixels} in the original's format, carrying over its EXIF
 * (including orientation), XMP and ICC profile for JPEG and PNG; for WebP, AVIF, TIFF and GIF the
 * orientation is kept. JPEG keeps the original's chroma subsampling and (estimated) quality.
 */
export async function encodeImagePixels(
  pixels: DecodedPixels,
  original: Uint8Array,
  options: EncodeLikeOptions = {},
): Promise<Uint8Array> {
  const q = options.quality;
  if (q !== undefined && (!Number.isInteger(q) || q < 1 || q > 100)) {
    throw new RangeError(`Expected integer between 1 and 100 for quality but received ${String(q)}`);
  }
  const sharp = await loadSharp();
  const { width, height, channels } = pixels;
  let pipe = sharp(pixels.data, {
    raw: { width, height, channels: channels as 1 | 2 | 3 | 4 },
    limitInputPixels: false,
  });
  const format = pixels.info.format.format;
  const orientation = pixels.info.orientation;
  let splice: ((b: Uint8Array) => Uint8Array) | undefined;
  switch (format) {
    case 'jpeg': {
      const meta = await sharp(original).metadata();
      pipe = pipe.jpeg({
        quality: q ?? estimateJpegQuality(original) ?? 90,
        chromaSubsampling: meta.chromaSubsampling === '4:4:4' ? '4:4:4' : '4:2:0',
        progressive: meta.isProgressive === true,
      });
      const segments = jpegMetadataSegments(original);
      splice = (b) => spliceJpeg(b, segments);
      break;
    }
    case 'png':
      pipe = pipe.png();
      splice = (b) => splicePng(b, original);
      break;
    case 'webp': {
      // A VP8L first chunk means the original was lossless: keep it lossless unless told otherwise.
      const lossless = q === undefined && String.fromCharCode(...original.subarray(12, 16)) === 'VP8L';
      pipe = pipe.webp(lossless ? { lossless: true } : { quality: q ?? 90 });
      break;
    }
    case 'avif':
      pipe = pipe.avif({ quality: q ?? 75 });
      break;
    case 'tiff':
      pipe = pipe.tiff({ compression: 'lzw' });
      break;
    case 'gif':
      pipe = pipe.gif();
      break;
    default:
      throw new UnsupportedFormatError(`Cannot re-encode ${pixels.info.format.mime} here`, {
        hint: 'Convert the image to JPEG, PNG or WebP first.',
      });
  }
  if (!splice && orientation !== undefined && orientation !== 1) pipe = pipe.withMetadata({ orientation });
  const buf = await pipe.toBuffer();
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  return splice ? splice(bytes) : bytes;
}
