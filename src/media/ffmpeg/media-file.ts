/** Handing ffmpeg a file: a path in place, bytes through a private temporary directory. */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptMediaError, FileError } from '../../errors.js';
import type { MediaInput } from '../../types.js';

/**
 * Give ffmpeg a file for `input`: a path is used in place (checked to exist); bytes are written
 * to a private temporary directory removed afterwards (MP4 needs a seekable input: its index may
 * sit at the end of the file).
 */
export async function withMediaFile<T>(input: MediaInput, fn: (path: string) => Promise<T>): Promise<T> {
  if (typeof input === 'string') {
    if (input.length === 0) throw new TypeError('Expected a non-empty file path for input');
    try {
      const st = await stat(input);
      if (!st.isFile())
        throw new FileError('ERR_FILE_IO', `Expected a file but ${input} is not one`, {
          details: { path: input },
        });
    } catch (err) {
      if (err instanceof FileError) throw err;
      throw new FileError('ERR_FILE_NOT_FOUND', `No such file: ${input}`, {
        hint: 'Check the path.',
        details: { path: input },
        cause: err,
      });
    }
    return fn(input);
  }
  if (!(input instanceof Uint8Array)) {
    throw new TypeError(
      `Expected Uint8Array or file path for input but received ${input === null ? 'null' : typeof input}`,
    );
  }
  if (input.length === 0) throw new CorruptMediaError('The input is empty (0 bytes)');
  const dir = await withTempDir();
  try {
    const path = join(dir, 'input');
    await writeFile(path, input);
    return await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A fresh private temporary directory (caller removes it). */
export function withTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'provmark-ff-'));
}
