import { UnsupportedFormatError } from '../errors.js';
import { sniffFormat } from '../media/sniff.js';
import type { SoftBinding } from '../repository/types.js';
import { SOFT_BINDING_ALG, softBindingValue } from '../watermark/softbinding.js';

/** Finds the soft bindings in an uploaded asset (for `POST /matches/byContent`). */
export type ExtractBindings = (bytes: Uint8Array, contentType: string) => Promise<SoftBinding[]>;

export interface WatermarkExtractorOptions {
  /** Key the watermarks were made with (default: the public key). */
  readonly key?: string | Uint8Array;
}

/**
 * The default extractor: provmark's image watermark. The format is sniffed from the bytes (the
 * declared content type is not trusted); anything but a decodable image is ERR_UNSUPPORTED_FORMAT,
 * which the server answers with 415. The watermark module (and sharp) load on first use.
 *
 * @example
 * ```ts
 * const app = createServer({ repository, extractBindings: createWatermarkExtractor({ key: 'house key' }) });
 * ```
 */
export function createWatermarkExtractor(options: WatermarkExtractorOptions = {}): ExtractBindings {
  return async (bytes) => {
    const info = sniffFormat(bytes);
    if (info.kind !== 'image' || !info.decodableImage) {
      throw new UnsupportedFormatError(
        `Content matching reads image watermarks; this upload is ${info.mime}`,
        {
          hint: 'Upload a JPEG, PNG, WebP, AVIF, GIF or TIFF image.',
        },
      );
    }
    const { detectImageWatermark } = await import('../watermark/image.js');
    const result = await detectImageWatermark(bytes, options.key === undefined ? {} : { key: options.key });
    return result.found && result.payload !== undefined
      ? [{ alg: SOFT_BINDING_ALG, value: softBindingValue(result.payload) }]
      : [];
  };
}
