import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';
import { CorruptMediaError, ProvmarkError, RepositoryError, isProvmarkError } from '../src/errors.js';
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
});
