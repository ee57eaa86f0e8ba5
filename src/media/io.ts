import { randomBytes } from 'node:crypto';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FileError, MediaTooLargeError } from '../errors.js';
import type { MediaInput } from '../types.js';

/** A cap on the size of one input, with the reason shown when it is exceeded. */
export interface ByteLimit {
  readonly maxBytes: number;
  /** Why the cap exists, completed by the cap itself: "the C2PA engine can sign at most" (768 MiB). */
  readonly reason: string;
}

/**
 * Resolve a {@link MediaInput} to bytes. Paths are read; bytes are returned as they are (never copied).
 * With `limit`, a path is measured before it is read and bytes are measured as given: over the
 * cap the call throws {@link MediaTooLargeError} (ERR_MEDIA_TOO_LARGE) and reads nothing.
 */
export async function readMediaInput(
  input: MediaInput,
  name = 'input',
  limit?: ByteLimit,
): Promise<Uint8Array> {
  if (input instanceof Uint8Array) {
    if (limit) checkByteLimit(input.length, name, limit);
    return input;
  }
  if (typeof input !== 'string') {
    throw new TypeError(`Expected Uint8Array or file path for ${name} but received ${describe(input)}`);
  }
  if (input.length === 0) throw new TypeError(`Expected a non-empty file path for ${name}`);
  if (limit) {
    const size = await stat(input).then(
      (st) => (st.isFile() ? st.size : undefined),
      () => undefined, // missing or unreadable: readFile below reports it with the right code
    );
    if (size !== undefined) checkByteLimit(size, name, limit, input);
  }
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

/** Throw ERR_MEDIA_TOO_LARGE when `size` exceeds the limit. */
export function checkByteLimit(size: number, name: string, limit: ByteLimit, path?: string): void {
  if (size <= limit.maxBytes) return;
  throw new MediaTooLargeError(
    `The ${name}${path ? ` (${path})` : ''} is ${formatBytes(size)}; ${limit.reason} ${formatBytes(limit.maxBytes)}`,
    {
      hint: 'Split or re-encode the file into smaller parts; this limit cannot be raised.',
      details: { bytes: size, maxBytes: limit.maxBytes, ...(path ? { path } : {}) },
    },
  );
}

/** 1536 → "1.5 KiB"; binary units, as the limits are defined. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
