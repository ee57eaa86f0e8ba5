/**
 * audio.2 through a telephone line (issue 13): a marked voice sent through a 300–3400 Hz band-pass,
 * 8 kHz, G.711 µ-law is read back from the file and from 8 kHz PCM; audio.1 marks still read
 * through the kept v1 detector; a telephone copy of an unmarked voice gives nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  detectAudioWatermark,
  detectAudioWatermarkPcm,
  embedAudioWatermarkPcm,
} from '../../src/watermark/audio.js';
import {
  AUDIO_SCHEME_V1,
  AUDIO_SCHEME_V2,
  detectAudioMark,
  embedAudioMark,
  toWorkingMono,
} from '../../src/watermark/core/audio.js';
import { deriveWatermarkSeed } from '../../src/watermark/image.js';
import { encodePcm, ffmpegPipe, hasEspeak, speech, transcode } from './audio-signals.js';

const ID = '5a17c0de0badf00d';
const PHONE = ['-af', 'highpass=f=300,lowpass=f=3400', '-ar', '8000', '-ac', '1', '-c:a', 'pcm_mulaw'];

describe.skipIf(!hasEspeak())('audio watermark through a telephone line', () => {
  const voice = speech(
    'Hello, this is your bank calling about a payment. Please confirm the transfer before noon, ' +
      'otherwise the account will be frozen until Monday morning at the latest.',
  )!;
  const wavOf = (channels: Float32Array[]): Uint8Array =>
    encodePcm(channels, voice.sampleRate, ['-c:a', 'pcm_f32le', '-f', 'wav']);

  it('reads an audio.2 mark from a G.711 µ-law 8 kHz copy, as a file and as 8 kHz PCM', async () => {
    const { pcm, snrDb } = embedAudioWatermarkPcm(voice, { payload: ID });
    expect(snrDb).toBeGreaterThanOrEqual(30);
    const phone = transcode(wavOf(pcm.channels as Float32Array[]), PHONE, 'wav');
    const r = await detectAudioWatermark(phone);
    expect(r).toMatchObject({ found: true, payload: ID, version: 2 });
    const pcm8k = ffmpegPipe(phone, [], ['-ac', '1', '-ar', '8000']);
    const p = detectAudioWatermarkPcm({ sampleRate: 8000, channels: [pcm8k] });
    expect(p).toMatchObject({ found: true, payload: ID, version: 2 });
  }, 60_000);

  it('finds nothing in a telephone copy of the unmarked voice', async () => {
    const r = await detectAudioWatermark(transcode(wavOf(voice.channels), PHONE, 'wav'));
    expect(r.found).toBe(false);
    expect(r.reason).toBeTruthy();
  }, 60_000);

  it('still reads audio.1 marks (the v1 detector is kept); the audio.2 detector alone does not', () => {
    const seed = deriveWatermarkSeed(undefined);
    const payload = Uint8Array.from(Buffer.from(ID, 'hex'));
    const v1 = embedAudioMark(voice.channels, voice.sampleRate, {
      seed,
      payload,
      strength: 1,
      scheme: AUDIO_SCHEME_V1,
    });
    const r = detectAudioWatermarkPcm({ sampleRate: voice.sampleRate, channels: v1.channels });
    expect(r).toMatchObject({ found: true, payload: ID, version: 1 });
    const mono16 = toWorkingMono(v1.channels, voice.sampleRate);
    expect(detectAudioMark(mono16, { seed, scheme: AUDIO_SCHEME_V2 }).found).toBe(false);
  }, 60_000);
});
