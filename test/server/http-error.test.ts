import { describe, expect, it } from 'vitest';
import {
  CorruptMediaError,
  FfmpegError,
  MediaTooLargeError,
  RepositoryError,
  UnsupportedFormatError,
} from '../../src/errors.js';
import { HttpError, classify, errorBody } from '../../src/server/http-error.js';

describe('classify: what a handler threw -> status, code, message', () => {
  it('passes an HttpError through', () => {
    expect(classify(new HttpError(503, 'ERR_BUSY', 'busy'))).toEqual({
      status: 503,
      code: 'ERR_BUSY',
      message: 'busy',
    });
  });

  it('maps the library codes that are the client doing, and hides the rest behind a 500', () => {
    expect(classify(new RepositoryError('ERR_CONFLICT', 'taken'))).toMatchObject({
      status: 409,
      message: 'taken',
    });
    expect(classify(new RepositoryError('ERR_NOT_FOUND', 'gone')).status).toBe(404);
    expect(classify(new UnsupportedFormatError('no')).status).toBe(415);
    expect(classify(new MediaTooLargeError('big')).status).toBe(413);
    expect(classify(new CorruptMediaError('bad')).status).toBe(400);
    expect(classify(new RepositoryError('ERR_REPOSITORY', 'password=x'))).toEqual({
      status: 500,
      code: 'ERR_REPOSITORY',
      message: 'The repository failed; see the server log',
    });
    expect(classify(new FfmpegError('ERR_FFMPEG_FAILED', 'stderr')).status).toBe(500);
    // A copy of provmark loaded twice (ESM + CJS): recognised by its brand, mapped by its code.
    const foreign = Object.assign(new Error('taken'), {
      code: 'ERR_CONFLICT',
      [Symbol.for('provmark.ProvmarkError')]: true,
    });
    expect(classify(foreign)).toEqual({ status: 409, code: 'ERR_CONFLICT', message: 'taken' });
    // Node's own ERR_* errors are not provmark's: a 500 that says nothing.
    const node = Object.assign(new Error('internal detail'), { code: 'ERR_OUT_OF_RANGE' });
    expect(classify(node)).toEqual({ status: 500, code: 'ERR_INTERNAL', message: 'Internal server error' });
  });

  it("names Fastify's bare 4xx and hides anything else", () => {
    const withStatus = (statusCode: number) =>
      Object.assign(new Error(`status ${statusCode}`), { statusCode });
    expect(classify(withStatus(413)).code).toBe('ERR_PAYLOAD_TOO_LARGE');
    expect(classify(withStatus(415)).code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(classify(withStatus(429)).code).toBe('ERR_RATE_LIMITED');
    expect(classify(withStatus(408))).toEqual({
      status: 408,
      code: 'ERR_INVALID_REQUEST',
      message: 'status 408',
    });
    expect(classify(withStatus(502))).toEqual({
      status: 500,
      code: 'ERR_INTERNAL',
      message: 'Internal server error',
    });
    expect(classify(new Error('secret'))).toEqual({
      status: 500,
      code: 'ERR_INTERNAL',
      message: 'Internal server error',
    });
  });

  it('writes the JSON error body with the status text', () => {
    expect(errorBody(501, 'ERR_NOT_IMPLEMENTED', 'no')).toEqual({
      statusCode: 501,
      error: 'Not Implemented',
      code: 'ERR_NOT_IMPLEMENTED',
      message: 'no',
    });
    expect(errorBody(418, 'ERR_INVALID_REQUEST', 'tea').error).toBe('Error');
  });
});
