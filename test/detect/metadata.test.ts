import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { detect } from '../../src/detect/index.js';
import { photoLikeJpeg, photoLikePng, tEXt, withJpegApp1, withPngChunk, xmpPacket } from './make.js';

const decisive = (r: Awaited<ReturnType<typeof detect>>) =>
  r.evidence.filter((e) => e.strength === 'decisive' && e.indicates === 'synthetic');

describe('metadata and known-mark evidence', () => {
  it('reads SD WebUI "parameters" from a PNG tEXt chunk and decides likely-synthetic', async () => {
    const params =
      'a castle on a hill\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 320x320';
    const png = withPngChunk(await photoLikePng(), 'tEXt', tEXt('parameters', params));
    const r = await detect(png, { useModel: false });
    expect(r.label).toBe('likely-synthetic');
    expect(decisive(r).map((e) => e.source)).toEqual(['PNG tEXt "parameters"']);
    expect(decisive(r)[0]!.value).toContain('Steps: 20');
    expect(r.explanation).toContain('PNG tEXt "parameters"');
  });

  it('reads a ComfyUI "prompt" graph from a PNG tEXt chunk', async () => {
    const graph = JSON.stringify({ '3': { class_type: 'KSampler', inputs: { seed: 1 } } });
    const png = withPngChunk(await photoLikePng(), 'tEXt', tEXt('prompt', graph));
    const r = await detect(png, { useModel: false });
    expect(r.label).toBe('likely-synthetic');
    expect(decisive(r)[0]).toMatchObject({ source: 'PNG tEXt "prompt"', detail: 'ComfyUI prompt graph.' });
  });

  it('does not treat an arbitrary "prompt" text or a plain "parameters" note as decisive', async () => {
    let png = withPngChunk(await photoLikePng(), 'tEXt', tEXt('prompt', 'hello'));
    png = withPngChunk(png, 'tEXt', tEXt('parameters', 'exposure +1'));
    const r = await detect(png, { useModel: false });
    expect(decisive(r)).toEqual([]);
    expect(r).toMatchObject({ label: 'inconclusive', reason: 'model-disabled', score: null });
  });

  it('reads XMP Iptc4xmpExt:DigitalSourceType trainedAlgorithmicMedia from a JPEG APP1 packet', async () => {
    const xmp = xmpPacket(
      '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" ' +
        'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>',
    );
    const jpeg = withJpegApp1(
      await photoLikeJpeg(),
      Buffer.concat([Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1'), Buffer.from(xmp, 'utf8')]),
    );
    const r = await detect(jpeg, { useModel: false });
    expect(r.label).toBe('likely-synthetic');
    expect(decisive(r)[0]).toMatchObject({
      kind: 'metadata',
      source: 'XMP Iptc4xmpExt:DigitalSourceType [JPEG APP1 XMP]',
      value: 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia',
    });
  });

  it('reads DigitalSourceType written as an element, with another prefix, in WebP (written by sharp)', async () => {
    const xmp = xmpPacket(
      '<rdf:Description rdf:about="" xmlns:ext="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">' +
        '<ext:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia</ext:DigitalSourceType>' +
        '</rdf:Description>',
    );
    const webp = await sharp(await photoLikePng())
      .webp({ quality: 95 })
      .withXmp(xmp)
      .toBuffer();
    const r = await detect(new Uint8Array(webp), { useModel: false });
    expect(r.label).toBe('likely-synthetic');
    expect(decisive(r)[0]!.source).toBe('XMP ext:DigitalSourceType [WebP XMP]');
    expect(decisive(r)[0]!.detail).toMatch(/partly synthetic/);
  });

  it('reads EXIF Software "Midjourney" (written by sharp) and names the tag', async () => {
    const jpeg = await sharp(await photoLikePng())
      .jpeg({ quality: 92 })
      .withExif({ IFD0: { Software: 'Midjourney', Make: 'Canon' } })
      .toBuffer();
    const r = await detect(new Uint8Array(jpeg), { useModel: false });
    expect(r.label).toBe('likely-synthetic');
    expect(decisive(r).map((e) => e.source)).toEqual(['EXIF IFD0 Software (0x0131) [JPEG APP1 Exif]']);
    // A camera make is reported but never counts as evidence of a capture.
    const make = r.evidence.find((e) => e.source.startsWith('EXIF IFD0 Make'));
    expect(make).toMatchObject({ value: 'Canon', indicates: 'capture-claim', strength: 'informational' });
  });

  it('reads XMP CreatorTool naming a generator', async () => {
    const xmp = xmpPacket(
      '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Adobe Firefly"/>',
    );
    const png = withPngChunk(
      await photoLikePng(),
      'iTXt',
      Buffer.concat([Buffer.from('XML:com.adobe.xmp\0\0\0\0\0', 'latin1'), Buffer.from(xmp, 'utf8')]),
    );
    const r = await detect(png, { useModel: false });
    expect(decisive(r)[0]).toMatchObject({
      source: 'XMP xmp:CreatorTool [PNG iTXt "XML:com.adobe.xmp"]',
      value: 'Adobe Firefly',
    });
  });

  it('an image with a camera claim and no generator hint is not decided by metadata', async () => {
    const jpeg = await sharp(await photoLikePng())
      .jpeg({ quality: 92 })
      .withExif({ IFD0: { Software: 'GIMP 2.10', Make: 'Nikon', Model: 'D750' } })
      .toBuffer();
    const r = await detect(new Uint8Array(jpeg), { useModel: false });
    expect(decisive(r)).toEqual([]);
    expect(r.label).toBe('inconclusive');
    expect(r.evidence.every((e) => e.strength === 'informational')).toBe(true);
  });

  it('metadata still decides when the pixels are damaged; the model is not run', async () => {
    const params = 'x\nSteps: 30, Sampler: DPM++ 2M, Seed: 7';
    const png = withPngChunk(await photoLikePng(), 'tEXt', tEXt('parameters', params), true);
    const truncated = png.subarray(0, Math.floor(png.length / 2));
    const r = await detect(truncated);
    expect(r.label).toBe('likely-synthetic');
    expect(r.score).toBeNull();
    expect(decisive(r)[0]!.source).toBe('PNG tEXt "parameters"');
  });
});
