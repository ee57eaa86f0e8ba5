import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteRepository, type SqliteRepository } from '../../src/repository/sqlite.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { SOFT_BINDING_ALG, newSoftBindingId, softBindingValue } from '../../src/watermark/softbinding.js';
import { makeRecord } from '../repository/records.js';

// The default extractor is the image watermark (src/watermark/image.ts).
const hasWatermark = existsSync(resolve(import.meta.dirname, '../../src/watermark/image.ts'));

/** A 640×480 photo-like test image: smooth gradients plus texture, as JPEG. */
async function makePhoto(): Promise<Buffer> {
  const w = 640;
  const h = 480;
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const t = Math.sin(x / 23) * Math.cos(y / 31) * 40;
      px[i] = 110 + t + (x % 7) * 3;
      px[i + 1] = 90 + (y * 120) / h + t / 2;
      px[i + 2] = 140 - (x * 60) / w + ((x * y) % 11);
    }
  }
  return sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 92 })
    .toBuffer();
}

describe.skipIf(!hasWatermark)('POST /matches/byContent with the default watermark extractor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'provmark-extract-'));
  let repo: SqliteRepository;
  let server: RunningServer;
  beforeAll(async () => {
    repo = await openSqliteRepository({ path: join(dir, 'r.db') });
    server = await startServer({ repository: repo, port: 0, logLevel: 'silent', rateLimit: false });
  });
  afterAll(async () => {
    await server.close();
    await repo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const upload = (bytes: Uint8Array, type: string) =>
    fetch(`${server.url}/matches/byContent`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: new Uint8Array(bytes),
    });

  it('finds the manifest of a watermarked JPEG and nothing for the unmarked original', async () => {
    const { embedImageWatermark } = await import('../../src/watermark/image.js');
    const photo = await makePhoto();
    const id = newSoftBindingId();
    const marked = await embedImageWatermark(photo, { payload: id });
    const rec = makeRecord({ bindings: [{ alg: SOFT_BINDING_ALG, value: softBindingValue(id) }] });
    await repo.put(rec);
    const hit = await upload(marked, 'image/jpeg');
    expect(hit.status).toBe(200);
    expect(await hit.json()).toEqual({ matches: [{ manifestId: rec.manifestId }] });
    const miss = await upload(photo, 'image/jpeg');
    expect(await miss.json()).toEqual({ matches: [] });
  });

  it('answers 415 for bytes that are not a decodable image, whatever the declared type', async () => {
    const res = await upload(new Uint8Array(Buffer.from('definitely not an image')), 'image/png');
    expect(res.status).toBe(415);
    expect(((await res.json()) as { code: string }).code).toBe('ERR_UNSUPPORTED_FORMAT');
  });
});
