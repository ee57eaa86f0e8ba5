/**
 * Raw request bodies (uploaded assets, manifest stores) read into one buffer. Fastify's built-in
 * `parseAs: 'buffer'` keeps the chunks and concatenates them at the end, so each upload briefly
 * costs twice its size; here a declared Content-Length is allocated once and filled in place.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';

/** A client error the server's error handler maps by `statusCode` (413 → ERR_PAYLOAD_TOO_LARGE). */
function tooLarge(limit: number): Error {
  return Object.assign(new Error(`Request body is larger than ${limit} bytes`), { statusCode: 413 });
}

/** Content-type parser for raw bytes, enforcing the route's body limit while reading. */
export function rawBodyParser(
  defaultLimit: number,
): (req: FastifyRequest, payload: IncomingMessage, done: (err: Error | null, body?: Buffer) => void) => void {
  return (req, payload, done) => {
    const limit = req.routeOptions.bodyLimit ?? defaultLimit;
    const header = req.headers['content-length'];
    const declared = header !== undefined && /^[0-9]{1,15}$/.test(header) ? Number(header) : undefined;
    if (declared !== undefined && declared > limit) {
      done(tooLarge(limit));
      return;
    }
    // With a declared length: one allocation of that size. Without (chunked): chunks, then one copy.
    const whole = declared !== undefined ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (err: Error | null, body?: Buffer) => {
      if (settled) return;
      settled = true;
      payload.off('data', onData);
      payload.off('end', onEnd);
      payload.off('error', onError);
      if (err) payload.resume(); // drain what is still coming; nothing of it is kept
      done(err, body);
    };
    const onData = (chunk: Buffer) => {
      if (received + chunk.length > (declared ?? limit)) {
        settle(
          declared !== undefined
            ? Object.assign(new Error('Request body is longer than its Content-Length'), { statusCode: 400 })
            : tooLarge(limit),
        );
        return;
      }
      if (whole) chunk.copy(whole, received);
      else chunks.push(chunk);
      received += chunk.length;
    };
    const onEnd = () => {
      if (whole && received !== declared) {
        settle(
          Object.assign(new Error('Request body is shorter than its Content-Length'), { statusCode: 400 }),
        );
        return;
      }
      settle(null, whole ?? Buffer.concat(chunks, received));
    };
    const onError = (err: Error) => settle(err);
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
  };
}

/**
 * A bound on uploads in progress, held from before the body is read until the answer is sent.
 * Take it in an `onRequest` hook: when `tryAcquire` is false, answer 503 (with Retry-After and
 * `connection: close`) without reading the body, so memory stays under `max` bodies.
 */
export function createUploadGate(max: number): { tryAcquire(reply: FastifyReply): boolean } {
  let inFlight = 0;
  return {
    tryAcquire(reply) {
      if (inFlight >= max) return false;
      inFlight++;
      reply.raw.once('close', () => inFlight--);
      return true;
    },
  };
}
