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
// Every subpath's exports, so `import … from 'provmark'` has everything (test/exports.test.ts).
export * from './sign/index.js';
export * from './verify/index.js';
export * from './watermark/index.js';
export * from './detect/index.js';
export * from './repository/index.js';
export * from './server/index.js';
export * from './likeness/index.js';
// Two subpaths name a type ManifestSummary: the root keeps verify's and renames the repository's.
export type { ManifestSummary } from './verify/index.js';
export type { ManifestSummary as RepositoryManifestSummary } from './repository/index.js';
