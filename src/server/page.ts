/**
 * The in-browser verify page and the one endpoint that analyses an upload:
 *
 * | route | what |
 * |---|---|
 * | `GET /` | the page (HTML) |
 * | `GET /page/{main.js,worker.js,style.css}` | its script, worker and stylesheet |
 * | `GET /page/c2pa.wasm` | the C2PA engine (@contentauth/c2pa-wasm, the version the server runs) |
 * | `GET /page/trust` | the server's trust configuration, for the engine in the browser |
 * | `POST /inspect` (raw asset body) | the `inspect()` report of an upload the visitor chose to send; nothing is stored |
 *
 * Every page response carries a Content-Security-Policy that allows only this origin: no inline
 * script, no third-party request; `'wasm-unsafe-eval'` is what compiling the engine needs.
 */
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EngineTrust } from '../c2pa/context.js';
import { engineWasmPath, loadPageAssets } from '../page/assets.js';
import type { ManifestRepository } from '../repository/types.js';
import { resolveTrust, type TrustOptions } from '../verify/trust.js';
import { createUploadGate } from './body.js';
import { sendError } from './http-error.js';

export interface PageOptions {
  /** Trust for the page's verification and for `POST /inspect` (default: no anchors, official EKUs). */
  readonly trust?: TrustOptions;
  /** Largest upload for `POST /inspect` in bytes (default 32 MiB). */
  readonly inspectBodyLimit?: number;
  /** Uploads per client address per minute for `POST /inspect` (default 30), within the server's rate limit. */
  readonly inspectPerMinute?: number;
  /** `POST /inspect` analyses running at once (default 2); more get 503 with Retry-After. */
  readonly maxConcurrentInspections?: number;
  /** Run the offline AI-image detector in `POST /inspect` when nothing else is found (default true). */
  readonly detector?: boolean;
  /** Watermark key of private marks (default: the public key). */
  readonly watermarkKey?: string;
}

/** Default largest `POST /inspect` upload. */
export const INSPECT_BODY_LIMIT = 32 * 1024 * 1024;

/** The page's policy: own origin only; blob: for the visitor's own file and thumbnails. */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' blob:",
  "style-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'main.js': 'text/javascript; charset=utf-8',
  'worker.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', PAGE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin');
}

const gzipAsync = promisify(gzip);

/**
 * Gzip for clients that take it: the engine is 9.0 MB raw and 3.4 MB gzipped (measured on
 * @contentauth/c2pa-wasm 0.13.3), which is most of the page's weight. Each asset is compressed once,
 * on its first request, off the event loop.
 */
function createAssetSender() {
  const gz = new Map<string, Promise<Buffer>>();
  return async (req: FastifyRequest, reply: FastifyReply, name: string, body: Buffer, type: string) => {
    void pageHeaders(reply).type(type).header('vary', 'accept-encoding');
    const accepts = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (!accepts || body.length < 1024) return reply.send(body);
    let zipped = gz.get(name);
    if (!zipped) {
      zipped = gzipAsync(body, { level: 6 });
      gz.set(name, zipped);
    }
    return reply.header('content-encoding', 'gzip').send(await zipped);
  };
}

