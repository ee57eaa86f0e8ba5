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
 * Errors are JSON `{ statusCode, error, code, message }` with a stable `code`.
 */
import { createRequire } from 'node:module';
import type rateLimitPlugin from '@fastify/rate-limit';
import type FastifyFactory from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isProvmarkError } from '../errors.js';
import {
  MAX_BINDINGS,
  checkAlg,
  checkManifestId,
  normalizeBinding,
  normalizeBindingValue,
  normalizeRecord,
} from '../repository/record.js';
import type { BindingMatch, ManifestRepository, SoftBinding } from '../repository/types.js';
import { SOFT_BINDING_ALG, softBindingIdFromValue } from '../watermark/softbinding.js';
import { checkTokens, createTokenCheck } from './auth.js';
import { createUploadGate, rawBodyParser } from './body.js';
import { createWatermarkExtractor, type ExtractBindings } from './extract.js';
import { DEFAULT_LOG_SUMMARY_INTERVAL_MS, installRequestLog } from './request-log.js';
import { checkManifestStore } from './validate-store.js';
import { pageRoutes, type PageOptions } from './page.js';
import { likenessRoutes, type LikenessRouteOptions } from './likeness.js';

/** Default largest request body: a 12 MP JPEG is ~9 MB, camera originals can reach ~30 MB. */
export const DEFAULT_BODY_LIMIT = 32 * 1024 * 1024;
/** Largest JSON body of `POST /matches/byBinding` (a binding is an algorithm name and a short value). */
const BINDING_QUERY_BODY_LIMIT = 64 * 1024;
/** Most matches answered for one query, whatever `maxResults` asks. */
export const MAX_RESULTS_CAP = 100;

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
  /** Algorithms answered by this server (default: watermarks `[SOFT_BINDING_ALG]`, no fingerprints). */
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

/** An HTTP answer other than 2xx, with the stable code sent to the client. */
class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Run a validator; its TypeError/RangeError (misuse by the client) becomes a 400. */
function input<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError)
      throw new HttpError(400, 'ERR_INVALID_REQUEST', err.message);
    throw err;
  }
}

/** One query value (a repeated parameter is refused rather than guessed at). */
function single(query: unknown, name: string, required: true): string;
function single(query: unknown, name: string, required: false): string | undefined;
function single(query: unknown, name: string, required: boolean): string | undefined {
  const v = (query as Record<string, unknown> | undefined)?.[name];
  if (v === undefined || v === '') {
    if (required) throw new HttpError(400, 'ERR_INVALID_REQUEST', `Missing query parameter "${name}"`);
    return undefined;
  }
  if (typeof v !== 'string')
    throw new HttpError(400, 'ERR_INVALID_REQUEST', `Query parameter "${name}" must appear once`);
  return v;
}

function parseMaxResults(query: unknown): number {
  const raw = single(query, 'maxResults', false);
  if (raw === undefined) return 10; // the spec's default
  if (!/^[0-9]{1,9}$/.test(raw) || Number(raw) < 1) {
    throw new HttpError(
      400,
      'ERR_INVALID_REQUEST',
      `maxResults must be an integer of at least 1, got ${JSON.stringify(raw)}`,
    );
  }
  return Math.min(Number(raw), MAX_RESULTS_CAP);
}

