import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';
import { CorruptMediaError, ProvmarkError, RepositoryError, isProvmarkError } from '../src/errors.js';
import { MessageChannel } from 'node:worker_threads';
import { errorOfBatchError, toBatchError } from '../src/batch/tasks.js';
import type { BatchError } from '../src/batch/types.js';
import { formatError } from '../src/cli/io.js';

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('isProvmarkError', () => {
  it("is false for Node's own ERR_* errors and for look-alikes", () => {
    const outOfRange = thrownBy(() => Buffer.alloc(-1));
    expect((outOfRange as { code?: string }).code).toBe('ERR_OUT_OF_RANGE');
    expect(isProvmarkError(outOfRange)).toBe(false);
    expect(isProvmarkError(thrownBy(() => new URL('not a url')))).toBe(false);
    expect(isProvmarkError(Object.assign(new Error('x'), { code: 'ERR_CORRUPT_MEDIA' }))).toBe(false);
    expect(isProvmarkError({ code: 'ERR_CORRUPT_MEDIA', message: 'x' })).toBe(false);
    expect(isProvmarkError(undefined)).toBe(false);
    // The CLI words follow: a Node error is misuse or internal, never printed as a provmark code.
    expect(formatError(outOfRange)).toMatch(/^provmark: ERR_USAGE: /);
  });

  it('is true for every coded error class provmark exports', () => {
    const made: unknown[] = [
      new ProvmarkError('ERR_WATERMARK', 'x'),
      new CorruptMediaError('x'),
      new RepositoryError('ERR_CONFLICT', 'x'),
    ];
    for (const [name, value] of Object.entries(errors)) {
      if (typeof value !== 'function' || !(value.prototype instanceof ProvmarkError)) continue;
      // Subclasses take (message, options?) or (code, message, options?).
      const Ctor = value as new (...args: unknown[]) => ProvmarkError;
      const err = Ctor.length >= 3 ? new Ctor('ERR_FILE_IO', name) : new Ctor(name);
      expect(err.message).toBe(name);
      made.push(err);
    }
    expect(made.length).toBeGreaterThan(15);
    for (const err of made) expect(isProvmarkError(err), String(err)).toBe(true);
  });

  it('recognises an error made by another copy of the module (ESM and CJS builds side by side)', async () => {
    const path = '../src/errors.ts?second-copy';
    const copy = (await import(/* @vite-ignore */ path)) as typeof errors;
    expect(copy.ProvmarkError).not.toBe(ProvmarkError);
    const foreign = new copy.CorruptMediaError('from the other copy');
    expect(foreign instanceof ProvmarkError).toBe(false);
    expect(isProvmarkError(foreign)).toBe(true);
    expect(copy.isProvmarkError(new CorruptMediaError('x'))).toBe(true);
    expect(copy.isProvmarkError(thrownBy(() => Buffer.alloc(-1)))).toBe(false);
  });

  it('holds for an error that crossed a worker-thread port (batch workers send code and message)', async () => {
    const { port1, port2 } = new MessageChannel();
    const received: unknown[] = [];
    const done = new Promise<void>((resolve) =>
      port2.on('message', (m) => {
        received.push(m);
        if (received.length === 3) resolve();
      }),
    );
    // A cloned Error keeps its message but not its class, code or brand: that is why workers send data.
    port1.postMessage(new CorruptMediaError('cloned as it is'));
    port1.postMessage(toBatchError(new CorruptMediaError('sent as data')));
    port1.postMessage(toBatchError(thrownBy(() => Buffer.alloc(-1))));
    await done;
    port1.close();
    expect(isProvmarkError(received[0])).toBe(false);
    const rebuilt = errorOfBatchError(received[1] as BatchError);
    expect(isProvmarkError(rebuilt)).toBe(true);
    expect(rebuilt).toMatchObject({ code: 'ERR_CORRUPT_MEDIA', message: 'sent as data' });
    const usage = errorOfBatchError(received[2] as BatchError);
    expect((received[2] as BatchError).code).toBe('ERR_USAGE');
    expect(isProvmarkError(usage)).toBe(false);
  });
});
