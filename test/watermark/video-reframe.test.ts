/**
 * The video mark (layout 2) under reframing, from 2-second excerpts of small clips: a centred 9:16
 * crop, letterboxing, a half-size picture-in-picture and an off-centre 20 % crop; nothing on the
 * unmarked clip under the same edits; files marked with layout 1 are still read.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFfmpeg } from '../../src/media/ffmpeg/run.js';
import { detectVideoWatermark, embedVideoWatermark } from '../../src/watermark/video.js';
import { makeClip } from '../helpers/video.js';

const PAYLOAD = '0ddc0ffee15bad00';
let dir: string;
const p = (name: string): string => join(dir, name);
const ENC = ['-c:v', 'libx264', '-preset', 'veryfast'];

/** Edits applied to a 2-second excerpt starting at 0.5 s (`pip`: laid over the background clip). */
const EDITS: Record<string, { vf?: string; pip?: string; crf: number }> = {
  'centred 9:16 crop, CRF 26': { vf: 'crop=trunc(ih*9/32)*2:ih,scale=360:640', crf: 26 },
  'letterbox into 9:16': { vf: 'scale=270:-2,pad=270:480:(ow-iw)/2:(oh-ih)/2', crf: 23 },
  'picture-in-picture at half size': {
    pip: '[1:v]scale=240:136[s];[0:v][s]overlay=W-w-8:H-h-8',
    crf: 23,
  },
  '20 % crop, off-centre': { vf: 'crop=384:216:72:16', crf: 23 },
};

async function edit(input: string, name: string, out: string): Promise<string> {
  const e = EDITS[name]!;
  const enc = [...ENC, '-crf', String(e.crf), '-t', '2', '-an', '-y', p(out)];
  if (e.pip) {
    await runFfmpeg(['-i', p('background.mp4'), '-ss', '0.5', '-i', input, '-filter_complex', e.pip, ...enc]);
  } else {
    await runFfmpeg(['-ss', '0.5', '-i', input, '-vf', e.vf!, ...enc]);
  }
  return p(out);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'provmark-video-reframe-test-'));
  await makeClip(p('src.mp4'), { width: 480, height: 270, seconds: 3 });
  await makeClip(p('background.mp4'), { width: 480, height: 270, seconds: 3, variant: 1, audioTracks: 0 });
  writeFileSync(
    p('marked.mp4'),
    await embedVideoWatermark(p('src.mp4'), { payload: PAYLOAD, encoder: { preset: 'veryfast' } }),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('video watermark under reframing (layout 2)', () => {
  for (const name of Object.keys(EDITS)) {
    it(`reads the payload after: ${name}; nothing from the unmarked clip`, async () => {
      const r = await detectVideoWatermark(await edit(p('marked.mp4'), name, 'marked-edit.mp4'));
      expect({ found: r.found, payload: r.payload, version: r.version }).toEqual({
        found: true,
        payload: PAYLOAD,
        version: 2,
      });
      const u = await detectVideoWatermark(await edit(p('src.mp4'), name, 'plain-edit.mp4'));
      expect(u.found).toBe(false);
      expect(u.payload).toBeUndefined();
    });
  }

  it('still reads a layout-1 mark (old files) and says so', async () => {
    writeFileSync(
      p('v1.mp4'),
      await embedVideoWatermark(p('src.mp4'), {
        payload: PAYLOAD,
        version: 1,
        encoder: { preset: 'veryfast' },
      }),
    );
    const r = await detectVideoWatermark(p('v1.mp4'));
    expect({ found: r.found, payload: r.payload, version: r.version }).toEqual({
      found: true,
      payload: PAYLOAD,
      version: 1,
    });
    await expect(
      embedVideoWatermark(p('src.mp4'), { payload: PAYLOAD, version: 3 as 2 }),
    ).rejects.toBeInstanceOf(RangeError);
  });
});
