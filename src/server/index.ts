/**
 * `provmark/server`: the C2PA Soft Binding Resolution API over a manifest repository.
 */
export {
  DEFAULT_BODY_LIMIT,
  MAX_RESULTS_CAP,
  createServer,
  type RateLimitOptions,
  type ServerOptions,
} from './app.js';
export { startServer, type RunningServer, type StartServerOptions } from './start.js';
export { createWatermarkExtractor, type ExtractBindings, type WatermarkExtractorOptions } from './extract.js';
