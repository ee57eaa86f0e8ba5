/**
 * Errors over HTTP: the JSON body every route answers a failure with
 * (`{ statusCode, error, code, message }`, `code` from {@link ErrorCode}), and the one mapping from
 * what a handler threw to a status and a code.
 */
import type { FastifyError, FastifyReply } from 'fastify';
import { isProvmarkError, type ErrorCode, type ServerErrorCode } from '../errors.js';

/** An HTTP answer other than 2xx, with the stable code sent to the client. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Run a validator; its TypeError/RangeError (misuse by the client) becomes a 400. */
export function asBadRequest<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError)
      throw new HttpError(400, 'ERR_INVALID_REQUEST', err.message);
    throw err;
  }
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
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
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** The JSON error body. */
export function errorBody(status: number, code: string, message: string) {
  return { statusCode: status, error: STATUS_TEXT[status] ?? 'Error', code, message };
}

/** Answer an error from a hook or handler that returns instead of throwing. */
export function sendError(reply: FastifyReply, status: number, code: ErrorCode, message: string) {
  return reply.code(status).send(errorBody(status, code, message));
}

/** Status of the library's error codes that are the client's doing; every other code is a 500. */
const STATUS_OF_LIBRARY_CODE: Readonly<Record<string, number>> = {
  ERR_CONFLICT: 409,
  ERR_NOT_FOUND: 404,
  ERR_UNSUPPORTED_FORMAT: 415,
  ERR_MEDIA_TOO_LARGE: 413,
  ERR_CORRUPT_MEDIA: 400,
  ERR_MEDIA_TOO_SMALL: 400,
} satisfies Partial<Record<ErrorCode, number>>;

/** Code of a 4xx that Fastify, its rate limiter or body.ts raised with only a status; other 4xx: ERR_INVALID_REQUEST. */
const CODE_OF_CLIENT_STATUS: Readonly<Record<number, ServerErrorCode>> = {
  413: 'ERR_PAYLOAD_TOO_LARGE',
  415: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  429: 'ERR_RATE_LIMITED',
};

/** Map what a handler threw to a status and a stable code, without leaking internals on 5xx. */
export function classify(err: Error): { status: number; code: string; message: string } {
  if (err instanceof HttpError) return { status: err.statusCode, code: err.code, message: err.message };
  if (isProvmarkError(err)) {
    // A copy of provmark loaded twice (ESM + CJS) may carry a code this copy does not know.
    const code: string = err.code;
    const status = Object.hasOwn(STATUS_OF_LIBRARY_CODE, code) ? STATUS_OF_LIBRARY_CODE[code]! : 500;
    if (status === 500) return { status, code, message: 'The repository failed; see the server log' };
    return { status, code, message: err.message };
  }
  const status = (err as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, code: CODE_OF_CLIENT_STATUS[status] ?? 'ERR_INVALID_REQUEST', message: err.message };
  }
  return { status: 500, code: 'ERR_INTERNAL', message: 'Internal server error' };
}
