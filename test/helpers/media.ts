/** Test media made on the spot: sharp for images, the system ffmpeg for audio/video. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

const run = promisify(execFile);

/** A textured RGB test image (noise over a gradient), encoded as `format`. */
export async function makeImage(
  format: 'jpeg' | 'png' | 'webp' | 'avif' | 'gif' | 'tiff',
  width = 320,
  height = 240,
  seed = 12345,
): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const n = (seed >> 16) % 40;
      const i = (y * width + x) * 3;
      raw[i] = (x * 255) / width + n;
      raw[i + 1] = (y * 255) / height + n;
      raw[i + 2] = 128 + n;
    }
  }
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  const buf = await img[format]().toBuffer();
  return new Uint8Array(buf);
}

export const SVG = new TextEncoder().encode(
  '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="#369"/></svg>\n',
);

export async function hasFfmpeg(): Promise<boolean> {
  try {
    await run('ffmpeg', ['-version']);
    return true;
  } catch {
    return false;
  }
}

const AV_ARGS: Record<'mp4' | 'mov' | 'm4a' | 'wav' | 'mp3', string[]> = {
  mp4: [
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=160x120:rate=10:duration=1',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:duration=1',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
  ],
  mov: [
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=160x120:rate=10:duration=1',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
  ],
  m4a: ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac'],
  wav: ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1'],
  mp3: ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'libmp3lame'],
};

/** A one-second clip made by ffmpeg from lavfi sources. */
export async function makeAv(format: keyof typeof AV_ARGS): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), 'provmark-av-'));
  try {
    const out = join(dir, `clip.${format}`);
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...AV_ARGS[format], out]);
    return new Uint8Array(await readFile(out));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
