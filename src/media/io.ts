import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FileError } from '../errors.js';
import type { MediaInput } from '../types.js';

/** Default cap on bytes read from one input (2 GiB: the C2PA engine holds a whole asset in 32-bit wasm memory). */
export const DEFAULT_MAX_INPUT_BYTES = 2 * 1024 ** 3;

/** Resolve a {@link MediaInput} to bytes. Paths are read; bytes are returned as they are (never copied). */
export async function readMediaInput(input: MediaInput, name = 'input'): Promise<Uint8Array> {
  if (input instanceof Uint8Array) return input;
  if (typeof input !== 'string') {
    throw new TypeError(`Expected Uint8Array or file path for ${name} but received ${describe(input)}`);
  }
  if (input.length === 0) throw new TypeError(`Expected a non-empty file path for ${name}`);
  try {
    const buf = await readFile(input);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new FileError('ERR_FILE_NOT_FOUND', `No such file: ${input}`, {
        hint: 'Check the path.',
        details: { path: input },
        cause: err,
      });
    }
    if (code === 'EISDIR') {
      throw new FileError('ERR_FILE_IO', `Expected a file but ${input} is a directory`, {
        details: { path: input },
      });
    }
    throw new FileError('ERR_FILE_IO', `Cannot read ${input}: ${(err as Error).message}`, {
      details: { path: input },
      cause: err,
    });
  }
}

/**
 * Write bytes to `path` atomically: a temporary file in the same directory, then rename,
 * so a crash or an error never leaves a half-written output.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, bytes, { flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new FileError('ERR_FILE_IO', `Cannot write ${path}: ${(err as Error).message}`, {
      details: { path },
      cause: err,
    });
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
