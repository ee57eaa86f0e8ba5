/**
 * protect() and inspect() for time-based media: watermark, then sign the final container; after a
 * transcode (which drops the manifest) the watermark recovers it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspect, protect, verify } from '../../src/index.js';
import { openSqliteRepository, type SqliteRepository } from '../../src/repository/index.js';
import { devSigner } from '../helpers/credentials.js';
import { hasFfmpeg } from '../helpers/media.js';
import { makeClip } from '../helpers/video.js';
import { encodePcm, musicLike } from '../watermark/audio-signals.js';

const run = promisify(execFile);
const ffmpeg = await hasFfmpeg();
let dir: string;
let repo: SqliteRepository;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'provmark-av-'));
  repo = await openSqliteRepository({ path: join(dir, 'repo.db') });
});
afterAll(async () => {
  await repo?.close();
});

async function transcode(input: Uint8Array, name: string, args: readonly string[]): Promise<Uint8Array> {
  const src = join(dir, `${name}.in`);
  const out = join(dir, name);
  await writeFile(src, input);
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', src, ...args, out]);
  return new Uint8Array(await readFile(out));
}

describe.skipIf(!ffmpeg)('protect -> transcode -> inspect for video and audio', () => {
  it('MP4 with audio: signed and verified, then recovered after an H.264 CRF 28 re-encode', async () => {
    const { creds, signer } = await devSigner();
    const trust = { anchors: [creds.caCertPem] };
    await makeClip(join(dir, 'clip.mp4'), { width: 480, height: 270, seconds: 3 });
    const p = await protect(join(dir, 'clip.mp4'), { signer, repository: repo, manifest: { title: 'clip' } });
    expect(p.format).toBe('mp4');
    expect((await verify(p.bytes, { trust })).state).toBe('trusted');
    const direct = await inspect(p.bytes, { trust, repository: repo, detector: false });
    expect(direct.verdict).toBe('verified');
    expect(direct.watermark?.payload).toBe(p.softBindingId);

    const shared = await transcode(p.bytes, 'shared.mp4', [
      '-c:v',
      'libx264',
      '-crf',
      '28',
      '-c:a',
      'aac',
      '-b:a',
      '128k',
    ]);
    expect((await verify(shared)).state).toBe('absent');
    const r = await inspect(shared, { trust, repository: repo, detector: false });
    expect(r.verdict).toBe('recovered');
    expect(r.manifestId).toBe(p.manifestId);
    expect(r.recovered?.state).toBe('trusted');
  });

  it('WAV: signed, then recovered after MP3 128 kb/s', async () => {
    const { creds, signer } = await devSigner();
    const trust = { anchors: [creds.caCertPem] };
    const wav = encodePcm(musicLike(8, 48000, 5), 48000, ['-c:a', 'pcm_s16le', '-f', 'wav']);
    const p = await protect(wav, { signer, repository: repo });
    expect(p.format).toBe('wav');
    expect((await inspect(p.bytes, { trust, repository: repo, detector: false })).verdict).toBe('verified');
    const mp3 = await transcode(p.bytes, 'shared.mp3', ['-c:a', 'libmp3lame', '-b:a', '128k']);
    const r = await inspect(mp3, { trust, repository: repo, detector: false });
    expect(r.verdict).toBe('recovered');
    expect(r.softBindingId).toBe(p.softBindingId);
  });
});
