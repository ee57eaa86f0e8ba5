import type { FastifyInstance } from 'fastify';
import { createServer } from './app.js';
import type { ServerOptions } from './options.js';

export interface StartServerOptions extends ServerOptions {
  /** TCP port (0 picks a free one; default 8080). */
  readonly port?: number;
  /** Address to bind (default `127.0.0.1`; use `0.0.0.0` to accept remote clients). */
  readonly host?: string;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  /** Base URL clients use, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  /** Stop accepting connections and wait for in-flight requests (the repository stays open). */
  close(): Promise<void>;
}

/**
 * Create the resolution API server and listen.
 *
 * @example
 * ```ts
 * const server = await startServer({ repository, port: 0, logLevel: 'silent' });
 * const remote = createHttpRepository({ url: server.url });
 * // …
 * await server.close();
 * ```
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Expected integer between 0 and 65535 for port but received ${port}`);
  }
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0)
    throw new TypeError('Expected a non-empty string for host');
  const app = createServer(options);
  await app.listen({ port, host });
  const address = app.server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    app,
    url: `http://${urlHost}:${actual}`,
    port: actual,
    close: () => app.close(),
  };
}
