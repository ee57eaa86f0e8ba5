/**
 * `GET /manifests/{manifestId}` (the spec's getManifestById) and provmark's token-protected writes,
 * `POST /manifests` and `DELETE /manifests/{manifestId}`, as a Fastify plugin. A registered store
 * must validate in the engine (validate-store.ts) and carry only bindings this server answers.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MANIFEST_RECORD_TYPE } from '../repository/http.js';
import { checkManifestId, normalizeBinding, normalizeRecord } from '../repository/record.js';
import type { RequireToken } from './access.js';
import { checkBinding } from './bindings.js';
import { HttpError, asBadRequest } from './http-error.js';
import type { ServerConfig } from './options.js';
import { single } from './query.js';
import { checkManifestStore } from './validate-store.js';

export function manifestRoutes(config: ServerConfig, requireToken: RequireToken) {
  const { repository: repo, supported } = config;
  // Writes are authorised before their body is read.
  const writeAccess = async (req: FastifyRequest, reply: FastifyReply): Promise<void> =>
    requireToken(req, reply, true);

  return async (api: FastifyInstance): Promise<void> => {
    api.get('/manifests/:manifestId', async (req, reply) => {
      requireToken(req, reply, false);
      const id = (req.params as { manifestId: string }).manifestId;
      asBadRequest(() => checkManifestId(id));
      const active = single(req.query, 'returnActiveManifest', false);
      if (active !== undefined && active !== 'true' && active !== 'false') {
        throw new HttpError(400, 'ERR_INVALID_REQUEST', 'returnActiveManifest must be true or false');
      }
      const record = await repo.getManifest(id);
      if (record === undefined) throw new HttpError(404, 'ERR_NOT_FOUND', `No manifest ${id}`);
      // The spec lets the server answer the whole store the active manifest is part of; provmark
      // stores exactly that, so returnActiveManifest=true gets the same bytes.
      const store = Buffer.from(
        record.manifestStore.buffer,
        record.manifestStore.byteOffset,
        record.manifestStore.byteLength,
      );
      if (record.createdAt !== undefined) void reply.header('last-modified', record.createdAt.toUTCString());
      void reply.header('vary', 'accept');
      if (namesRecordType(req.headers.accept)) {
        // provmark's own clients (src/repository/http.ts) ask for the whole record by name.
        void reply.type(MANIFEST_RECORD_TYPE);
        return reply.send(
          JSON.stringify({
            manifestId: record.manifestId,
            manifestStore: store.toString('base64'),
            bindings: record.bindings,
            ...(record.format === undefined ? {} : { format: record.format }),
            ...(record.createdAt === undefined ? {} : { createdAt: record.createdAt.toISOString() }),
          }),
        );
      }
      void reply.type('application/c2pa');
      return reply.send(store);
    });

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
      const bindings = asBadRequest(() => {
        if (!Array.isArray(body.bindings))
          throw new TypeError('Expected an array of { alg, value } for bindings');
        return body.bindings.map((b, i) => normalizeBinding(b, `bindings[${i}]`));
      });
      for (const b of bindings)
        checkBinding(supported, b.alg, b.value, { alg: 'bindings[].alg', value: 'bindings[].value' });
      const store = Buffer.from(storeB64, 'base64');
      const record = {
        manifestId: body.manifestId as string,
        manifestStore: new Uint8Array(store.buffer, store.byteOffset, store.byteLength),
        bindings,
        ...(body.format === undefined ? {} : { format: body.format as string }),
      };
      asBadRequest(() => normalizeRecord(record, 'body'));
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
      asBadRequest(() => checkManifestId(id));
      if (!(await repo.delete(id))) throw new HttpError(404, 'ERR_NOT_FOUND', `No manifest ${id}`);
      req.log.info({ manifestId: id }, 'manifest deleted');
      return reply.code(204).send();
    });
  };
}

/** Whether an Accept header names {@link MANIFEST_RECORD_TYPE} with a quality above 0. */
function namesRecordType(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((range) => {
    const [type, ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    return type === MANIFEST_RECORD_TYPE && !params.some((p) => /^q=0(?:\.0*)?$/.test(p));
  });
}
