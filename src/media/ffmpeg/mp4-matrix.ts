/**
 * The display matrix (rotation) of an ISO BMFF file's first video track, copied from one file to
 * another in place: ffmpeg 5 cannot set it on an encoded stream (see encode.ts).
 */
interface BoxRef {
  readonly type: string;
  /** Offset of the box start in the buffer/file. */
  readonly start: number;
  /** Offset of the payload. */
  readonly body: number;
  readonly end: number;
}

function* boxes(buf: Uint8Array, from: number, to: number, base = 0): Generator<BoxRef> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = from;
  while (off + 8 <= to) {
    let size = dv.getUint32(off);
    const type = String.fromCharCode(buf[off + 4]!, buf[off + 5]!, buf[off + 6]!, buf[off + 7]!);
    let body = off + 8;
    if (size === 1) {
      if (off + 16 > to) return;
      size = Number(dv.getBigUint64(off + 8));
      body = off + 16;
    } else if (size === 0) size = to - off;
    if (size < body - off || off + size > to) return;
    yield { type, start: base + off, body: base + body, end: base + off + size };
    off += size;
  }
}

/** Read the top-level 'moov' box of an ISO BMFF file (wherever it sits) and its file offset. */
async function readMoov(path: string): Promise<{ moov: Uint8Array; offset: number } | undefined> {
  const { open } = await import('node:fs/promises');
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    let off = 0;
    const head = new Uint8Array(16);
    while (off + 8 <= size) {
      await fh.read(head, 0, 16, off);
      const dv = new DataView(head.buffer);
      let boxSize = dv.getUint32(0);
      if (boxSize === 1) boxSize = Number(dv.getBigUint64(8));
      else if (boxSize === 0) boxSize = size - off;
      if (boxSize < 8) return undefined;
      const type = String.fromCharCode(head[4]!, head[5]!, head[6]!, head[7]!);
      if (type === 'moov') {
        if (boxSize > 256 * 1024 * 1024) return undefined;
        const moov = new Uint8Array(boxSize);
        await fh.read(moov, 0, boxSize, off);
        return { moov, offset: off };
      }
      off += boxSize;
    }
    return undefined;
  } finally {
    await fh.close();
  }
}

/** Offset (within moov) of the 36-byte matrix in the first video track's 'tkhd'. */
function videoMatrixOffset(moov: Uint8Array): number | undefined {
  const top = boxes(moov, 0, moov.length).next().value;
  if (!top) return undefined;
  for (const trak of boxes(moov, top.body, top.end)) {
    if (trak.type !== 'trak') continue;
    let tkhd: BoxRef | undefined;
    let isVideo = false;
    for (const child of boxes(moov, trak.body, trak.end)) {
      if (child.type === 'tkhd') tkhd = child;
      if (child.type === 'mdia') {
        for (const m of boxes(moov, child.body, child.end)) {
          // hdlr: version/flags(4) pre_defined(4) handler_type(4)
          if (m.type === 'hdlr' && m.body + 12 <= m.end) {
            isVideo = String.fromCharCode(...moov.subarray(m.body + 8, m.body + 12)) === 'vide';
          }
        }
      }
    }
    if (isVideo && tkhd) {
      const version = moov[tkhd.body]!;
      // version 0: 4+4+4+4+4 bytes of times/ids/duration, version 1: 8+8+4+4+8; then
      // reserved(8) layer(2) alternate_group(2) volume(2) reserved(2) before the matrix.
      const matrix = tkhd.body + 4 + (version === 1 ? 32 : 20) + 16;
      return matrix + 36 <= tkhd.end ? matrix : undefined;
    }
  }
  return undefined;
}

/** Copy the first video track's display matrix from `source` to `output` (both ISO BMFF). */
export async function copyTrackMatrix(source: string, output: string): Promise<void> {
  const src = await readMoov(source);
  const dst = await readMoov(output);
  if (!src || !dst) return;
  const from = videoMatrixOffset(src.moov);
  const to = videoMatrixOffset(dst.moov);
  if (from === undefined || to === undefined) return;
  const { open } = await import('node:fs/promises');
  const fh = await open(output, 'r+');
  try {
    await fh.write(src.moov.subarray(from, from + 36), 0, 36, dst.offset + to);
  } finally {
    await fh.close();
  }
}
