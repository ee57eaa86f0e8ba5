/**
 * The watermark key: one derivation shared by every scheme's adapter (image, video, audio). The
 * browser verify page has its own WebCrypto copy of the same derivation (src/page/client/seed.ts;
 * a test checks they agree).
 */
import { createHash } from 'node:crypto';

/** The public default key: anyone can read marks made with it (like TrustMark's public model). */
export const DEFAULT_WATERMARK_KEY = 'provmark-public-v1';

/**
 * 32-byte key seed: SHA-256 over a domain label and the key bytes.
 *
 * @example
 * ```ts
 * const seed = deriveWatermarkSeed('my secret'); // 32 bytes
 * ```
 */
export function deriveWatermarkSeed(key: string | Uint8Array | undefined): Uint8Array {
  if (key !== undefined && typeof key !== 'string' && !(key instanceof Uint8Array)) {
    throw new TypeError('Expected a string or Uint8Array for key');
  }
  const bytes = key === undefined ? DEFAULT_WATERMARK_KEY : key;
  if (bytes.length === 0) throw new RangeError('Expected a non-empty key');
  const h = createHash('sha256').update('provmark-watermark-key\0').update(bytes).digest();
  return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
}
