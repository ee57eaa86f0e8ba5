/** Generated test clips (ffmpeg lavfi sources with texture, motion, grain and an audio track). */
import { runFfmpeg } from '../../src/media/ffmpeg/run.js';

export interface ClipOptions {
  readonly width?: number;
  readonly height?: number;
  readonly seconds?: number;
  readonly fps?: number;
  /** Number of audio tracks (0, 1, 2). Default 1. */
  readonly audioTracks?: number;
  /** Variable frame rate: frames are spaced irregularly (a pause every 10 frames). */
  readonly vfr?: boolean;
  /** Which content (0, 1, 2...). */
  readonly variant?: number;
  /** Extra output arguments (colour tags, etc.). */
  readonly extra?: readonly string[];
}

const SOURCES = ['testsrc2', 'mandelbrot', 'cellauto=rule=110'];

/** Write an H.264 MP4 clip to `out`. */
export async function makeClip(out: string, o: ClipOptions = {}): Promise<void> {
  const w = o.width ?? 320;
  const h = o.height ?? 180;
  const fps = o.fps ?? 30;
  const secs = o.seconds ?? 2;
  const v = o.variant ?? 0;
  const src = (i: number): string => {
    const s = SOURCES[(v + i) % SOURCES.length]!;
    return `${s}${s.includes('=') ? ':' : '='}s=${w}x${h}:r=${fps}`;
  };
  const audio = o.audioTracks ?? 1;
  const inputs = ['-f', 'lavfi', '-i', src(0), '-f', 'lavfi', '-i', src(1)];
  for (let a = 0; a < audio; a++)
    inputs.push('-f', 'lavfi', '-i', `sine=f=${330 + 110 * a}:sample_rate=48000`);
  const timing = o.vfr ? `,setpts='(N/${fps}+0.1*floor(N/10))/TB'` : '';
  const graph = `[1:v]scroll=h=0.003[m];[0:v][m]blend=all_mode=average,noise=alls=6:allf=t,format=yuv420p${timing}[v]`;
  const maps = ['-map', '[v]'];
  for (let a = 0; a < audio; a++) maps.push('-map', `${2 + a}:a`);
  await runFfmpeg([
    ...inputs,
    '-filter_complex',
    graph,
    ...maps,
    '-t',
    String(secs),
    ...(o.vfr ? ['-vsync', 'vfr'] : []),
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '16'],
    ...(audio > 0 ? ['-c:a', 'aac', '-b:a', '96k'] : []),
    ...(o.extra ?? []),
    '-y',
    out,
  ]);
}
