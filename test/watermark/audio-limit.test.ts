import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ProvmarkError } from '../../src/errors.js';
import {
  detectAudioWatermark,
  detectAudioWatermarkPcm,
  embedAudioWatermark,
  embedAudioWatermarkPcm,
  AUDIO_MIN_SECONDS,
} from '../../src/watermark/audio.js';
import { encodePcm, musicLike } from './audio-signals.js';

const ID = '0123456789abcdef';
const RATE = 48000;
// The shortest audio the mark can be read from is one 2.048 s block plus one 64 ms cell column
// (2.112 s); embedding used to accept anything from 2.048 s, so 2.05 s files were marked but unreadable.
const BELOW = 2.05;
const ABOVE = 2.13;

const pcmOf = (seconds: number) => ({ sampleRate: RATE, channels: musicLike(seconds, RATE, 7) });
const wavOf = (seconds: number) =>
  encodePcm(musicLike(seconds, RATE, 7), RATE, ['-c:a', 'pcm_s16le', '-f', 'wav']);

function thrown(fn: () => unknown): ProvmarkError {
  try {
    fn();
  } catch (err) {
    return err as ProvmarkError;
  }
  throw new Error('expected a throw');
}

describe('audio watermark length limit: one limit for embed and detect', () => {
  it('PCM just above the limit round-trips', () => {
    const { pcm } = embedAudioWatermarkPcm(pcmOf(ABOVE), { payload: ID });
    const r = detectAudioWatermarkPcm(pcm);
    expect(r.reason).toBeUndefined();
    expect(r).toMatchObject({ found: true, payload: ID });
  });

  it('PCM below the limit is refused by embed and detect with the same ERR_MEDIA_TOO_SMALL', () => {
    const err = thrown(() => embedAudioWatermarkPcm(pcmOf(BELOW), { payload: ID }));
    expect(err).toBeInstanceOf(ProvmarkError);
    expect(err.code).toBe('ERR_MEDIA_TOO_SMALL');
    expect(err.message).toMatch(/2\.05 s.*2\.112 s/);
    const r = detectAudioWatermarkPcm(pcmOf(BELOW));
    expect(r.found).toBe(false);
    // Detection reports content problems as data: the same code and message, as the reason.
    expect(r.reason).toBe(`${err.code}: ${err.message}`);
  });

  it('accepts for detection whatever length embed accepts, at any sample rate', () => {
    for (const rate of [8000 * 1.5, 16000, 22050, 44100, 48000, 96000]) {
      const n = Math.ceil(AUDIO_MIN_SECONDS * rate);
      const channels = [musicLike(n / rate + 0.01, rate, 3, 1)[0]!.subarray(0, n)];
      const { pcm } = embedAudioWatermarkPcm({ sampleRate: rate, channels }, { payload: ID });
      const r = detectAudioWatermarkPcm(pcm);
      expect(r.reason ?? '', `${rate} Hz`).not.toMatch(/ERR_MEDIA_TOO_SMALL/);
      expect(() =>
        embedAudioWatermarkPcm(
          { sampleRate: rate, channels: [channels[0]!.subarray(0, n - 1)] },
          { payload: ID },
        ),
      ).toThrow(/2\.112 s/);
    }
  });

  it.skipIf(spawnSync('ffmpeg', ['-version']).status !== 0)(
    'a WAV file just above the limit round-trips; one below is refused by both',
    async () => {
      const marked = await embedAudioWatermark(wavOf(ABOVE), { payload: ID });
      expect(await detectAudioWatermark(marked)).toMatchObject({ found: true, payload: ID });
      const err = await embedAudioWatermark(wavOf(BELOW), { payload: ID }).then(
        () => undefined,
        (e: unknown) => e as ProvmarkError,
      );
      expect(err?.code).toBe('ERR_MEDIA_TOO_SMALL');
      const r = await detectAudioWatermark(wavOf(BELOW));
      expect(r.found).toBe(false);
      expect(r.reason).toBe(`${err!.code}: ${err!.message}`);
    },
  );
});
