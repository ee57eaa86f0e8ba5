/**
 * The C2PA Soft Binding Resolution API (OpenAPI 1.0.0 of the C2PA specification's
 * "Soft Binding Resolution API") over a {@link ManifestRepository}, plus provmark's authenticated
 * write endpoints and `/healthz`.
 *
 * | route | spec |
 * |---|---|
 * | `GET /matches/byBinding?alg&value&maxResults` | queryByBinding |
 * | `POST /matches/byBinding?maxResults` `{ alg, value }` | queryByLargeBinding |
 * | `POST /matches/byContent?alg&maxResults&hintAlg&hintValue` (raw asset body) | uploadFile |
 * | `GET /manifests/{manifestId}?returnActiveManifest` -> `application/c2pa` | getManifestById |
 * | `GET /services/supportedAlgorithms` | getSupportedBindings |
 * | `POST /manifests`, `DELETE /manifests/{manifestId}` (bearer token) | provmark extension |
 *
 * Errors are JSON `{ statusCode, error, code, message }` with a stable `code` (http-error.ts).
 *
 * This file assembles the server; the routes live in resolution.ts (matches, algorithms, health),
 * manifests.ts (get, register, delete), page.ts and likeness.ts; options.ts checks the options.
 */
import { createRequire } from 'node:module';
import type rateLimitPlugin from '@fastify/rate-limit';
import type FastifyFactory from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import { createAccessCheck } from './access.js';
import { rawBodyParser } from './body.js';
import { HttpError, classify, errorBody } from './http-error.js';
import { likenessRoutes } from './likeness.js';
import { manifestRoutes } from './manifests.js';
import { resolveServerOptions, type ServerOptions } from './options.js';
import { pageRoutes } from './page.js';
import { installRequestLog } from './request-log.js';
import { resolutionRoutes } from './resolution.js';

/**
 * fastify and its rate limiter load when a server is created, not when `provmark` is imported
 * (importing them costs ~350 ms, which users of the root export who never serve should not pay).
 */
function loadFastify(): { Fastify: typeof FastifyFactory; rateLimit: typeof rateLimitPlugin } {
  const require = createRequire(import.meta.url);
  return {
    Fastify: (require('fastify') as { default: typeof FastifyFactory }).default,
    rateLimit: (require('@fastify/rate-limit') as { default: typeof rateLimitPlugin }).default,
  };
}

/**
 * Build the resolution API server (not listening yet: call `listen`, or use `startServer`).
 *
 * @example
 * ```ts
 * const repository = await openRepository('sqlite:./provenance.db');
 * const app = createServer({ repository, tokens: [process.env.WRITE_TOKEN!], logLevel: 'warn' });
 * await app.listen({ host: '127.0.0.1', port: 8080 });
 * ```
 */
export function createServer(options: ServerOptions): FastifyInstance {
  const config = resolveServerOptions(options);
  const { bodyLimit, logLevel: level, rateLimit: limit } = config;
  const requireToken = createAccessCheck(config.tokens, config.publicReads);

  const { Fastify, rateLimit } = loadFastify();
  const app = Fastify({
    logger: level === 'silent' ? false : { level },
    // One line per request at info was 14.8 MB per ~22k requests: request-log.ts logs them at debug.
    disableRequestLogging: true,
    bodyLimit,
    trustProxy: options.trustProxy ?? false,
    // A manifest label with a claim generator suffix is longer than the default 100.
    routerOptions: { maxParamLength: 2048 },
  });

  if (level !== 'silent') installRequestLog(app, config.logSummaryIntervalMs);

  // Assets for byContent and manifest stores arrive as raw bytes.
  app.addContentTypeParser(['application/octet-stream', 'application/c2pa'], rawBodyParser(bodyLimit));
  app.addContentTypeParser(/^(?:image|audio|video|model)\/[A-Za-z0-9.+-]+/, rawBodyParser(bodyLimit));

  if (limit !== false) {
    void app.register(rateLimit, {
      max: limit.max,
      timeWindow: limit.timeWindowMs,
      errorResponseBuilder: (_req, ctx) =>
        new HttpError(
          429,
          'ERR_RATE_LIMITED',
          `Rate limit exceeded: ${ctx.max} requests per ${ctx.after}; retry later`,
        ),
    });
  }

  // Routes live in plugins registered after the rate limiter, so that its onRoute hook sees them.
  void app.register(resolutionRoutes(config, requireToken));
  void app.register(manifestRoutes(config, requireToken));
  if (options.page)
    void app.register(pageRoutes(config.repository, options.page === true ? {} : options.page));
  if (options.likeness !== false)
    void app.register(
      likenessRoutes(
        config.repository,
        { tokens: config.tokens, bodyLimit },
        options.likeness === true || options.likeness === undefined ? {} : options.likeness,
      ),
    );

  app.setNotFoundHandler((req, reply) => {
    void reply
      .code(404)
      .send(errorBody(404, 'ERR_NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}`));
  });

  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    const { status, code, message } = classify(err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.debug({ code, status }, message);
    void reply.code(status).send(errorBody(status, code, message));
  });

  return app;
}
