/**
 * A client of a C2PA Soft Binding Resolution API server (provmark's own `provmark serve` or any
 * other resolver), so that inspect() can recover a manifest from a remote repository.
 *
 * Reads follow the resolution API: `GET /matches/byBinding`, `POST /matches/byContent`,
 * `GET /manifests/{manifestId}`. Writes (`put`, `delete`) use provmark's authenticated extension
 * (`POST /manifests`, `DELETE /manifests/{id}`) and need a bearer token; without one they are
 * refused locally with ERR_REPOSITORY before anything is sent.
 *
 * `GET /manifests/{manifestId}` asks for {@link MANIFEST_RECORD_TYPE} first: a provmark server
 * answers the whole record (store, bindings, format, time), any other resolver the store bytes.
 */
import { NetworkError, RepositoryError, isProvmarkError } from '../errors.js';
import { sniffFormat } from '../media/sniff.js';
import {
  asUint8Array,
  checkAlg,
  checkManifestId,
  checkLimit,
  checkMaxResults,
  isManifestId,
  normalizeBindingValue,
  normalizeRecord,
  parseCursor,
} from './record.js';
import type {
  BindingMatch,
  FindByBindingOptions,
  ListOptions,
  ListPage,
  ManifestRecord,
  ManifestRepository,
  NewManifestRecord,
  PutResult,
} from './types.js';

/**
 * provmark's media type for a whole stored record as JSON
 * (`{ manifestId, manifestStore: base64, bindings, format?, createdAt? }`), which its server answers
 * on `GET /manifests/{manifestId}` when a client names it in Accept; the resolution API's
 * `application/c2pa` (the store bytes only) stays the answer otherwise.
 */
export const MANIFEST_RECORD_TYPE = 'application/vnd.provmark.manifest-record+json';

export interface HttpRepositoryOptions {
  /** Base URL of the resolver, e.g. `https://resolver.example.org/v1` (the API paths are appended). */
  readonly url: string;
  /** Bearer token for the write endpoints (and for reads on servers that require one). */
  readonly token?: string;
  /** Per-request timeout in ms (default 10000). */
  readonly timeoutMs?: number;
  /** Largest manifest store accepted from the server, in bytes (default 64 MiB). */
  readonly maxManifestBytes?: number;
  /** A fetch implementation (default the global one). */
  readonly fetch?: typeof fetch;
}

export interface FindByContentOptions {
  /** MIME type of the asset; sniffed from the bytes when absent. */
  readonly contentType?: string;
  /** Ask the resolver to use this soft-binding algorithm. */
  readonly alg?: string;
  readonly maxResults?: number;
}

/**
 * A read-mostly {@link ManifestRepository} backed by a remote resolver.
 *
 * @example
 * ```ts
 * const remote = createHttpRepository({ url: 'https://resolver.example.org' });
 * const [match] = await remote.findByBinding(SOFT_BINDING_ALG, softBindingValue(id));
 * const record = match && (await remote.getManifest(match.manifestId));
 * ```
 */
