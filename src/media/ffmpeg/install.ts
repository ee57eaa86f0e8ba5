/** Finding the ffmpeg and ffprobe executables and checking their version. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FfmpegError } from '../../errors.js';
import { INSTALL_HINT, runProcess } from './process.js';

/** Oldest ffmpeg major version supported (4.x: `-vsync passthrough`, `-noautorotate`, float PCM). */
export const MIN_FFMPEG_MAJOR = 4;

export interface FfmpegInstall {
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
  /** Version string as printed by `ffmpeg -version`, e.g. "5.1.9-0+deb12u1". */
  readonly version: string;
  /** Major version, or undefined for builds from git that print no release number. */
  readonly major: number | undefined;
}

const installs = new Map<string, Promise<FfmpegInstall>>();

/**
 * Locate ffmpeg and ffprobe (FFMPEG_PATH / FFPROBE_PATH, else next to FFMPEG_PATH, else PATH) and
 * check the version. Cached per configuration.
 *
 * @throws FfmpegError `ERR_FFMPEG_MISSING` when missing or older than {@link MIN_FFMPEG_MAJOR}.
 * @example
 * ```ts
 * const { ffmpegPath, version } = await findFfmpeg();
 * ```
 */
export function findFfmpeg(): Promise<FfmpegInstall> {
  const ffmpegPath = process.env.FFMPEG_PATH || 'ffmpeg';
  let ffprobePath = process.env.FFPROBE_PATH || 'ffprobe';
  if (!process.env.FFPROBE_PATH && process.env.FFMPEG_PATH) {
    const sibling = join(
      dirname(process.env.FFMPEG_PATH),
      process.platform === 'win32' ? 'ffprobe.exe' : 'ffprobe',
    );
    if (existsSync(sibling)) ffprobePath = sibling;
  }
  const cacheKey = `${ffmpegPath}\0${ffprobePath}`;
  let found = installs.get(cacheKey);
  if (!found) {
    found = checkInstall(ffmpegPath, ffprobePath);
    installs.set(cacheKey, found);
    found.catch(() => installs.delete(cacheKey));
  }
  return found;
}

async function checkInstall(ffmpegPath: string, ffprobePath: string): Promise<FfmpegInstall> {
  const versionOf = async (exe: string, name: string): Promise<string> => {
    let out: Uint8Array;
    try {
      out = (await runProcess(exe, ['-hide_banner', '-version'], { missingName: name })).stdout;
    } catch (err) {
      if (err instanceof FfmpegError && err.code === 'ERR_FFMPEG_MISSING') throw err;
      throw new FfmpegError('ERR_FFMPEG_MISSING', `${name} at ${exe} does not run`, {
        hint: INSTALL_HINT,
        details: { path: exe },
        cause: err,
      });
    }
    const line = Buffer.from(out).toString('utf8').split('\n')[0] ?? '';
    const m = /version\s+(\S+)/.exec(line);
    if (!m) {
      throw new FfmpegError('ERR_FFMPEG_MISSING', `${exe} does not look like ${name}: ${line}`, {
        hint: INSTALL_HINT,
        details: { path: exe },
      });
    }
    return m[1]!;
  };
  const version = await versionOf(ffmpegPath, 'ffmpeg');
  await versionOf(ffprobePath, 'ffprobe');
  // Release builds print "5.1.9-…" or "n6.0"; git snapshots print "N-12345-g…" (newest: accept).
  const rel = /^n?(\d+)\.(\d+)/.exec(version);
  const major = rel ? Number(rel[1]) : undefined;
  if (major !== undefined && major < MIN_FFMPEG_MAJOR) {
    throw new FfmpegError(
      'ERR_FFMPEG_MISSING',
      `ffmpeg ${version} is too old; provmark needs ffmpeg ${MIN_FFMPEG_MAJOR} or newer`,
      { hint: INSTALL_HINT, details: { path: ffmpegPath, version } },
    );
  }
  return { ffmpegPath, ffprobePath, version, major };
}
