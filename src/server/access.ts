/** Who may call a route: reads are public unless configured otherwise, writes need a bearer token. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createTokenCheck } from './auth.js';
import { HttpError } from './http-error.js';

/** Throws 403 (no tokens configured) or 401 (with `WWW-Authenticate`) unless the request may go on. */
export type RequireToken = (req: FastifyRequest, reply: FastifyReply, write: boolean) => void;

export function createAccessCheck(tokens: readonly string[], publicReads: boolean): RequireToken {
  const authorize = createTokenCheck(tokens);
  return (req, reply, write) => {
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
}
