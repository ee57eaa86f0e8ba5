/**
 * The certificate that signed the active manifest, read from the manifest store bytes: JUMBF boxes
 * (ISO/IEC 19566-5; in JPEG carried in APP11 segments) down to the active manifest's claim signature,
 * a COSE_Sign1 (RFC 9052 §4.2) whose `x5chain` header (label 33, RFC 9360 §2) holds the chain, leaf
 * first. The engine reports the signer's names and serial number but not the certificate itself; a
 * key fingerprint needs the DER. Pure parsing: the signature is not checked here (the engine does).
 */
import { isJpeg, jpegSegments } from '../media/jpeg.js';
import { decodeSign1 } from './cose.js';
import { C2PA_STORE_UUID } from './store-uuid.js';

const HEADER_X5CHAIN = 33;

interface Box {
  readonly type: string;
  /** Payload (after the header). */
  readonly data: Uint8Array;
}

/** The boxes in `bytes`, in order; stops at the first malformed one. */
function boxes(bytes: Uint8Array): Box[] {
  const out: Box[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  while (off + 8 <= bytes.length) {
    let size = view.getUint32(off);
    const type = String.fromCharCode(...bytes.subarray(off + 4, off + 8));
    let header = 8;
    if (size === 1) {
      if (off + 16 > bytes.length) break;
      size = Number(view.getBigUint64(off + 8));
      header = 16;
    } else if (size === 0) size = bytes.length - off;
    if (size < header || off + size > bytes.length) break;
    out.push({ type, data: bytes.subarray(off + header, off + size) });
    off += size;
  }
  return out;
}

/** A JUMBF superbox's description (type UUID, label) and content boxes. */
function superbox(data: Uint8Array): { uuid: Uint8Array; label?: string; contents: Box[] } | undefined {
  const [desc, ...contents] = boxes(data);
  if (desc?.type !== 'jumd' || desc.data.length < 17) return undefined;
  const toggles = desc.data[16] as number;
  let label: string | undefined;
  if (toggles & 0x02) {
    const end = desc.data.indexOf(0, 17);
    if (end > 17) label = Buffer.from(desc.data.subarray(17, end)).toString('utf8');
  }
  return { uuid: desc.data.subarray(0, 16), ...(label === undefined ? {} : { label }), contents };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * JPEG: the JUMBF boxes of the APP11 segments (common identifier "JP"), each box's packets joined in
 * sequence order; the box header repeated in every packet after the first is dropped (19566-5 Annex B).
 */
function jpegJumbf(bytes: Uint8Array): Uint8Array[] {
  const packets = new Map<number, Array<{ seq: number; body: Uint8Array }>>();
  for (const { marker, body: seg } of jpegSegments(bytes)) {
    if (marker === 0xeb && seg.length >= 16 && seg[0] === 0x4a && seg[1] === 0x50) {
      const instance = ((seg[2] as number) << 8) | (seg[3] as number);
      const seq = new DataView(seg.buffer, seg.byteOffset + 4, 4).getUint32(0);
      const list = packets.get(instance) ?? [];
      list.push({ seq, body: seg.subarray(8) });
      packets.set(instance, list);
    }
  }
  return [...packets.values()].map((list) => {
    list.sort((a, b) => a.seq - b.seq);
    const parts = list.map((p, i) => (i === 0 ? p.body : p.body.subarray(8)));
    return Uint8Array.from(Buffer.concat(parts));
  });
}

/** The manifest store superboxes in `bytes`: a bare store, JPEG APP11, or one found by its UUID. */
function findStores(bytes: Uint8Array): Uint8Array[] {
  const candidates: Uint8Array[] = [];
  if (isJpeg(bytes)) candidates.push(...jpegJumbf(bytes));
  else {
    // Elsewhere the store is contiguous: its 'jumd' sits 8 bytes before the UUID, the 'jumb' 8 before that.
    const at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(C2PA_STORE_UUID);
    if (at >= 16) {
      const start = at - 16;
      const size = new DataView(bytes.buffer, bytes.byteOffset + start, 4).getUint32(0);
      if (size >= 16 && start + size <= bytes.length) candidates.push(bytes.subarray(start, start + size));
    }
  }
  return candidates;
}

/** DER certificates of a COSE_Sign1's x5chain (protected header first, then unprotected). */
function x5chain(coseBytes: Uint8Array): Uint8Array[] | undefined {
  const cose = decodeSign1(coseBytes);
  if (cose === undefined) return undefined;
  for (const h of [cose.protected, cose.unprotected]) {
    const chain = h.get(HEADER_X5CHAIN);
    if (chain instanceof Uint8Array) return [chain];
    if (Array.isArray(chain) && chain.length > 0 && chain.every((c) => c instanceof Uint8Array)) {
      return chain as Uint8Array[];
    }
  }
  return undefined;
}

/**
 * The signing certificate chain (DER, leaf first) of the active manifest in `bytes`: an asset with an
 * embedded store, or a bare store (`application/c2pa`). `activeLabel` picks the manifest (the engine's
 * `active_manifest`); without it, the last manifest of the store. Undefined when it cannot be found.
 *
 * @example
 * ```ts
 * const [leaf] = readSignerCertificates(bytes, store.active_manifest) ?? [];
 * if (leaf) console.log(new X509Certificate(leaf).subject);
 * ```
 */
export function readSignerCertificates(bytes: Uint8Array, activeLabel?: string): Uint8Array[] | undefined {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('Expected a Uint8Array for bytes');
  for (const candidate of findStores(bytes)) {
    const [top] = boxes(candidate);
    const store = top?.type === 'jumb' ? superbox(top.data) : undefined;
    if (store === undefined || !sameBytes(store.uuid, C2PA_STORE_UUID)) continue;
    const manifests = store.contents
      .filter((b) => b.type === 'jumb')
      .map((b) => superbox(b.data))
      .filter((m) => m !== undefined);
    const active =
      activeLabel === undefined
        ? manifests.at(-1)
        : manifests.find((m) => m.label === activeLabel || activeLabel.endsWith(`/${m.label}`));
    const signature = active?.contents
      .filter((b) => b.type === 'jumb')
      .map((b) => superbox(b.data))
      .find((b) => b?.label === 'c2pa.signature');
    const cose = signature?.contents.find((b) => b.type === 'cbor');
    if (cose === undefined) continue;
    // Not a COSE_Sign1 we can read: no certificate from this store.
    const chain = x5chain(cose.data);
    if (chain) return chain.map((c) => Uint8Array.from(c));
  }
  return undefined;
}
