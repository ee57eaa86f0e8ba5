/**
 * Differential: for every file this suite signs or mutates, provmark's state equals the bare
 * engine's `validation_state` under the same trust settings. The engine is called directly through
 * src/c2pa/ (no provmark verdict logic in between). Mutations: a byte flipped at spread positions
 * across the whole file, and inside the manifest store; property test (fast-check): any single-byte
 * change inside a store holding two manifests (active and ingredient) is never `valid`/`trusted`
 * in provmark unless the engine says so.
 *
 * Which bytes of a store are not signed (so a change there rightly stays valid): measured once by
 * flipping each of the 10,317 bytes of a JPEG child's APP11 store (a signed parent as ingredient,
 * no thumbnails, engine 0.13.3). 2,074 flips still validate, all of them in
 * - the JPEG APP11 segment header (`JP`, instance, sequence number: 11 bytes);
 * - the labels in the JUMBF description boxes of the structural superboxes (`c2pa`,
 *   `c2pa.assertions`, `c2pa.claim.v2`, `c2pa.signature`; the engine finds them by type UUID);
 * - two or three high bytes of two superbox lengths (LBox), which the parser tolerates;
 * - the COSE_Sign1 unprotected header's `pad` entry (1,972 bytes: the signature box is sized
 *   before signing and padded; C2PA 2.x §13.2.3 leaves the unprotected header outside the signature).
 * Claims, assertions, the signature itself and the ingredient's manifest are all covered.
 */
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { engineContextJson } from '../../src/c2pa/context.js';
import { readManifestStore } from '../../src/c2pa/read.js';
import { sniffFormat } from '../../src/media/sniff.js';
import type { MediaFormat } from '../../src/types.js';
import { sign } from '../../src/sign/index.js';
import { resolveTrust, verify, type TrustOptions } from '../../src/verify/index.js';
import { devSigner } from '../helpers/credentials.js';
import { indexOfBytes } from '../helpers/jpeg.js';
import { hasFfmpeg, makeAv, makeImage, SVG } from '../helpers/media.js';

const ffmpeg = await hasFfmpeg();

/** The engine alone: its validation_state, lower-cased, or `unread` when it found no store. */
async function bareState(bytes: Uint8Array, trust: TrustOptions | undefined): Promise<string> {
  let mime: string;
  try {
    mime = sniffFormat(bytes).mime;
  } catch {
    return 'unread';
  }
  const read = await readManifestStore(bytes, mime, engineContextJson({ trust: await resolveTrust(trust) }));
  return read.kind === 'store' ? (read.store.validation_state ?? 'none').toLowerCase() : 'unread';
}

/** provmark and the bare engine agree; where the engine read no store, provmark never says valid. */
async function expectAgreement(bytes: Uint8Array, trust: TrustOptions | undefined, what: string) {
  const [mine, engine] = await Promise.all([verify(bytes, trust ? { trust } : {}), bareState(bytes, trust)]);
  if (engine === 'unread') expect(['absent', 'invalid', 'remote'], what).toContain(mine.state);
  else expect(mine.state, what).toBe(engine);
  return mine.state;
}

/** A byte flipped at `n` positions spread evenly over the file (first and last bytes skipped). */
function spreadFlips(bytes: Uint8Array, n: number): Array<[number, Uint8Array]> {
  return Array.from({ length: n }, (_, k) => {
    const at = Math.floor(((k + 1) * bytes.length) / (n + 1));
    const out = bytes.slice();
    out[at] = out[at]! ^ 0x10;
    return [at, out];
  });
}

const le32 = (n: number) => Buffer.from(Uint32Array.of(n).buffer);
const be32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

