/**
 * The read side of the C2PA Soft Binding Resolution API as a Fastify plugin: `/healthz`,
 * `/services/supportedAlgorithms`, `/matches/byBinding` (GET and POST) and `/matches/byContent`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_BINDINGS, checkAlg, normalizeBinding, normalizeBindingValue } from '../repository/record.js';
import { SOFT_BINDING_ALG } from '../watermark/softbinding.js';
import type { RequireToken } from './access.js';
import { checkBinding, lookUp } from './bindings.js';
import { createUploadGate } from './body.js';
import { HttpError, asBadRequest } from './http-error.js';
import type { ServerConfig } from './options.js';
import { parseMaxResults, single } from './query.js';

/** Largest JSON body of `POST /matches/byBinding` (a binding is an algorithm name and a short value). */
const BINDING_QUERY_BODY_LIMIT = 64 * 1024;

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

export function resolutionRoutes(config: ServerConfig, requireToken: RequireToken) {
  const { repository: repo, supported } = config;
  const uploads = createUploadGate(config.maxConcurrentExtractions);

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

  return async (api: FastifyInstance): Promise<void> => {
    api.get('/healthz', { config: { rateLimit: false } }, async (_req, reply) => {
      try {
        await repo.findByBinding(SOFT_BINDING_ALG, 'AAAAAAAAAAA=', { maxResults: 1 });
        return { status: 'ok' };
      } catch (err) {
        api.log.error({ err }, 'health check failed');
        return reply.code(503).send({ status: 'unavailable' });
      }
    });

    api.get('/services/supportedAlgorithms', async (req, reply) => {
      requireToken(req, reply, false);
      return {
        watermarks: config.watermarks.map((alg) => ({ alg })),
        fingerprints: config.fingerprints.map((alg) => ({ alg })),
      };
    });

    api.get('/matches/byBinding', { schema: { response: { 200: matchesSchema } } }, async (req, reply) => {
      requireToken(req, reply, false);
      const b = checkBinding(supported, single(req.query, 'alg', true), single(req.query, 'value', true));
      return { matches: await lookUp(repo, [b], parseMaxResults(req.query)) };
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
          supported,
          asBadRequest(() => checkAlg(body.alg, 'alg')),
          asBadRequest(() => normalizeBindingValue(body.value, 'value')),
        );
        return { matches: await lookUp(repo, [b], parseMaxResults(req.query)) };
      },
    );

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
        const found = await config.extractBindings(
          bytes,
          String(req.headers['content-type'] ?? 'application/octet-stream'),
        );
        const bindings = found
          .filter((b) => supported.has(b.alg) && (alg === undefined || b.alg === alg))
          .slice(0, MAX_BINDINGS)
          .map((b) => asBadRequest(() => normalizeBinding(b, 'extracted binding')));
        // The hint is a binding the client computed itself; it only adds candidates (spec: "to aid").
        if (hintAlg !== undefined && hintValue !== undefined) {
          bindings.push(checkBinding(supported, hintAlg, hintValue, { alg: 'hintAlg', value: 'hintValue' }));
        }
        req.log.debug({ bindings: bindings.length }, 'byContent extracted bindings');
        return { matches: await lookUp(repo, bindings, max) };
      },
    );
  };
}
