/**
 * The sharp adapter: the only module that decodes or encodes image pixels.
 * sharp is imported lazily so `provmark/verify` users never load libvips.
 */
import type { Sharp, SharpOptions } from 'sharp';
import { CorruptMediaError, MediaTooLargeError, UnsupportedFormatError } from '../errors.js';
import { sniffFormat, type FormatInfo } from './sniff.js';

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
  const format = sniffFormat(bytes);
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
  const format = sniffFormat(bytes);
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
 * Decode the first frame to 8-bit sRGB without alpha and without resizing or rotating, for analysis that needs
 * the native pixel grid (the detector). Truncated or damaged pixel data throws {@link CorruptMediaError}.
 */
export async function decodeImageRgb(bytes: Uint8Array, limits?: ImageLimits): Promise<RgbPixels> {
  const info = await readImageInfo(bytes, limits);
  const sharp = await loadSharp();
  try {
    const { data, info: out } = await sharp(bytes, {
      failOn: 'truncated',
      limitInputPixels: checkMaxPixels(limits),
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
