/**
 * Request logging that stays small in production: each request at debug, and at info one summary
 * per interval (requests per status class), so a busy server does not write a line per request.
 */
import type { FastifyInstance } from 'fastify';

/** Default interval of the info-level request summary. */
export const DEFAULT_LOG_SUMMARY_INTERVAL_MS = 60_000;

/** Log each request at debug and a per-interval summary at info; the timer stops when `app` closes. */
export function installRequestLog(app: FastifyInstance, intervalMs: number): void {
  let counts: Record<string, number> = {};
  let since = Date.now();
  const flush = () => {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    if (total > 0) {
      app.log.info(
        { requests: counts, total, intervalMs: Date.now() - since },
        'requests since the last summary',
      );
    }
    counts = {};
    since = Date.now();
  };
  app.addHook('onResponse', async (req, reply) => {
    const status = reply.statusCode;
    const cls = `${Math.floor(status / 100)}xx`;
    counts[cls] = (counts[cls] ?? 0) + 1;
    req.log.debug(
      { method: req.method, url: req.url, statusCode: status, ms: Math.round(reply.elapsedTime) },
      'request completed',
    );
  });
  const timer = setInterval(flush, intervalMs);
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    flush();
  });
}
