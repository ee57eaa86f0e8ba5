import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProvmarkError } from '../../src/errors.js';
import { sign } from '../../src/sign/index.js';
import { verify } from '../../src/verify/index.js';
import { devSigner } from '../helpers/credentials.js';
import { jpegSegments } from '../helpers/jpeg.js';
import { makeImage } from '../helpers/media.js';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof ProvmarkError ? e.code : `not coded: ${String(e)}`),
  );
}

/** A PNG header that claims `w`×`h` pixels, followed by a tiny IDAT: a decompression bomb's shape. */
function pngBombHeader(w: number, h: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])));
    return Buffer.concat([len, Buffer.from(type), data, crc]);
  };
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(Buffer.alloc(64))),
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

describe('verify never throws on bad content', () => {
  it.each([
    ['zero bytes', new Uint8Array(0), 'ERR_CORRUPT_MEDIA'],
    ['random bytes', new Uint8Array(256).map((_, i) => (i * 37) % 251), 'ERR_UNSUPPORTED_FORMAT'],
    // PDF is read since the engine reads it (issue 16); a header with no body is a corrupt PDF.
    ['a truncated PDF', new TextEncoder().encode('%PDF-1.7\n1 0 obj\n'), 'ERR_CORRUPT_MEDIA'],
    [
      'a plain ZIP (neither OOXML, ODF nor EPUB)',
      new Uint8Array([
        0x50,
        0x4b,
        3,
        4,
        ...new Array<number>(22).fill(0),
        5,
        0,
        0,
        0,
        ...new TextEncoder().encode('a.txt'),
      ]),
      'ERR_UNSUPPORTED_FORMAT',
    ],
    [
      'a BMP (a format the engine does not read)',
      new TextEncoder().encode('BM6\0\0\0\0\0\0\x006\0\0\0'),
      'ERR_UNSUPPORTED_FORMAT',
    ],
  ])('%s -> absent with a coded error', async (_name, bytes, code) => {
    const r = await verify(bytes);
    expect(r.state).toBe('absent');
    expect(r.state === 'absent' && r.error?.code).toBe(code);
  });

  it('a truncated signed JPEG is reported invalid, not thrown', async () => {
    const { signer } = await devSigner();
    const out = await sign(await makeImage('jpeg'), { signer });
    const { scanStart } = jpegSegments(out.bytes);
    const r = await verify(out.bytes.subarray(0, scanStart + 100));
    expect(r.state).toBe('invalid');
    expect(r.statuses.some((s) => s.kind === 'failure' && s.code.startsWith('assertion.dataHash'))).toBe(
      true,
    );
  });

  it('a signed file cut anywhere never throws (property)', async () => {
    const { signer } = await devSigner();
    const out = await sign(await makeImage('png'), { signer });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: out.bytes.length - 1 }), async (cut) => {
        const r = await verify(out.bytes.subarray(0, cut));
        expect(['absent', 'invalid']).toContain(r.state);
      }),
      { numRuns: 25 },
    );
  });

  it('a JPEG with a .png name is read by its content', async () => {
    const { creds, signer } = await devSigner();
    const dir = await mkdtemp(join(tmpdir(), 'provmark-ext-'));
    const path = join(dir, 'photo.png');
    await writeFile(path, (await sign(await makeImage('jpeg'), { signer })).bytes);
    const r = await verify(path, { trust: { anchors: [creds.caCertPem] } });
    expect(r.state).toBe('trusted');
    expect(r.format).toBe('jpeg');
  });

  it('a missing path is a coded error (not content)', async () => {
    expect(await codeOf(verify('/nonexistent/file.jpg'))).toBe('ERR_FILE_NOT_FOUND');
  });
});

