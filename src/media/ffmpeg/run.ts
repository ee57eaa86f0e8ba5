/**
 * Running ffmpeg: to completion ({@link runFfmpeg}, {@link runFfprobe}), as a sink fed over stdin
 * ({@link spawnFfmpegSink}), or as a source of fixed-size records read from stdout
 * ({@link readRecords}).
 *
 * Frames and samples travel over pipes (never temporary frame files): readers are async
 * iterators that read ffmpeg's stdout only as fast as the caller consumes it (the pipe fills and
 * ffmpeg blocks — natural backpressure); sinks await `drain` before writing more.
 */
import { spawn } from 'node:child_process';
import { FfmpegError } from '../../errors.js';
import { findFfmpeg } from './install.js';
import { appendCapped, decodeFailure, lastLine, missingError, runProcess } from './process.js';

/**
 * Run ffmpeg with `args` (after `-hide_banner -nostdin`-style defaults) and collect stdout.
 * For tests, benchmarks and simple remuxes; use the streaming functions for frames and samples.
 *
 * @throws FfmpegError `ERR_FFMPEG_FAILED` (stderr in `details.stderr`) or `ERR_FFMPEG_MISSING`.
 * @example
 * ```ts
 * await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=d=2', '-y', 'clip.mp4']);
 * ```
 */
export async function runFfmpeg(
  args: readonly string[],
  options: { readonly stdin?: Uint8Array } = {},
): Promise<Uint8Array> {
  const { ffmpegPath } = await findFfmpeg();
  const res = await runProcess(ffmpegPath, ['-hide_banner', '-v', 'error', ...args], {
    stdin: options.stdin,
    missingName: 'ffmpeg',
  });
  return res.stdout;
}

/** Run ffprobe with `args` and collect stdout. */
export async function runFfprobe(args: readonly string[]): Promise<Uint8Array> {
  const { ffprobePath } = await findFfmpeg();
  return (await runProcess(ffprobePath, ['-hide_banner', '-v', 'error', ...args], { missingName: 'ffprobe' }))
    .stdout;
}

/**
 * A running ffmpeg with stdin open for streaming input. `write` resolves once the pipe can take
 * more (backpressure); `finish` closes stdin and waits for a clean exit.
 */
export interface FfmpegSink {
  write(chunk: Uint8Array): Promise<void>;
  finish(): Promise<void>;
  /** Kill the process (e.g. after an error elsewhere); safe to call twice. */
  abort(): void;
}

/**
 * Spawn ffmpeg reading a stream from stdin (`-i pipe:0` must be among `args`).
 *
 * @example
 * ```ts
 * const sink = await spawnFfmpegSink(['-f', 'f32le', '-ar', '48000', '-ac', '2', '-i', 'pipe:0', '-y', 'out.wav']);
 * await sink.write(pcmBytes);
 * await sink.finish();
 * ```
 */
export async function spawnFfmpegSink(args: readonly string[]): Promise<FfmpegSink> {
  const { ffmpegPath } = await findFfmpeg();
  const fullArgs = ['-hide_banner', '-v', 'error', ...args];
  const child = spawn(ffmpegPath, fullArgs, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = appendCapped(stderr, c)));
  child.stdin.on('error', () => undefined);
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? missingError(ffmpegPath, 'ffmpeg', err)
          : new FfmpegError('ERR_FFMPEG_FAILED', err.message, { cause: err }),
      ),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new FfmpegError('ERR_FFMPEG_FAILED', `ffmpeg exited with ${code ?? signal}: ${lastLine(stderr)}`, {
            details: { args: fullArgs, exitCode: code, signal, stderr },
          }),
        );
    });
  });
  exited.catch(() => undefined); // observed through write/finish
  let dead = false;
  void exited.finally(() => (dead = true)).catch(() => undefined);
  return {
    async write(chunk) {
      if (dead) {
        await exited;
        throw new FfmpegError('ERR_FFMPEG_FAILED', 'ffmpeg exited before its input ended', {
          details: { args: fullArgs, stderr },
        });
      }
      if (!child.stdin.write(chunk)) {
        await Promise.race([
          new Promise<void>((r) => child.stdin.once('drain', r)),
          exited.then(
            () => undefined,
            () => undefined,
          ),
        ]);
      }
    },
    async finish() {
      child.stdin.end();
      await exited;
    },
    abort() {
      if (!dead) child.kill('SIGKILL');
    },
  };
}

/**
 * Spawn ffmpeg writing to stdout and yield fixed-size records (a raw frame, a block of samples).
 * Reading is pull-based, so a slow consumer stalls ffmpeg instead of buffering in memory.
 * The final partial record (if any) is yielded too. On non-zero exit the iterator throws
 * ERR_FFMPEG_FAILED (or CorruptMediaError when stderr says the input is damaged).
 */
export async function* readRecords(args: readonly string[], recordBytes: number): AsyncGenerator<Uint8Array> {
  const { ffmpegPath } = await findFfmpeg();
  const fullArgs = ['-hide_banner', '-nostdin', '-v', 'error', ...args];
  const child = spawn(ffmpegPath, fullArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = appendCapped(stderr, c)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? missingError(ffmpegPath, 'ffmpeg', err) : err),
    );
    child.on('close', (code) => resolve(code));
  });
  exited.catch(() => undefined);
  let finished = false;
  try {
    let buf = new Uint8Array(recordBytes);
    let fill = 0;
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(recordBytes - fill, chunk.length - off);
        buf.set(chunk.subarray(off, off + n), fill);
        fill += n;
        off += n;
        if (fill === recordBytes) {
          yield buf;
          buf = new Uint8Array(recordBytes);
          fill = 0;
        }
      }
    }
    const code = await exited;
    finished = true;
    if (code !== 0) throw decodeFailure(fullArgs, code, stderr);
    if (fill > 0) yield buf.subarray(0, fill);
  } finally {
    if (!finished) {
      child.kill('SIGKILL');
      await exited.catch(() => undefined);
    }
  }
}
