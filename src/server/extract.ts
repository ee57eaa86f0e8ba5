import { UnsupportedFormatError } from '../errors.js';
import { sniffFormat } from '../media/sniff.js';
import type { SoftBinding } from '../repository/types.js';
import { watermarkSchemes, watermarkSchemesFor } from '../watermark/schemes/index.js';

/** Finds the soft bindings in an uploaded asset (for `POST /matches/byContent`). */
export type ExtractBindings = (bytes: Uint8Array, contentType: string) => Promise<SoftBinding[]>;

export interface WatermarkExtractorOptions {
  /** Key the watermarks were made with (default: the public key). */
  readonly key?: string | Uint8Array;
}

/**
 * The default extractor: the registered image watermark schemes (video and audio are not read
 * from uploads). The format is sniffed from the bytes (the declared content type is not trusted);
 * a format no image scheme reads (SVG, HEIC, video, documents) is ERR_UNSUPPORTED_FORMAT, which
 * the server answers with 415. Each scheme's adapter (and sharp) loads on first use.
 *
 * @example
 * ```ts
 * const app = createServer({ repository, extractBindings: createWatermarkExtractor({ key: 'house key' }) });
 * ```
 */
export function createWatermarkExtractor(options: WatermarkExtractorOptions = {}): ExtractBindings {
  const detectOptions = options.key === undefined ? {} : { key: options.key };
  return async (bytes) => {
    const info = sniffFormat(bytes);
    const schemes = watermarkSchemesFor(info, 'detect').filter((s) => s.medium === 'image');
    if (info.kind !== 'image' || schemes.length === 0) {
      const formats = watermarkSchemes()
        .filter((s) => s.medium === 'image')
        .flatMap((s) => s.formats.map((f) => f.toUpperCase()));
      throw new UnsupportedFormatError(
        `Content matching reads image watermarks; this upload is ${info.mime}`,
        {
          hint: `Upload an image in one of these formats: ${[...new Set(formats)].join(', ')}.`,
        },
      );
    }
    for (const scheme of schemes) {
      const result = await scheme.detect(bytes, info, detectOptions);
      if (result.found && result.payload !== undefined) {
        return [{ alg: scheme.id, value: scheme.binding.encode(result.payload) }];
      }
    }
    return [];
  };
}
