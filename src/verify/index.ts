/**
 * `provmark/verify`: C2PA verification and trust configuration. Importing this module loads
 * nothing heavy: the C2PA engine loads on the first call to {@link verify}.
 * @packageDocumentation
 */
export { verify, type VerifyOptions } from './verify.js';
export {
  inspect,
  type InspectOptions,
  type ProvenanceReport,
  type ProvenanceVerdict,
  type RecoveredManifest,
} from './inspect.js';
export {
  fetchTrustLists,
  resolveTrust,
  defaultTrustCacheDir,
  OFFICIAL_TRUST_LIST_URLS,
  type TrustOptions,
  type TrustSource,
  type FetchTrustListsOptions,
} from './trust.js';
export type * from './types.js';
