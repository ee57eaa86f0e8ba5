/** The watermark core: pure signal processing on Float32 planes, no IO. */
export { computeMarkDelta, type EmbedParams } from './embed.js';
export {
  detectMark,
  whiten,
  PILOT_Z_MIN,
  MAX_BIT_ERRORS,
  MAX_BIT_ERRORS_STRONG_PILOT,
  PILOT_Z_STRONG,
  type CoreDetection,
  type DetectParams,
  type SearchOptions,
} from './detect.js';
export { detectMarkInWindows, WINDOW_MIN_SOURCE_AREA, WINDOW_PLANE_AREA } from './windows.js';
export { WORK_AREA, workingScale, MIN_EMBED_SIDE, MIN_DETECT_SIDE } from './constants.js';
export { CODED_BITS, FRAME_BITS, PAYLOAD_BITS, encodePayload, decodePayload } from './code.js';
export { TILE, CELL } from './pattern.js';
