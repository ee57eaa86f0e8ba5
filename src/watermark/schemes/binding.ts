/** The binding-value encoding of provmark's own schemes: the 8 id bytes in base64 (12 characters). */
import { softBindingIdFromValue, softBindingValue } from '../softbinding.js';
import type { SoftBindingCodec } from './types.js';

/**
 * The 64-bit id as base64 of its 8 bytes, e.g. `"ASNFZ4mrze8="` for `0123456789abcdef`.
 *
 * @example
 * ```ts
 * base64IdCodec.decode(base64IdCodec.encode('0123456789abcdef')); // '0123456789abcdef'
 * ```
 */
export const base64IdCodec: SoftBindingCodec = {
  encode: softBindingValue,
  decode: softBindingIdFromValue,
};
