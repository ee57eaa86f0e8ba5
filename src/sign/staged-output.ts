/**
 * An output file written in two steps, so protect() can put the file in place before it commits
 * the repository row that points to it, and undo the file when the row cannot be committed.
 */
import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FileError } from '../errors.js';

export interface StagedOutput {
  /** Rename the written temp file onto the output path (keeping a link to a file it replaces). */
  commit(): Promise<void>;
  /** Undo: remove the temp file, or the committed output (restoring the file it replaced). */
  rollback(): Promise<void>;
  /** Forget the replaced file once the whole operation succeeded. */
  finish(): Promise<void>;
}

const ignore = (): undefined => undefined;

function writeError(path: string, err: unknown): FileError {
  return new FileError('ERR_FILE_IO', `Cannot write ${path}: ${(err as Error).message}`, {
    hint: 'Write the output into an existing folder you can write to.',
    details: {
      path,
      ...((err as NodeJS.ErrnoException).code ? { reason: (err as NodeJS.ErrnoException).code } : {}),
    },
    cause: err,
  });
}

/**
 * Write `bytes` to a temp file in the folder of `path` (flushed to disk), ready to be committed.
 * Throws ERR_FILE_IO with the path and the OS reason; nothing is left behind on failure.
 */
export async function stageOutput(path: string, bytes: Uint8Array): Promise<StagedOutput> {
  if (typeof path !== 'string' || path.length === 0)
    throw new TypeError('Expected a non-empty file path for output');
  const tag = randomBytes(6).toString('hex');
  const tmp = join(dirname(path), `.${basename(path)}.${tag}.tmp`);
  const backup = join(dirname(path), `.${basename(path)}.${tag}.previous`);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    await unlink(tmp).catch(ignore);
    throw writeError(path, err);
  }
  let state: 'staged' | 'committed' | 'done' = 'staged';
  let replaced = false;
  return {
    async commit() {
      // A hard link keeps the file being replaced, so a rollback can put it back (best effort:
      // where links are not possible, or nothing is there, there is nothing to restore).
      replaced = await link(path, backup).then(
        () => true,
        () => false,
      );
      try {
        await rename(tmp, path);
      } catch (err) {
        await unlink(tmp).catch(ignore);
        if (replaced) await unlink(backup).catch(ignore);
        state = 'done';
        throw writeError(path, err);
      }
      state = 'committed';
    },
    async rollback() {
      if (state === 'staged') await unlink(tmp).catch(ignore);
      else if (state === 'committed') {
        if (replaced) await rename(backup, path).catch(ignore);
        else await unlink(path).catch(ignore);
      }
      state = 'done';
    },
    async finish() {
      if (replaced) await unlink(backup).catch(ignore);
      state = 'done';
    },
  };
}