function describeTrust(trust: EngineTrust, options: TrustOptions | undefined): string {
  const count = (pem: string | undefined) => (pem?.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
  const anchors = count(trust.anchors);
  const parts = [
    anchors === 0
      ? 'No trust anchors are configured on this server, so a good signature shows as “untrusted signer”.'
      : `Signers are trusted when they chain to ${anchors === 1 ? 'the certificate' : `one of the ${anchors} certificates`} configured on this server${options?.official ? ', including the official C2PA trust list' : ''}.`,
  ];
  if (count(trust.allowedList))
    parts.push(`${count(trust.allowedList)} end-entity certificates are allowed as they are.`);
  return parts.join(' ');
}

/**
 * The page's routes as a Fastify plugin (registered by `createServer` when its `page` option is set).
 * Trust is resolved once here, so a bad `--trust` fails at start-up rather than per request.
 */
export function pageRoutes(repository: ManifestRepository, options: PageOptions = {}) {
  const bodyLimit = options.inspectBodyLimit ?? INSPECT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1024) {
    throw new RangeError(
      `Expected an integer of at least 1024 for inspectBodyLimit but received ${bodyLimit}`,
    );
  }
  const perMinute = options.inspectPerMinute ?? 30;
  if (!Number.isInteger(perMinute) || perMinute < 1) {
    throw new RangeError(`Expected a positive integer for inspectPerMinute but received ${perMinute}`);
  }
  const maxRunning = options.maxConcurrentInspections ?? 2;
  if (!Number.isInteger(maxRunning) || maxRunning < 1) {
    throw new RangeError(
      `Expected a positive integer for maxConcurrentInspections but received ${maxRunning}`,
    );
  }
  // The slot is taken before the body is read (onRequest), so a busy server refuses an upload without
  // buffering it: memory stays under maxRunning bodies whatever the number of clients.
  const uploads = createUploadGate(maxRunning);

  return async (api: FastifyInstance): Promise<void> => {
    const [assets, trust] = await Promise.all([loadPageAssets(), resolveTrust(options.trust)]);
    const trustBody = { trust, description: describeTrust(trust, options.trust) };
    let wasm: Promise<Buffer> | undefined;
    const sendAsset = createAssetSender();

    api.get('/', async (req, reply) =>
      sendAsset(req, reply, 'index.html', Buffer.from(assets.get('index.html')!), TYPES['index.html']!),
    );

    // Browsers ask for an icon on their own; an empty answer keeps the console free of 404s.
    api.get('/favicon.ico', async (_req, reply) => reply.code(204).send());

    api.get('/page/c2pa.wasm', async (req, reply) => {
      wasm ??= readFile(engineWasmPath());
      void reply.header('cache-control', 'public, max-age=3600');
      return sendAsset(req, reply, 'c2pa.wasm', await wasm, 'application/wasm');
    });

    api.get('/page/trust', async (_req, reply) => {
      void pageHeaders(reply).header('cache-control', 'no-store');
      return trustBody;
    });

    api.get('/page/:name', async (req, reply) => {
      const name = (req.params as { name: string }).name;
      const bytes = name === 'index.html' ? undefined : assets.get(name);
      if (!bytes || !TYPES[name]) return sendError(reply, 404, 'ERR_NOT_FOUND', `No page asset ${name}`);
      void reply.header('cache-control', 'no-cache');
      return sendAsset(req, reply, name, Buffer.from(bytes), TYPES[name]!);
    });

    api.post(
      '/inspect',
      {
        bodyLimit,
        config: { rateLimit: { max: perMinute, timeWindow: 60_000 } },
        onRequest: async (_req: FastifyRequest, reply: FastifyReply) => {
          if (uploads.tryAcquire(reply)) return;
          void reply.header('retry-after', '2').header('connection', 'close');
          return sendError(reply, 503, 'ERR_BUSY', 'Too many files are being analysed; retry in a moment');
        },
      },
      async (req, reply) => {
        const body = req.body;
        if (!Buffer.isBuffer(body)) {
          return sendError(
            reply,
            415,
            'ERR_UNSUPPORTED_MEDIA_TYPE',
            'Upload the file itself as the body, with its media type or application/octet-stream',
          );
        }
        if (body.length === 0)
          return sendError(reply, 400, 'ERR_INVALID_REQUEST', 'The uploaded file is empty');
        const { inspect } = await import('../flows/inspect.js');
        // The upload lives only in this request: inspect() reads it and nothing is written anywhere.
        const report = await inspect(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), {
          ...(options.trust ? { trust: options.trust } : {}),
          repository,
          detector: options.detector ?? true,
          ...(options.watermarkKey !== undefined ? { watermarkKey: options.watermarkKey } : {}),
        });
        req.log.info({ verdict: report.verdict, bytes: body.length }, 'inspected an upload');
        return reply.header('cache-control', 'no-store').send(report);
      },
    );
  };
}
