/**
 * `POST /likeness/check` on `provmark serve`: a brand uploads an ad (image or video) and gets the
 * likeness decision for it (src/likeness/check.ts). Always behind a bearer token (the write tokens),
 * whatever `publicReads` says: the answer tells who is enrolled. Uploads have the byContent limits:
 * the server's body limit, and a bound on checks in progress taken before the body is read (503 with
 * Retry-After when busy). The answer never carries face descriptors, and the upload is not stored.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import type { LikenessReport } from '../likeness/check.js';
import type { LikenessRegistry } from '../repository/likeness.js';
import { PostgresRepository } from '../repository/postgres.js';
import { SqliteRepository } from '../repository/sqlite.js';
import type { ManifestRepository } from '../repository/types.js';
import type { TrustOptions } from '../verify/trust.js';
import { checkTokens, createTokenCheck } from './auth.js';
import { createUploadGate } from './body.js';
import { sendError } from './http-error.js';

export interface LikenessRouteOptions {
  /** Trust anchors an authorised signer must chain to (as for `provmark likeness check --trust`). */
  readonly trust?: TrustOptions;
  /** Most checks in progress at once (default 2: each keeps a core busy for about a second). */
  readonly maxConcurrentChecks?: number;
}

/** What `createServer` passes along from its own options. */
export interface LikenessRouteContext {
  readonly tokens?: readonly string[];
  readonly bodyLimit: number;
}

/** The report as answered: every field of {@link LikenessReport} but `file` (descriptors are never in it). */
export function likenessAnswer(r: LikenessReport): Omit<LikenessReport, 'file'> {
  const { file: _file, ...rest } = r;
  return rest;
}

/**
 * The route as a Fastify plugin, registered by `createServer` (src/server/app.ts) unless its
 * `likeness` option is false. The registry is the likeness tables of the server's own repository
 * (SQLite or PostgreSQL); any other repository answers 501.
 */
export function likenessRoutes(
  repository: ManifestRepository,
  context: LikenessRouteContext,
  options: LikenessRouteOptions = {},
) {
  const authorize = createTokenCheck(checkTokens(context.tokens));
  const max = options.maxConcurrentChecks ?? 2;
  if (!Number.isInteger(max) || max < 1) {
    throw new RangeError(`Expected a positive integer for maxConcurrentChecks but received ${max}`);
  }
  const gate = createUploadGate(max);
  let registry: Promise<LikenessRegistry> | undefined;
  const supported = repository instanceof SqliteRepository || repository instanceof PostgresRepository;

  // The token is checked and the slot taken before any of the body is read.
  const admit = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const r = authorize(req.headers.authorization);
    if (r === 'disabled')
      return sendError(reply, 403, 'ERR_FORBIDDEN', 'Likeness checks need a token; this server has none');
    if (r !== 'ok') {
      void reply.header(
        'www-authenticate',
        r === 'missing' ? 'Bearer realm="provmark"' : 'Bearer realm="provmark", error="invalid_token"',
      );
      return sendError(
        reply,
        401,
        'ERR_UNAUTHORIZED',
        r === 'missing' ? 'A bearer token is required' : 'The bearer token is not valid',
      );
    }
    if (!gate.tryAcquire(reply)) {
      void reply.header('retry-after', '2').header('connection', 'close');
      return sendError(reply, 503, 'ERR_BUSY', 'Too many likeness checks are running; retry in a moment');
    }
    return undefined;
  };

  return async (api: FastifyInstance): Promise<void> => {
    api.post('/likeness/check', { bodyLimit: context.bodyLimit, onRequest: admit }, async (req, reply) => {
      if (!supported) {
        return sendError(
          reply,
          501,
          'ERR_NOT_IMPLEMENTED',
          'This server has no likeness registry (it needs an SQLite or PostgreSQL repository)',
        );
      }
      const body = req.body;
      if (!Buffer.isBuffer(body)) {
        return sendError(
          reply,
          415,
          'ERR_UNSUPPORTED_MEDIA_TYPE',
          'Upload the image or video itself as the body, with its media type',
        );
      }
      if (body.length === 0)
        return sendError(reply, 400, 'ERR_INVALID_REQUEST', 'The uploaded file is empty');
      const { checkLikeness, openLikenessRegistry } = await import('../likeness/index.js');
      registry ??= openLikenessRegistry(repository as SqliteRepository | PostgresRepository);
      registry.catch(() => (registry = undefined));
      // Media errors (unsupported, too large, corrupt) go to the server's error handler, which maps them to 415/413/400.
      const report = await checkLikeness(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), {
        registry: await registry,
        repository,
        ...(options.trust ? { trust: options.trust } : {}),
      });
      req.log.info({ decision: report.decision, persons: report.persons.length }, 'likeness check');
      return likenessAnswer(report);
    });
  };
}