/** A one-page PDF (ISO 32000: header, three objects, xref table, trailer). */
function makePdf(seed: number): Uint8Array {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${100 + seed} 100] >>`,
  ];
  let text = '%PDF-1.7\n';
  const offsets = objects.map((o, i) => {
    const at = text.length;
    text += `${i + 1} 0 obj\n${o}\nendobj\n`;
    return at;
  });
  const xref = text.length;
  text += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  text += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  text += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(text);
}

/** A minimal RIFF AVI: header list (an empty avih) and one video chunk in the movi list. */
function makeAvi(seed: number): Uint8Array {
  const chunk = (id: string, data: Buffer) =>
    Buffer.concat([Buffer.from(id), le32(data.length), data, Buffer.alloc(data.length % 2)]);
  const list = (type: string, data: Buffer) => chunk('LIST', Buffer.concat([Buffer.from(type), data]));
  const body = Buffer.concat([
    Buffer.from('AVI '),
    list('hdrl', chunk('avih', Buffer.alloc(56))),
    list('movi', chunk('00dc', Buffer.alloc(64, seed))),
  ]);
  return new Uint8Array(Buffer.concat([Buffer.from('RIFF'), le32(body.length), body]));
}

/** JPEG XL in its box container (signature box, ftyp, a codestream box). */
function makeJxl(seed: number): Uint8Array {
  const box = (type: string, data: Buffer) => Buffer.concat([be32(data.length + 8), Buffer.from(type), data]);
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a]),
      box('ftyp', Buffer.concat([Buffer.from('jxl '), be32(0), Buffer.from('jxl ')])),
      box('jxlc', Buffer.from([0xff, 0x0a, seed, 0, 0, 0, 0, 0])),
    ]),
  );
}

/** A stored (uncompressed) ZIP archive (APPNOTE 6.3: local headers, central directory, end record). */
function makeZip(entries: ReadonlyArray<readonly [string, string]>): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of entries) {
    const data = Buffer.from(text);
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, end]));
}

const ZIP_DOCUMENTS = {
  docx: ['[Content_Types].xml', 'word/document.xml'],
  xlsx: ['[Content_Types].xml', 'xl/workbook.xml'],
  pptx: ['[Content_Types].xml', 'ppt/presentation.xml'],
  odt: ['mimetype:application/vnd.oasis.opendocument.text', 'content.xml'],
  ods: ['mimetype:application/vnd.oasis.opendocument.spreadsheet', 'content.xml'],
  odp: ['mimetype:application/vnd.oasis.opendocument.presentation', 'content.xml'],
  epub: ['mimetype:application/epub+zip', 'META-INF/container.xml'],
} as const;

function makeZipDocument(format: keyof typeof ZIP_DOCUMENTS, seed: number): Uint8Array {
  return makeZip(
    ZIP_DOCUMENTS[format].map((entry) => {
      const [name, text] = entry.split(/:(.*)/) as [string, string | undefined];
      return [name, text ?? `<doc seed="${seed}"/>`] as const;
    }),
  );
}

/** Every format provmark signs here (HEIC/HEIF: no encoder in this environment). */
type Format = Exclude<MediaFormat, 'c2pa' | 'heic' | 'heif'>;
const IMAGES: Format[] = ['jpeg', 'png', 'webp', 'avif', 'gif', 'tiff', 'svg'];
const AV: Format[] = ['mp4', 'mov', 'm4a', 'wav', 'mp3'];
/** Formats the engine reads that provmark verifies (and signs) but has no watermark for. */
const OTHERS: Format[] = ['pdf', 'avi', 'jxl', ...(Object.keys(ZIP_DOCUMENTS) as Format[])];

async function makeAsset(format: Format, seed: number): Promise<Uint8Array> {
  if (format === 'svg') return SVG;
  if (format === 'pdf') return makePdf(seed);
  if (format === 'avi') return makeAvi(seed);
  if (format === 'jxl') return makeJxl(seed);
  if (format in ZIP_DOCUMENTS) return makeZipDocument(format as keyof typeof ZIP_DOCUMENTS, seed);
  if ((AV as string[]).includes(format)) return makeAv(format as 'mp4');
  return makeImage(format as 'jpeg', 160, 120, seed);
}

describe('provmark state = bare engine validation_state', () => {
  const formats = [...IMAGES, ...OTHERS, ...(ffmpeg ? AV : [])];
  it.each(formats)(
    '%s: signed, with a parent, and mutated, under no anchors and under the CA',
    async (format) => {
      const { creds, signer } = await devSigner();
      const anchored: TrustOptions = { anchors: [creds.caCertPem] };
      const parent = await sign(await makeAsset(format, 1), {
        signer,
        trust: anchored,
        manifest: { title: 'parent' },
      });
      const child = await sign(await makeAsset(format, 2), {
        signer,
        parent: parent.bytes,
        trust: anchored,
        manifest: { title: 'child' },
      });
      for (const trust of [undefined, anchored]) {
        await expectAgreement(parent.bytes, trust, `${format} parent`);
        await expectAgreement(child.bytes, trust, `${format} child`);
      }
      expect(await expectAgreement(child.bytes, anchored, 'child anchored')).toBe('trusted');
      expect((await verify(child.bytes)).format).toBe(format);
      // Flips across the whole file (asset data and store alike).
      for (const [at, bytes] of spreadFlips(child.bytes, 6))
        await expectAgreement(bytes, anchored, `${format} flip @${at}`);
      // Flips inside the store: find it in the file by its first bytes.
      const storeAt = indexOfBytes(child.bytes, child.manifestStore.subarray(8, 40));
      if (storeAt > 0) {
        const store = child.bytes.subarray(
          storeAt,
          storeAt + Math.min(child.manifestStore.length - 8, child.bytes.length - storeAt),
        );
        for (const [at] of spreadFlips(store, 6)) {
          const bytes = child.bytes.slice();
          bytes[storeAt + at] = bytes[storeAt + at]! ^ 0x10;
          await expectAgreement(bytes, anchored, `${format} store flip @${storeAt + at}`);
        }
      }
    },
  );

  it('sidecar: the same signer and trust give the same state as the embedded manifest; another asset is invalid', async () => {
    const { creds, signer } = await devSigner();
    const anchored: TrustOptions = { anchors: [creds.caCertPem] };
    const asset = await makeImage('jpeg', 160, 120, 3);
    const side = await sign(asset, { signer, sidecar: true, trust: anchored });
    const embedded = await sign(asset, { signer, trust: anchored });
    for (const trust of [undefined, anchored]) {
      const mine = await verify(asset, { sidecar: side.manifestStore, ...(trust ? { trust } : {}) });
      expect(mine.state).toBe(await bareState(embedded.bytes, trust));
    }
    const other = await verify(await makeImage('jpeg', 160, 120, 4), {
      sidecar: side.manifestStore,
      trust: anchored,
    });
    expect(other.state).toBe('invalid');
    // A store changed inside: the engine's own failure stays, provmark's binding check cannot lift it.
    const bad = side.manifestStore.slice();
    const at = indexOfBytes(bad, new TextEncoder().encode('c2pa.actions'));
    bad[at + 40] = bad[at + 40]! ^ 0x01;
    expect((await verify(asset, { sidecar: bad, trust: anchored })).state).toBe('invalid');
  });
});

describe('property: no single-byte change in a two-manifest store is valid unless the engine says so', () => {
  it('JPEG child with a signed parent ingredient', async () => {
    const { creds, signer } = await devSigner();
    const trust: TrustOptions = { anchors: [creds.caCertPem] };
    const parent = await sign(await makeImage('jpeg', 64, 48, 5), {
      signer,
      trust,
      manifest: { title: 'P' },
    });
    const child = await sign(await makeImage('jpeg', 64, 48, 6), { signer, trust, parent: parent.bytes });
    const storeAt = indexOfBytes(child.bytes, child.manifestStore.subarray(8, 40));
    expect(storeAt).toBeGreaterThan(0);
    const storeLength = child.manifestStore.length - 8;
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: storeLength - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (offset, mask) => {
          const bytes = child.bytes.slice();
          bytes[storeAt + offset] = bytes[storeAt + offset]! ^ mask;
          const [mine, engine] = await Promise.all([verify(bytes, { trust }), bareState(bytes, trust)]);
          if (mine.state === 'valid' || mine.state === 'trusted') expect(engine).toBe(mine.state);
          if (engine !== 'unread') expect(mine.state).toBe(engine);
        },
      ),
      { numRuns: 150, seed: 16 },
    );
  });
});
