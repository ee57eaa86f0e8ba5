/**
 * Watermark schemes: the registry with the built-in schemes registered. Import from here (not
 * registry.ts), so the built-ins are always present. Pure: the verify page bundles it; each
 * scheme's adapter loads on first embed/detect.
 */
import './builtin.js';

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
