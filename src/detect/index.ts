/**
 * `provmark/detect`: the offline fallback for media without provenance. Metadata statements, known open
 * watermarks and a small bundled model (onnxruntime-node, CPU) give a calibrated, abstaining verdict.
 * See src/detect/models/MODEL_CARD.md for what the score means and where it was validated.
 */
export { detect, DETECT_SCOPE } from './detect.js';
export { DETECT_LABELS } from './types.js';
export type {
  DetectEvidence,
  DetectLabel,
  DetectModelInfo,
  DetectOptions,
  DetectReport,
  EvidenceIndication,
  InconclusiveReason,
} from './types.js';
export { KNOWN_DWTDCT_MARKS } from './dwtdct.js';
// Many files at once (worker threads, results streamed as each file completes): src/batch.
export { detectMany, type DetectManyOptions, type ManyInput, type PathOptions } from '../flows/many.js';
export type { BatchItem, BatchError, ManyOptions } from '../batch/types.js';
