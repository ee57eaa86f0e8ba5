/**
 * The watermark key seed computed with WebCrypto, the same bytes as
 * src/watermark/key.ts `deriveWatermarkSeed` (SHA-256 over a domain label and the key), which
 * imports Node's crypto and so cannot be bundled. A test checks the two agree.
 */

/** The public key (src/watermark/key.ts DEFAULT_WATERMARK_KEY; a test checks they are equal). */
export const PUBLIC_WATERMARK_KEY = 'provmark-public-v1';

export async function watermarkSeed(key: string = PUBLIC_WATERMARK_KEY): Promise<Uint8Array> {
  if (key.length === 0) throw new RangeError('Expected a non-empty key');
  const label = new TextEncoder().encode('provmark-watermark-key\0');
  const k = new TextEncoder().encode(key);
  const data = new Uint8Array(label.length + k.length);
  data.set(label);
  data.set(k, label.length);
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', data));
}