describe('sign refuses bad input with coded errors and writes nothing', () => {
  it('pixel bombs are refused from the header, before decoding', async () => {
    const { signer } = await devSigner();
    const t0 = performance.now();
    expect(await codeOf(sign(pngBombHeader(60_000, 60_000), { signer }))).toBe('ERR_MEDIA_TOO_LARGE');
    expect(await codeOf(sign(await makeImage('png', 200, 200), { signer, maxPixels: 10_000 }))).toBe(
      'ERR_MEDIA_TOO_LARGE',
    );
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it.each([
    ['zero bytes', new Uint8Array(0), 'ERR_CORRUPT_MEDIA'],
    ['random bytes', new Uint8Array(64).fill(0x42), 'ERR_UNSUPPORTED_FORMAT'],
  ])('%s', async (_n, bytes, code) => {
    const { signer } = await devSigner();
    expect(await codeOf(sign(bytes, { signer }))).toBe(code);
  });

  it('a truncated JPEG is refused as corrupt', async () => {
    const { signer } = await devSigner();
    const jpeg = await makeImage('jpeg');
    expect(await codeOf(sign(jpeg.subarray(0, jpeg.length / 2), { signer }))).toBe('ERR_CORRUPT_MEDIA');
  });

  it('the CLI leaves no partial output on failure', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'provmark-atomic-'));
    const { writeFileAtomic } = await import('../../src/media/io.js');
    await writeFileAtomic(join(dir, 'ok.bin'), new Uint8Array([1, 2, 3]));
    expect(await codeOf(writeFileAtomic(join(dir, 'missing-dir', 'x.bin'), new Uint8Array([1])))).toBe(
      'ERR_FILE_IO',
    );
    expect((await readdir(dir)).sort()).toEqual(['ok.bin']);
  });
});

describe('files over what the C2PA engine can hold are refused up front', () => {
  // Measured limits of the 32-bit WebAssembly engine (src/c2pa/engine.ts): past them it aborts the
  // process or reports a false `invalid`. A sparse file has the size without using the disk.
  it('sign, protect, verify and inspect refuse a 2 GiB path before reading it', async () => {
    const { open } = await import('node:fs/promises');
    const { protect } = await import('../../src/sign/index.js');
    const { inspect } = await import('../../src/verify/index.js');
    const { openRepository } = await import('../../src/repository/index.js');
    const dir = await mkdtemp(join(tmpdir(), 'provmark-big-'));
    const path = join(dir, 'huge.mp4');
    const fh = await open(path, 'w');
    await fh.truncate(2 * 1024 ** 3);
    await fh.close();
    const { signer } = await devSigner();
    const rssBefore = process.memoryUsage().rss;
    const err = await sign(path, { signer }).catch((e: unknown) => e as ProvmarkError);
    expect(err).toBeInstanceOf(ProvmarkError);
    expect((err as ProvmarkError).code).toBe('ERR_MEDIA_TOO_LARGE');
    expect((err as ProvmarkError).message).toMatch(/2 GiB.*can sign at most.*768 MiB/);
    expect((err as ProvmarkError).details).toMatchObject({
      bytes: 2 * 1024 ** 3,
      maxBytes: 768 * 1024 ** 2,
      path,
    });
    expect(await codeOf(verify(path))).toBe('ERR_MEDIA_TOO_LARGE');
    expect(await codeOf(inspect(path))).toBe('ERR_MEDIA_TOO_LARGE');
    const repository = await openRepository(join(dir, 'r.db'));
    try {
      expect(await codeOf(protect(path, { signer, repository }))).toBe('ERR_MEDIA_TOO_LARGE');
    } finally {
      await repository.close();
    }
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 ** 2); // nothing was read
  });

  it('sign refuses bytes over 768 MiB without calling the engine', async () => {
    const { signer } = await devSigner();
    const big = new Uint8Array(768 * 1024 ** 2 + 1); // zero pages: not touched, so cheap
    expect(await codeOf(sign(big, { signer }))).toBe('ERR_MEDIA_TOO_LARGE');
  });
});