const matchesSchema = {
  type: 'object',
  properties: {
    matches: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          manifestId: { type: 'string' },
          endpoint: { type: 'string' },
          similarityScore: { type: 'integer' },
        },
        required: ['manifestId'],
      },
    },
  },
} as const;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

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
  if (typeof options !== 'object' || options === null) throw new TypeError('Expected an options object');
  const repo = options.repository;
  if (typeof repo !== 'object' || repo === null || typeof repo.findByBinding !== 'function') {
    throw new TypeError('Expected a ManifestRepository for repository');
  }
  const authorize = createTokenCheck(checkTokens(options.tokens));
  const publicReads = options.publicReads ?? true;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1024 || bodyLimit > 2 ** 31 - 1) {
    throw new RangeError(
      `Expected integer between 1024 and ${2 ** 31 - 1} for bodyLimit but received ${bodyLimit}`,
    );
  }
  const limit = options.rateLimit ?? { max: 600, timeWindowMs: 60_000 };
  if (limit !== false) {
    if (!Number.isInteger(limit.max) || limit.max < 1) {
      throw new RangeError(`Expected a positive integer for rateLimit.max but received ${limit.max}`);
    }
    if (!Number.isInteger(limit.timeWindowMs) || limit.timeWindowMs < 1) {
      throw new RangeError(
        `Expected a positive integer for rateLimit.timeWindowMs but received ${limit.timeWindowMs}`,
      );
    }
  }
  const watermarks = (options.algorithms?.watermarks ?? [SOFT_BINDING_ALG]).map((a, i) =>
    checkAlg(a, `algorithms.watermarks[${i}]`),
  );
  const fingerprints = (options.algorithms?.fingerprints ?? []).map((a, i) =>
    checkAlg(a, `algorithms.fingerprints[${i}]`),
  );
  const supported = new Set([...watermarks, ...fingerprints]);
  const extract = options.extractBindings ?? createWatermarkExtractor();
  const maxExtractions = options.maxConcurrentExtractions ?? 4;
  if (!Number.isInteger(maxExtractions) || maxExtractions < 1) {
    throw new RangeError(
      `Expected a positive integer for maxConcurrentExtractions but received ${maxExtractions}`,
    );
  }
  const uploads = createUploadGate(maxExtractions);
  const level = options.logLevel ?? 'info';
  const summaryMs = options.logSummaryIntervalMs ?? DEFAULT_LOG_SUMMARY_INTERVAL_MS;
  if (!Number.isInteger(summaryMs) || summaryMs < 1) {
    throw new RangeError(`Expected a positive integer for logSummaryIntervalMs but received ${summaryMs}`);
  }

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

  if (level !== 'silent') installRequestLog(app, summaryMs);

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

  const requireToken = (req: FastifyRequest, reply: FastifyReply, write: boolean): void => {
    if (!write && publicReads) return;
    const r = authorize(req.headers.authorization);
    if (r === 'ok') return;
    if (r === 'disabled') {
      throw new HttpError(
        403,
        'ERR_FORBIDDEN',
        write
          ? 'This server accepts no writes: it was started without tokens'
          : 'Reads need a token, but this server was started without tokens',
      );
    }
    void reply.header(
      'www-authenticate',
      r === 'missing' ? 'Bearer realm="provmark"' : 'Bearer realm="provmark", error="invalid_token"',
    );
    throw new HttpError(
      401,
      'ERR_UNAUTHORIZED',
      r === 'missing' ? 'A bearer token is required' : 'The bearer token is not valid',
    );
  };

  const checkBinding = (alg: string, value: string, names = { alg: 'alg', value: 'value' }): SoftBinding => {
    const b = input(() => normalizeBinding({ alg, value }, 'binding'));
    if (!supported.has(b.alg)) {
      throw new HttpError(
        400,
        'ERR_UNSUPPORTED_ALGORITHM',
        `${names.alg} ${JSON.stringify(b.alg)} is not supported here; see /services/supportedAlgorithms`,
      );
    }
    if (b.alg === SOFT_BINDING_ALG && softBindingIdFromValue(b.value) === undefined) {
      throw new HttpError(
        400,
        'ERR_INVALID_REQUEST',
        `${names.value} must be the base64 of 8 bytes for ${SOFT_BINDING_ALG}`,
      );
    }
    return b;
  };

  const lookUp = async (bindings: readonly SoftBinding[], max: number): Promise<BindingMatch[]> => {
    const seen = new Set<string>();
    const out: BindingMatch[] = [];
    for (const b of bindings) {
      for (const m of await repo.findByBinding(b.alg, b.value, { maxResults: max })) {
        if (out.length >= max) return out;
        if (!seen.has(m.manifestId)) {
          seen.add(m.manifestId);
          out.push(m);
        }
      }
    }
    return out;
  };

  // Routes live in a plugin registered after the rate limiter, so that its onRoute hook sees them.
  void app.register(async (api) => {
    api.get('/healthz', { config: { rateLimit: false } }, async (_req, reply) => {
      try {
        await repo.findByBinding(SOFT_BINDING_ALG, 'AAAAAAAAAAA=', { maxResults: 1 });
        return { status: 'ok' };
      } catch (err) {
        app.log.error({ err }, 'health check failed');
        return reply.code(503).send({ status: 'unavailable' });
      }
    });

    api.get('/services/supportedAlgorithms', async (req, reply) => {
      requireToken(req, reply, false);
      return {
        watermarks: watermarks.map((alg) => ({ alg })),
        fingerprints: fingerprints.map((alg) => ({ alg })),
      };
    });

    api.get('/matches/byBinding', { schema: { response: { 200: matchesSchema } } }, async (req, reply) => {
      requireToken(req, reply, false);
      const b = checkBinding(single(req.query, 'alg', true), single(req.query, 'value', true));
      return { matches: await lookUp([b], parseMaxResults(req.query)) };
    });

    api.post(
      '/matches/byBinding',
      { schema: { response: { 200: matchesSchema } }, bodyLimit: BINDING_QUERY_BODY_LIMIT },
      async (req, reply) => {
        requireToken(req, reply, false);
        const body = req.body as { alg?: unknown; value?: unknown } | null;
        if (typeof body !== 'object' || body === null || Buffer.isBuffer(body)) {
          throw new HttpError(415, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'Send a JSON body { "alg": …, "value": … }');
        }
        const b = checkBinding(
          input(() => checkAlg(body.alg, 'alg')),
          input(() => normalizeBindingValue(body.value, 'value')),
        );
        return { matches: await lookUp([b], parseMaxResults(req.query)) };
      },
    );

    // An upload holds a slot from before its body is read until its answer is sent: when all are
    // taken the answer is 503 at once and the body is never read (30 concurrent 30 MiB uploads
    // took the server to 1.1 GB when bodies were read first and the busy check came after).
    const uploadSlot = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
      requireToken(req, reply, false);
      if (!uploads.tryAcquire(reply)) {
        void reply.header('retry-after', '1').header('connection', 'close');
        throw new HttpError(503, 'ERR_BUSY', 'Too many uploads are being analysed; retry in a moment');
      }
    };
    const writeAccess = async (req: FastifyRequest, reply: FastifyReply): Promise<void> =>
      requireToken(req, reply, true);

    api.post(
      '/matches/byContent',
      { schema: { response: { 200: matchesSchema } }, onRequest: uploadSlot },
      async (req) => {
        const body = req.body;
        if (!Buffer.isBuffer(body)) {
          throw new HttpError(
            415,
            'ERR_UNSUPPORTED_MEDIA_TYPE',
            'Upload the asset itself as the body, with its media type',
          );
        }
        if (body.length === 0) throw new HttpError(400, 'ERR_INVALID_REQUEST', 'The uploaded asset is empty');
        const max = parseMaxResults(req.query);
        const alg = single(req.query, 'alg', false);
        if (alg !== undefined && !supported.has(alg)) {
          throw new HttpError(
            400,
            'ERR_UNSUPPORTED_ALGORITHM',
            `alg ${JSON.stringify(alg)} is not supported here`,
          );
        }
        const hintAlg = single(req.query, 'hintAlg', false);
        const hintValue = single(req.query, 'hintValue', false);
        if ((hintAlg === undefined) !== (hintValue === undefined)) {
          throw new HttpError(400, 'ERR_INVALID_REQUEST', 'hintAlg and hintValue go together');
        }
        const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
        const found = await extract(bytes, String(req.headers['content-type'] ?? 'application/octet-stream'));
        const bindings = found
          .filter((b) => supported.has(b.alg) && (alg === undefined || b.alg === alg))
          .slice(0, MAX_BINDINGS)
          .map((b) => input(() => normalizeBinding(b, 'extracted binding')));
        // The hint is a binding the client computed itself; it only adds candidates (spec: "to aid").
        if (hintAlg !== undefined && hintValue !== undefined) {
          bindings.push(checkBinding(hintAlg, hintValue, { alg: 'hintAlg', value: 'hintValue' }));
        }
        req.log.debug({ bindings: bindings.length }, 'byContent extracted bindings');
        return { matches: await lookUp(bindings, max) };
      },
    );

    api.get('/manifests/:manifestId', async (req, reply) => {
      requireToken(req, reply, false);
      const id = (req.params as { manifestId: string }).manifestId;
      input(() => checkManifestId(id));
      const active = single(req.query, 'returnActiveManifest', false);
      if (active !== undefined && active !== 'true' && active !== 'false') {
        throw new HttpError(400, 'ERR_INVALID_REQUEST', 'returnActiveManifest must be true or false');
      }
      const record = await repo.getManifest(id);
      if (record === undefined) throw new HttpError(404, 'ERR_NOT_FOUND', `No manifest ${id}`);
      // The spec lets the server answer the whole store the active manifest is part of; provmark
      // stores exactly that, so returnActiveManifest=true gets the same bytes.
      const store = record.manifestStore;
      void reply.type('application/c2pa');
      if (record.createdAt !== undefined) void reply.header('last-modified', record.createdAt.toUTCString());
      return reply.send(Buffer.from(store.buffer, store.byteOffset, store.byteLength));
    });

    // Writes are authorised before their body is read.
    api.post('/manifests', { onRequest: writeAccess }, async (req, reply) => {
      const body = req.body as Record<string, unknown> | null;
      if (typeof body !== 'object' || body === null || Buffer.isBuffer(body)) {
        throw new HttpError(
          415,
          'ERR_UNSUPPORTED_MEDIA_TYPE',
          'Send JSON { manifestId, manifestStore (base64), bindings, format? }',
        );
      }
      const storeB64 = body.manifestStore;
      if (
        typeof storeB64 !== 'string' ||
        !/^[A-Za-z0-9+/]*={0,2}$/.test(storeB64) ||
        storeB64.length % 4 !== 0
      ) {
        throw new HttpError(
          400,
          'ERR_INVALID_REQUEST',
          'manifestStore must be the base64 of the manifest store bytes',
        );
      }
      const bindings = input(() => {
        if (!Array.isArray(body.bindings))
          throw new TypeError('Expected an array of { alg, value } for bindings');
        return body.bindings.map((b, i) => normalizeBinding(b, `bindings[${i}]`));
      });
      for (const b of bindings)
        checkBinding(b.alg, b.value, { alg: 'bindings[].alg', value: 'bindings[].value' });
      const store = Buffer.from(storeB64, 'base64');
      const record = {
        manifestId: body.manifestId as string,
        manifestStore: new Uint8Array(store.buffer, store.byteOffset, store.byteLength),
        bindings,
        ...(body.format === undefined ? {} : { format: body.format as string }),
      };
      input(() => normalizeRecord(record, 'body'));
      const check = await checkManifestStore(record.manifestStore, record.manifestId);
      if (!check.ok) throw new HttpError(400, 'ERR_INVALID_MANIFEST', check.message);
      const result = await repo.put(record);
      const id = result.record.manifestId;
      req.log.info({ manifestId: id, created: result.created }, 'manifest registered');
      return reply
        .code(result.created ? 201 : 200)
        .header('location', `/manifests/${encodeURIComponent(id)}`)
        .send({ manifestId: id, created: result.created, createdAt: result.record.createdAt?.toISOString() });
    });

    api.delete('/manifests/:manifestId', { onRequest: writeAccess }, async (req, reply) => {
      const id = (req.params as { manifestId: string }).manifestId;
      input(() => checkManifestId(id));
      if (!(await repo.delete(id))) throw new HttpError(404, 'ERR_NOT_FOUND', `No manifest ${id}`);
      req.log.info({ manifestId: id }, 'manifest deleted');
      return reply.code(204).send();
    });
  });

  if (options.page) void app.register(pageRoutes(repo, options.page === true ? {} : options.page));
  if (options.likeness !== false)
    void app.register(
      likenessRoutes(
        repo,
        { ...(options.tokens ? { tokens: options.tokens } : {}), bodyLimit },
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

function errorBody(status: number, code: string, message: string) {
  return { statusCode: status, error: STATUS_TEXT[status] ?? 'Error', code, message };
}

/** Map what a handler threw to a status and a stable code, without leaking internals on 5xx. */
function classify(err: Error): { status: number; code: string; message: string } {
  if (err instanceof HttpError) return { status: err.statusCode, code: err.code, message: err.message };
  if (isProvmarkError(err)) {
    const code = (err as { code: string }).code;
    const status =
      code === 'ERR_CONFLICT'
        ? 409
        : code === 'ERR_NOT_FOUND'
          ? 404
          : code === 'ERR_UNSUPPORTED_FORMAT'
            ? 415
            : code === 'ERR_MEDIA_TOO_LARGE'
              ? 413
              : code === 'ERR_CORRUPT_MEDIA' || code === 'ERR_MEDIA_TOO_SMALL'
                ? 400
                : 500;
    return {
      status,
      code,
      message: status === 500 ? 'The repository failed; see the server log' : err.message,
    };
  }
  const fe = err as FastifyError;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const status = fe.statusCode;
    const code =
      status === 413
        ? 'ERR_PAYLOAD_TOO_LARGE'
        : status === 415
          ? 'ERR_UNSUPPORTED_MEDIA_TYPE'
          : status === 429
            ? 'ERR_RATE_LIMITED'
            : 'ERR_INVALID_REQUEST';
    return { status, code, message: fe.message };
  }
  return { status: 500, code: 'ERR_INTERNAL', message: 'Internal server error' };
}
