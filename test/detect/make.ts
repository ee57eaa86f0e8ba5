/** Test inputs for the detector, generated in code (never copied from ../shared/fixtures). */
import sharp from 'sharp';
import { crc32 } from 'node:zlib';

/** A deterministic photo-like RGB image: smooth gradients plus pseudo-random sensor-like noise. */
export function photoLikePixels(width: number, height: number, seed = 1): Buffer {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = [
        90 + 80 * Math.sin(x / 37 + y / 53),
        110 + 60 * Math.cos(y / 29 - x / 71),
        100 + 70 * Math.sin((x + y) / 45),
      ];
      for (let c = 0; c < 3; c++) {
        px[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(base[c]! + (rnd() - 0.5) * 24)));
      }
    }
  }
  return px;
}

export async function photoLikePng(width = 320, height = 320, seed = 1): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp(photoLikePixels(width, height, seed), { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

export async function photoLikeJpeg(width = 320, height = 320, quality = 92, seed = 1): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp(photoLikePixels(width, height, seed), { raw: { width, height, channels: 3 } })
      .jpeg({ quality })
      .toBuffer(),
  );
}

/**
 * Insert a PNG chunk just before IEND, or right after IHDR with `early` (ISO/IEC 15948 5.3: length, type, data,
 * CRC over type + data).
 */
export function withPngChunk(png: Uint8Array, type: string, data: Uint8Array, early = false): Uint8Array {
  const iend = early ? 8 + 25 : png.length - 12;
  const typeBytes = Buffer.from(type, 'latin1');
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  typeBytes.copy(chunk, 4);
  Buffer.from(data).copy(chunk, 8);
  chunk.writeUInt32BE(crc32(Buffer.concat([typeBytes, Buffer.from(data)])), 8 + data.length);
  return Buffer.concat([png.subarray(0, iend), chunk, png.subarray(iend)]);
}

export function tEXt(keyword: string, text: string): Uint8Array {
  return Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]);
}

/** Insert an APP1 segment right after SOI. */
export function withJpegApp1(jpeg: Uint8Array, payload: Uint8Array): Uint8Array {
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), head, payload, jpeg.subarray(2)]);
}

export function xmpPacket(body: string): string {
  return (
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>' +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    body +
    '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
  );
}
