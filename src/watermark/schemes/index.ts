/**
 * Watermark schemes: the registry (built-in schemes in builtin.ts, more through
 * registerWatermarkScheme). Pure: the verify page bundles it; each scheme's adapter loads on first
 * embed/detect.
 */
export { base64IdCodec } from './binding.js';
export { LEGACY_WATERMARK_ALG } from './legacy.js';
export {
  bindingCodecFor,
  bindingVariants,
  canCarryWatermark,
  canReadWatermark,
  registerWatermarkScheme,
  watermarkAlgorithms,
  watermarkScheme,
  watermarkSchemes,
  watermarkSchemesFor,
} from './registry.js';
export type {
  SoftBindingCodec,
  WatermarkDetectOptions,
  WatermarkDetection,
  WatermarkEmbedOptions,
  WatermarkMedium,
  WatermarkScheme,
} from './types.js';
