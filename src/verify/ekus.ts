/**
 * The C2PA trust configuration's allowed signer EKU list, used whenever no `ekus` are given.
 *
 * Source: `store.cfg` of the C2PA interim trust list (contentauth/c2pa-rs
 * `sdk/tests/fixtures/certs/trust/store.cfg`, as shipped by the contentauth conformance tool next to
 * the interim trust list). The engine's own built-in list lacks the Microsoft C2PA OID, so
 * Microsoft-signed files (Bing Image Creator and others) came out `signingCredential.invalid`.
 * This is data (a list of OIDs), kept in the source so the package works offline.
 *
 * @example
 * ```ts
 * // Add one OID to the default list:
 * await verify(file, { trust: { ekus: [...OFFICIAL_SIGNER_EKUS, '1.2.3.4.5'] } });
 * ```
 */
export const OFFICIAL_SIGNER_EKUS: readonly string[] = Object.freeze([
  '1.3.6.1.5.5.7.3.4', // id-kp-emailProtection
  '1.3.6.1.5.5.7.3.36', // id-kp-documentSigning
  '1.3.6.1.5.5.7.3.8', // id-kp-timeStamping
  '1.3.6.1.5.5.7.3.9', // id-kp-OCSPSigning
  '1.3.6.1.4.1.311.76.59.1.9', // Microsoft C2PA signing
  '1.3.6.1.4.1.62558.2.1', // C2PA claim signing (C2PA 2.x §14.5.1)
]);
