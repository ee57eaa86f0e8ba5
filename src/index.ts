/**
 * provmark: content provenance for images, video and audio.
 *
 * - {@link protect} at capture: watermark + C2PA manifest + repository registration;
 * - {@link inspect} downstream: embedded manifest, or watermark -> repository, or the offline detector;
 * - {@link sign} / {@link verify}: plain C2PA signing and verification.
 *
 * Heavy modules (the C2PA engine, sharp, onnxruntime, database drivers) load on first use.
 * @packageDocumentation
 */
export * from './errors.js';
export type { MediaInput, MediaKind, MediaFormat } from './types.js';
export * from './sign/index.js';
export * from './verify/index.js';
export { openRepository, type ManifestRepository } from './repository/index.js';
export { SOFT_BINDING_ALG, type SoftBindingId } from './watermark/softbinding.js';
