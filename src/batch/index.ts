/**
 * Batch work over many files (worker threads, streaming results). Re-exported from the root and from the
 * `verify`, `detect` and `watermark` subpaths.
 * @packageDocumentation
 */
export {
  verifyMany,
  inspectMany,
  detectMany,
  detectWatermarkMany,
  type VerifyManyOptions,
  type InspectManyOptions,
  type DetectManyOptions,
  type DetectWatermarkManyOptions,
  type ManyInput,
  type PathOptions,
} from './many.js';
export { compileGlob, type GlobMatcher } from './glob.js';
export type { BatchItem, BatchError, ManyOptions } from './types.js';
