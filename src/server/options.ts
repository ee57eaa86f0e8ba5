/** The options of `createServer`, checked once into the configuration its routes share. */
import { checkAlg } from '../repository/record.js';
import type { ManifestRepository } from '../repository/types.js';
import { watermarkAlgorithms } from '../watermark/schemes/index.js';
import { checkTokens } from './auth.js';
import { createWatermarkExtractor, type ExtractBindings } from './extract.js';
import type { LikenessRouteOptions } from './likeness.js';
import type { PageOptions } from './page.js';
import { DEFAULT_LOG_SUMMARY_INTERVAL_MS } from './request-log.js';

/** Default largest request body: a 12 MP JPEG is ~9 MB, camera originals can reach ~30 MB. */
export const DEFAULT_BODY_LIMIT = 32 * 1024 * 1024;

export interface RateLimitOptions {
  /** Requests allowed per client address in each window. */
  readonly max: number;
  /** Window length in ms. */
  readonly timeWindowMs: number;
}

export interface ServerOptions {
  /** Where manifests are looked up and registered. The server does not close it. */
  readonly repository: ManifestRepository;
  /** Bearer tokens that may write (`POST /manifests`, `DELETE /manifests/…`). None: writes are refused (403). */
  readonly tokens?: readonly string[];
  /** Whether reads need no token (default true); when false every route but /healthz needs one. */
  readonly publicReads?: boolean;
  /** Largest request body in bytes (default {@link DEFAULT_BODY_LIMIT}); larger bodies get 413. */
  readonly bodyLimit?: number;
  /** Per-client rate limit (default 600 requests per minute); `false` turns it off. */
  readonly rateLimit?: RateLimitOptions | false;
  /** Soft-binding extraction for `POST /matches/byContent` (default: provmark's image watermark). */
  readonly extractBindings?: ExtractBindings;
  /**
   * Algorithms answered by this server (default: watermarks: every registered scheme's identifier and
   * the legacy ones they read, `watermarkAlgorithms()`; no fingerprints).
   */
  readonly algorithms?: {
    readonly watermarks?: readonly string[];
    readonly fingerprints?: readonly string[];
  };
  /**
   * pino log level (default `'info'`; `'silent'` for none). Logs are JSON lines on stdout: each
   * request at `debug`, errors at `error`, and at `info` a summary per interval (requests per
   * status class) plus manifest writes.
   */
  readonly logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Trust X-Forwarded-For from a reverse proxy for the client address (default false). */
  readonly trustProxy?: boolean;
  /**
   * Most `POST /matches/byContent` uploads handled at once, from the first byte of the body to the
   * answer (default 4). Further uploads get 503 with Retry-After before any of their body is read,
   * so memory is bounded by this many bodies (each at most `bodyLimit`).
   */
  readonly maxConcurrentExtractions?: number;
  /** Interval of the info-level request summary, in ms (default 60,000). */
  readonly logSummaryIntervalMs?: number;
  /** Serve the in-browser verify page at `/` and `POST /inspect` (src/server/page.ts). Default off. */
  readonly page?: boolean | PageOptions;
  /** `POST /likeness/check` (src/server/likeness.ts; bearer token always required). Default on. */
  readonly likeness?: boolean | LikenessRouteOptions;
}

/** {@link ServerOptions} checked, with their defaults filled in. */
export interface ServerConfig {
  readonly repository: ManifestRepository;
  readonly tokens: readonly string[];
  readonly publicReads: boolean;
  readonly bodyLimit: number;
  readonly rateLimit: RateLimitOptions | false;
  readonly watermarks: readonly string[];
  readonly fingerprints: readonly string[];
  /** The algorithms answered: watermarks and fingerprints together. */
  readonly supported: ReadonlySet<string>;
  readonly extractBindings: ExtractBindings;
  readonly maxConcurrentExtractions: number;
  readonly logLevel: NonNullable<ServerOptions['logLevel']>;
  readonly logSummaryIntervalMs: number;
}

/**
 * Check `options` (TypeError/RangeError naming the option) and fill in the defaults.
 *
 * @example
 * ```ts
 * const config = resolveServerOptions({ repository, tokens: [token] });
 * config.bodyLimit; // DEFAULT_BODY_LIMIT
 * ```
 */
export function resolveServerOptions(options: ServerOptions): ServerConfig {
  if (typeof options !== 'object' || options === null) throw new TypeError('Expected an options object');
  const repository = options.repository;
  if (
    typeof repository !== 'object' ||
    repository === null ||
    typeof repository.findByBinding !== 'function'
  ) {
    throw new TypeError('Expected a ManifestRepository for repository');
  }
  const tokens = checkTokens(options.tokens);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1024 || bodyLimit > 2 ** 31 - 1) {
    throw new RangeError(
      `Expected integer between 1024 and ${2 ** 31 - 1} for bodyLimit but received ${bodyLimit}`,
    );
  }
  const rateLimit = options.rateLimit ?? { max: 600, timeWindowMs: 60_000 };
  if (rateLimit !== false) {
    if (!Number.isInteger(rateLimit.max) || rateLimit.max < 1) {
      throw new RangeError(`Expected a positive integer for rateLimit.max but received ${rateLimit.max}`);
    }
    if (!Number.isInteger(rateLimit.timeWindowMs) || rateLimit.timeWindowMs < 1) {
      throw new RangeError(
        `Expected a positive integer for rateLimit.timeWindowMs but received ${rateLimit.timeWindowMs}`,
      );
    }
  }
  const watermarks = (options.algorithms?.watermarks ?? watermarkAlgorithms()).map((a, i) =>
    checkAlg(a, `algorithms.watermarks[${i}]`),
  );
  const fingerprints = (options.algorithms?.fingerprints ?? []).map((a, i) =>
    checkAlg(a, `algorithms.fingerprints[${i}]`),
  );
  const extractBindings = options.extractBindings ?? createWatermarkExtractor();
  const maxConcurrentExtractions = options.maxConcurrentExtractions ?? 4;
  if (!Number.isInteger(maxConcurrentExtractions) || maxConcurrentExtractions < 1) {
    throw new RangeError(
      `Expected a positive integer for maxConcurrentExtractions but received ${maxConcurrentExtractions}`,
    );
  }
  const logSummaryIntervalMs = options.logSummaryIntervalMs ?? DEFAULT_LOG_SUMMARY_INTERVAL_MS;
  if (!Number.isInteger(logSummaryIntervalMs) || logSummaryIntervalMs < 1) {
    throw new RangeError(
      `Expected a positive integer for logSummaryIntervalMs but received ${logSummaryIntervalMs}`,
    );
  }
  return {
    repository,
    tokens,
    publicReads: options.publicReads ?? true,
    bodyLimit,
    rateLimit,
    watermarks,
    fingerprints,
    supported: new Set([...watermarks, ...fingerprints]),
    extractBindings,
    maxConcurrentExtractions,
    logLevel: options.logLevel ?? 'info',
    logSummaryIntervalMs,
  };
}
