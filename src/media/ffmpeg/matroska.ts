/**
 * Minimal Matroska muxer for raw I420 frames: EBML header, a Segment of unknown size, Info,
 * one video track, then one Cluster (timestamp + SimpleBlock) per frame. Timestamps in
 * microseconds (TimestampScale 1000 ns), enough to restore any container time base exactly.
 */
export class MatroskaRawWriter {
  constructor(
    private readonly width: number,
    private readonly height: number,
  ) {}

  header(): Uint8Array {
    const ebml = el(0x1a45dfa3, [
      el(0x4286, uint(1)), // EBMLVersion
      el(0x42f7, uint(1)), // EBMLReadVersion
      el(0x42f2, uint(4)), // EBMLMaxIDLength
      el(0x42f3, uint(8)), // EBMLMaxSizeLength
      el(0x4282, ascii('matroska')), // DocType
      el(0x4287, uint(4)), // DocTypeVersion
      el(0x4285, uint(2)), // DocTypeReadVersion
    ]);
    const info = el(0x1549a966, [
      el(0x2ad7b1, uint(1000)),
      el(0x4d80, ascii('provmark')),
      el(0x5741, ascii('provmark')),
    ]);
    const track = el(0xae, [
      el(0xd7, uint(1)), // TrackNumber
      el(0x73c5, uint(1)), // TrackUID
      el(0x83, uint(1)), // TrackType: video
      el(0x86, ascii('V_UNCOMPRESSED')),
      el(0xe0, [el(0xb0, uint(this.width)), el(0xba, uint(this.height)), el(0x2eb524, ascii('I420'))]),
    ]);
    const tracks = el(0x1654ae6b, [track]);
    // Segment with "unknown size" (all ones): we stream, so the length is not known in advance.
    const segmentHead = concat([
      idBytes(0x18538067),
      Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    ]);
    return concat([ebml, segmentHead, info, tracks]);
  }

  /** Bytes preceding a frame's data (the data is written after it, uncopied). */
  frameHeader(dataBytes: number, seconds: number): Uint8Array {
    const micros = Math.max(0, Math.round(seconds * 1e6));
    const blockHead = Uint8Array.of(0x81, 0, 0, 0x80); // track 1, relative time 0, keyframe
    const simpleBlockSize = blockHead.length + dataBytes;
    const timestamp = el(0xe7, uint(micros));
    const sbHeader = concat([idBytes(0xa3), sizeBytes(simpleBlockSize), blockHead]);
    const clusterBody = timestamp.length + sbHeader.length + dataBytes;
    return concat([idBytes(0x1f43b675), sizeBytes(clusterBody), timestamp, sbHeader]);
  }
}

function idBytes(id: number): Uint8Array {
  const out: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return Uint8Array.from(out);
}

/** EBML size as an 8-byte vint (always valid, simple). */
function sizeBytes(n: number): Uint8Array {
  const out = new Uint8Array(8);
  out[0] = 0x01;
  let v = n;
  for (let i = 7; i >= 1; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

function uint(n: number): Uint8Array {
  const out: number[] = [];
  let v = n;
  do {
    out.unshift(v % 256);
    v = Math.floor(v / 256);
  } while (v > 0);
  return Uint8Array.from(out);
}

function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function el(id: number, body: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const payload = body instanceof Uint8Array ? body : concat(body);
  return concat([idBytes(id), sizeBytes(payload.length), payload]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
