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
} from '../flows/inspect.js';
export {
  fetchTrustLists,
  resolveTrust,
  defaultTrustCacheDir,
  OFFICIAL_TRUST_LIST_URLS,
  type TrustOptions,
  type TrustSource,
  type FetchTrustListsOptions,
} from './trust.js';
export { OFFICIAL_SIGNER_EKUS } from './ekus.js';
export { classifyFailure, type FailureClass } from './failures.js';
export type * from './types.js';
// Many files at once (worker threads, results streamed as each file completes): src/batch.
export {
  verifyMany,
  inspectMany,
  type VerifyManyOptions,
  type InspectManyOptions,
  type ManyInput,
  type PathOptions,
} from '../flows/many.js';
export type { BatchItem, BatchError, ManyOptions } from '../batch/types.js';
