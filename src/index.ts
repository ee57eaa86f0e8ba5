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
import type { StoredManifestSummary } from './repository/index.js';

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
// The deprecated name ManifestSummary is on two subpaths (verify's ManifestContentSummary and the
// repository's StoredManifestSummary): the root keeps verify's under that name, as before, and the
// repository's as RepositoryManifestSummary. Both old names are deprecated aliases.
export type { ManifestSummary } from './verify/index.js';
/** @deprecated Renamed `StoredManifestSummary`; this alias will be removed in a future major version. */
export type RepositoryManifestSummary = StoredManifestSummary;