export function createHttpRepository(options: HttpRepositoryOptions): HttpRepository {
  if (typeof options !== 'object' || options === null) throw new TypeError('Expected an options object');
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw new TypeError(`Expected an http(s) URL for url but received ${JSON.stringify(options.url)}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TypeError(`Expected an http(s) URL for url but received ${JSON.stringify(options.url)}`);
  }
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token.length === 0)) {
    throw new TypeError('Expected a non-empty string for token');
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new RangeError(`Expected a positive integer for timeoutMs but received ${timeoutMs}`);
  }
  const maxManifestBytes = options.maxManifestBytes ?? 64 * 1024 * 1024;
  if (!Number.isInteger(maxManifestBytes) || maxManifestBytes < 1) {
    throw new RangeError(`Expected a positive integer for maxManifestBytes but received ${maxManifestBytes}`);
  }
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  base.search = '';
  base.hash = '';
  return new HttpRepository(base, options.token, timeoutMs, maxManifestBytes, options.fetch ?? fetch);
}

/** Client of a Soft Binding Resolution API; create it with {@link createHttpRepository}. */
export class HttpRepository implements ManifestRepository {
  /** The resolver's base URL (ends with `/`). */
  readonly url: string;
  readonly #base: URL;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #fetch: typeof fetch;
  #closed = false;

  /** @internal use {@link createHttpRepository} */
  constructor(
    base: URL,
    token: string | undefined,
    timeoutMs: number,
    maxBytes: number,
    fetchImpl: typeof fetch,
  ) {
    this.#base = base;
    this.url = base.href;
    this.#token = token;
    this.#timeoutMs = timeoutMs;
    this.#maxBytes = maxBytes;
    this.#fetch = fetchImpl;
  }

  /** Register a manifest through the server's authenticated `POST /manifests` (needs a token). */
  async put(record: NewManifestRecord): Promise<PutResult> {
    const r = normalizeRecord(record);
    this.#requireToken('put');
    const res = await this.#request('POST', 'manifests', {
      body: JSON.stringify({
        manifestId: r.manifestId,
        manifestStore: Buffer.from(
          r.manifestStore.buffer,
          r.manifestStore.byteOffset,
          r.manifestStore.byteLength,
        ).toString('base64'),
        bindings: r.bindings,
        ...(r.format === undefined ? {} : { format: r.format }),
      }),
      contentType: 'application/json',
    });
    if (res.status !== 200 && res.status !== 201) throw await this.#unexpected(res, `store ${r.manifestId}`);
    const body = (await readJson(res, 'POST /manifests')) as { created?: unknown; createdAt?: unknown };
    const createdAt = typeof body.createdAt === 'string' ? new Date(body.createdAt) : undefined;
    return {
      created: body.created === true || (body.created === undefined && res.status === 201),
      record: {
        manifestId: r.manifestId,
        manifestStore: r.manifestStore,
        bindings: r.bindings,
        ...(r.format === undefined ? {} : { format: r.format }),
        ...(createdAt === undefined || Number.isNaN(createdAt.getTime()) ? {} : { createdAt }),
      },
    };
  }

  /**
   * `GET /manifests/{manifestId}`. A provmark server answers the whole record; other resolvers
   * answer the store bytes only (the resolution API's getManifestById), and then the record has
   * no bindings or format and `createdAt` comes from Last-Modified when the server sends it.
   */
  async getManifest(manifestId: string): Promise<ManifestRecord | undefined> {
    checkManifestId(manifestId);
    const res = await this.#request('GET', `manifests/${encodeURIComponent(manifestId)}`, {
      accept: `${MANIFEST_RECORD_TYPE}, application/c2pa;q=0.9`,
    });
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (res.status !== 200) throw await this.#unexpected(res, `fetch ${manifestId}`);
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === MANIFEST_RECORD_TYPE) {
      // Base64 is 4/3 of the bytes; the rest of the record is small.
      const cap = Math.ceil(this.#maxBytes / 3) * 4 + 1024 * 1024;
      return this.#recordOf(await readJson(res, `GET /manifests/${manifestId}`, cap), manifestId);
    }
    const bytes = await readCapped(res, this.#maxBytes, `GET /manifests/${manifestId}`);
    if (bytes.length === 0) {
      throw new RepositoryError(
        'ERR_REPOSITORY',
        `The resolver answered an empty manifest store for ${manifestId}`,
        {
          details: { url: this.url },
        },
      );
    }
    const modified = res.headers.get('last-modified');
    const createdAt = modified === null ? undefined : new Date(modified);
    return {
      manifestId,
      manifestStore: bytes,
      bindings: [],
      ...(createdAt === undefined || Number.isNaN(createdAt.getTime()) ? {} : { createdAt }),
    };
  }

  /** A {@link MANIFEST_RECORD_TYPE} answer checked as every stored record is; a bad one is ERR_REPOSITORY. */
  #recordOf(body: unknown, manifestId: string): ManifestRecord {
    const b = (body ?? {}) as Record<string, unknown>;
    const invalid = (why: string, cause?: unknown) =>
      new RepositoryError(
        'ERR_REPOSITORY',
        `The resolver answered an invalid record for ${manifestId}: ${why}`,
        {
          details: { url: this.url },
          ...(cause === undefined ? {} : { cause }),
        },
      );
    if (b.manifestId !== manifestId) throw invalid('another manifestId');
    if (typeof b.manifestStore !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b.manifestStore))
      throw invalid('manifestStore is not base64');
    const store = asUint8Array(Buffer.from(b.manifestStore, 'base64'));
    if (store.length > this.#maxBytes) throw invalid(`the store is larger than ${this.#maxBytes} bytes`);
    let record: ReturnType<typeof normalizeRecord>;
    try {
      record = normalizeRecord({
        manifestId,
        manifestStore: store,
        bindings: b.bindings as NewManifestRecord['bindings'],
        ...(b.format === undefined ? {} : { format: b.format as string }),
      });
    } catch (err) {
      throw invalid((err as Error).message, err);
    }
    const createdAt = typeof b.createdAt === 'string' ? new Date(b.createdAt) : undefined;
    return {
      manifestId,
      manifestStore: record.manifestStore,
      bindings: record.bindings,
      ...(record.format === undefined ? {} : { format: record.format }),
      ...(createdAt === undefined || Number.isNaN(createdAt.getTime()) ? {} : { createdAt }),
    };
  }

  /** `GET /matches/byBinding?alg=…&value=…&maxResults=…`. */
  async findByBinding(
    alg: string,
    value: string,
    options: FindByBindingOptions = {},
  ): Promise<BindingMatch[]> {
    checkAlg(alg);
    const v = normalizeBindingValue(value);
    const max = checkMaxResults(options.maxResults, 'options.maxResults');
    const query = new URLSearchParams({ alg, value: v, maxResults: String(max) });
    const res = await this.#request('GET', `matches/byBinding?${query.toString()}`, {
      accept: 'application/json',
    });
    if (res.status !== 200) {
      const err = await this.#unexpected(res, 'look up a binding');
      // A resolver that does not support the algorithm holds nothing bound with it: as for every
      // repository, finding nothing is an answer, not an error.
      if (res.status === 400 && err.details?.serverCode === 'ERR_UNSUPPORTED_ALGORITHM') return [];
      throw err;
    }
    return parseMatches(await readJson(res, 'GET /matches/byBinding'), max);
  }

  /**
   * `POST /matches/byContent`: upload the asset and let the resolver extract the soft binding.
   *
   * @example
   * ```ts
   * const matches = await remote.findByContent(await readFile('photo.jpg'));
   * ```
   */
  async findByContent(bytes: Uint8Array, options: FindByContentOptions = {}): Promise<BindingMatch[]> {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('Expected Uint8Array for bytes');
    const max = checkMaxResults(options.maxResults, 'options.maxResults');
    let contentType = options.contentType;
    if (contentType === undefined) contentType = sniffFormat(bytes).mime;
    const query = new URLSearchParams({ maxResults: String(max) });
    if (options.alg !== undefined) query.set('alg', checkAlg(options.alg, 'options.alg'));
    const res = await this.#request('POST', `matches/byContent?${query.toString()}`, {
      body: bytes,
      contentType,
      accept: 'application/json',
    });
    if (res.status !== 200) throw await this.#unexpected(res, 'match content');
    return parseMatches(await readJson(res, 'POST /matches/byContent'), max);
  }

  /**
   * Not part of the resolution API: the options are checked as every repository checks them, then
   * the call is refused with ERR_UNSUPPORTED_OPERATION.
   */
  async list(options: ListOptions = {}): Promise<ListPage> {
    checkLimit(options.limit, 'options.limit');
    parseCursor(options.cursor, 'options.cursor');
    throw new RepositoryError(
      'ERR_UNSUPPORTED_OPERATION',
      `The resolver at ${this.url} cannot list its manifests: the resolution API has no listing`,
      { hint: 'List the server’s own database (provmark serve --db …) instead.' },
    );
  }

  /** Remove a manifest through the server's authenticated `DELETE /manifests/{id}` (needs a token). */
  async delete(manifestId: string): Promise<boolean> {
    checkManifestId(manifestId);
    this.#requireToken('delete');
    const res = await this.#request('DELETE', `manifests/${encodeURIComponent(manifestId)}`, {});
    await res.body?.cancel();
    if (res.status === 204 || res.status === 200) return true;
    if (res.status === 404) return false;
    throw await this.#unexpected(res, `delete ${manifestId}`);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #requireToken(op: string): void {
    if (this.#token === undefined) {
      throw new RepositoryError(
        'ERR_REPOSITORY',
        `The resolver at ${this.url} is read-only without a token (${op})`,
        {
          hint: 'Pass a bearer token (token option, --token) accepted by the server to write.',
        },
      );
    }
  }

  async #request(
    method: string,
    path: string,
    opts: { body?: Uint8Array | string; contentType?: string; accept?: string },
  ): Promise<Response> {
    if (this.#closed)
      throw new RepositoryError('ERR_REPOSITORY', `The repository client for ${this.url} is closed`);
    const url = new URL(path, this.#base);
    const headers: Record<string, string> = {};
    if (opts.accept) headers.accept = opts.accept;
    if (opts.contentType) headers['content-type'] = opts.contentType;
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    try {
      return await this.#fetch(url, {
        method,
        headers,
        // Uint8Array is a valid fetch body; the DOM typings only want an ArrayBuffer-backed one.
        ...(opts.body === undefined ? {} : { body: opts.body as BodyInit }),
        signal: AbortSignal.timeout(this.#timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      const timeout = (err as Error).name === 'TimeoutError';
      throw new NetworkError(
        timeout
          ? `The resolver at ${this.url} did not answer within ${this.#timeoutMs} ms`
          : `Cannot reach the resolver at ${this.url}: ${describeFetchError(err)}`,
        { hint: 'Check the resolver URL and the network.', details: { url: url.href, method }, cause: err },
      );
    }
  }

  async #unexpected(res: Response, action: string): Promise<RepositoryError> {
    const text = await res.text().catch(() => '');
    let message = text.slice(0, 300);
    let serverCode: string | undefined;
    try {
      const j = JSON.parse(text) as { message?: unknown; code?: unknown };
      if (typeof j.message === 'string') message = j.message;
      if (typeof j.code === 'string') serverCode = j.code;
    } catch {
      // not JSON: keep the text
    }
    const code = res.status === 409 ? 'ERR_CONFLICT' : 'ERR_REPOSITORY';
    const hint =
      res.status === 401 || res.status === 403
        ? 'The server refused the token; check --token / PROVMARK_TOKENS on both sides.'
        : res.status === 429
          ? 'The resolver is rate limiting this client; retry later.'
          : res.status === 404
            ? 'The URL does not look like a Soft Binding Resolution API.'
            : undefined;
    return new RepositoryError(
      code,
      `The resolver at ${this.url} refused to ${action}: HTTP ${res.status} ${message}`.trim(),
      {
        ...(hint === undefined ? {} : { hint }),
        details: { status: res.status, url: this.url, ...(serverCode === undefined ? {} : { serverCode }) },
      },
    );
  }
}

/** Keep only well-formed matches (a hostile or buggy resolver must not crash inspect()). */
function parseMatches(body: unknown, max: number): BindingMatch[] {
  const matches = (body as { matches?: unknown })?.matches;
  if (!Array.isArray(matches)) {
    throw new RepositoryError('ERR_REPOSITORY', 'The resolver answered without a "matches" array', {
      details: { body: JSON.stringify(body).slice(0, 300) },
    });
  }
  const out: BindingMatch[] = [];
  for (const m of matches) {
    if (out.length >= max) break;
    const { manifestId, endpoint, similarityScore } = (m ?? {}) as Record<string, unknown>;
    if (!isManifestId(manifestId)) continue;
    const match: { manifestId: string; endpoint?: string; similarityScore?: number } = { manifestId };
    if (typeof endpoint === 'string' && /^https?:\/\//.test(endpoint)) match.endpoint = endpoint;
    if (typeof similarityScore === 'number' && similarityScore >= 0 && similarityScore <= 100) {
      match.similarityScore = similarityScore;
    }
    out.push(match);
  }
  return out;
}

async function readJson(res: Response, what: string, max = 16 * 1024 * 1024): Promise<unknown> {
  const bytes = await readCapped(res, max, what);
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  } catch (err) {
    throw new RepositoryError('ERR_REPOSITORY', `The resolver answered ${what} with invalid JSON`, {
      cause: err,
    });
  }
}

/** Read a response body, refusing more than `max` bytes before buffering them. */
async function readCapped(res: Response, max: number, what: string): Promise<Uint8Array> {
  const tooLarge = () =>
    new RepositoryError('ERR_REPOSITORY', `The resolver's answer to ${what} is larger than ${max} bytes`, {
      hint: 'Raise maxManifestBytes if you trust this resolver.',
    });
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (res.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > max) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (err) {
    if (isProvmarkError(err)) throw err;
    throw new NetworkError(`The connection broke while reading ${what}: ${describeFetchError(err)}`, {
      cause: err,
    });
  }
  return asUint8Array(Buffer.concat(chunks, total));
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
