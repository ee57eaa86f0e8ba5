/**
 * Processes: src/media/ffmpeg/ is the only code in provmark that spawns the system ffmpeg/ffprobe.
 * This file runs one to completion, keeps a capped tail of its stderr and turns a failure into a
 * coded error (ERR_FFMPEG_MISSING, ERR_FFMPEG_FAILED, or ERR_CORRUPT_MEDIA when stderr says the
 * input is damaged); run.ts adds the streaming forms.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { CorruptMediaError, FfmpegError } from '../../errors.js';

export const INSTALL_HINT =
  'Install ffmpeg 4 or newer (Debian/Ubuntu: apt install ffmpeg; macOS: brew install ffmpeg; ' +
  'Windows: winget install ffmpeg) or set FFMPEG_PATH and FFPROBE_PATH to the executables.';

/** Keep at most this much of ffmpeg's stderr for error details. */
const STDERR_LIMIT = 32 * 1024;

export interface RunOptions {
  /** Bytes written to stdin. */
  readonly stdin?: Uint8Array;
  /** Program name for the "missing" message. */
  readonly missingName?: string;
}

export interface RunResult {
  readonly stdout: Uint8Array;
  readonly stderr: string;
}

export function appendCapped(acc: string, chunk: Buffer): string {
  const s = acc + chunk.toString('utf8');
  return s.length > STDERR_LIMIT ? s.slice(s.length - STDERR_LIMIT) : s;
}

export function missingError(exe: string, name: string, cause: unknown): FfmpegError {
  return new FfmpegError('ERR_FFMPEG_MISSING', `${name} not found (${exe})`, {
    hint: INSTALL_HINT,
    details: { path: exe },
    cause,
  });
}

/** Run a process to completion, collecting stdout; non-zero exit -> ERR_FFMPEG_FAILED with stderr. */
export function runProcess(exe: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(exe, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      reject(missingError(exe, opts.missingName ?? exe, err));
      return;
    }
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr = appendCapped(stderr, c)));
    child.stdin.on('error', () => undefined); // EPIPE when the process exits early: reported by 'close'
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT' || err.code === 'EACCES'
          ? missingError(exe, opts.missingName ?? exe, err)
          : new FfmpegError('ERR_FFMPEG_FAILED', `${exe} failed to start: ${err.message}`, { cause: err }),
      );
    });
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(chunks);
      if (code === 0)
        resolve({ stdout: new Uint8Array(stdout.buffer, stdout.byteOffset, stdout.byteLength), stderr });
      else
        reject(
          new FfmpegError('ERR_FFMPEG_FAILED', `${exe} exited with ${code ?? signal}: ${lastLine(stderr)}`, {
            details: { args: [...args], exitCode: code, signal, stderr },
          }),
        );
    });
    if (opts.stdin) child.stdin.end(opts.stdin);
    else child.stdin.end();
  });
}

export function lastLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim() || '(no message)';
}

const CORRUPT_PATTERNS =
  /Invalid data found|moov atom not found|partial file|Truncat|corrupt|error while decoding|EBML header parsing failed|could not find codec parameters|Invalid NAL|non-existing PPS|no frame!|End of file/i;

export function decodeFailure(args: readonly string[], code: number | null, stderr: string): Error {
  if (CORRUPT_PATTERNS.test(stderr)) {
    return new CorruptMediaError(`The media cannot be decoded: ${lastLine(stderr)}`, {
      details: { args: [...args], exitCode: code, stderr },
    });
  }
  return new FfmpegError('ERR_FFMPEG_FAILED', `ffmpeg exited with ${code}: ${lastLine(stderr)}`, {
    details: { args: [...args], exitCode: code, stderr },
  });
}
