/**
 * `provmark/server`: the C2PA Soft Binding Resolution API over a manifest repository.
 */
export { createServer } from './app.js';
export { DEFAULT_BODY_LIMIT, type RateLimitOptions, type ServerOptions } from './options.js';
export { MAX_RESULTS_CAP } from './query.js';
export { startServer, type RunningServer, type StartServerOptions } from './start.js';
export { createWatermarkExtractor, type ExtractBindings, type WatermarkExtractorOptions } from './extract.js';
