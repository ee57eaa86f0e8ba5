/**
 * RFC 3161 time-stamp client: asks a time-stamp authority (TSA) over HTTP for a token over a
 * SHA-256 message imprint, and checks the answer (status granted, the imprint and nonce we sent)
 * before it goes into a signature. The token's CMS signature and the TSA's trust are checked by
 * the C2PA engine when the signed file is read back.
 */
import { createHash, randomBytes } from 'node:crypto';
import { TimestampError } from '../errors.js';

export interface TimestampOptions {
  /** The TSA's URL (http or https), answering `application/timestamp-query` POSTs (RFC 3161 §3.4). */
  readonly url: string;
  /** Give up on the TSA after this many milliseconds. Default 10000. */
  readonly timeoutMs?: number;
}

/** A validated time-stamp token. */
export interface TimestampToken {
  /** DER `TimeStampToken` (a CMS ContentInfo holding SignedData over a TSTInfo). */
  readonly token: Uint8Array;
  /** The TSA's time (TSTInfo genTime), ISO 8601. */
  readonly time: string;
}

const OID_SHA256 = '2.16.840.1.101.3.4.2.1';
const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4';
const DEFAULT_TIMEOUT_MS = 10_000;
/** TSA answers are a few KB; anything far larger is not a time-stamp response. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

// --- Minimal DER (X.690) reading and writing: only what TimeStampReq/Resp need. ---

interface Tlv {
  readonly tag: number;
  /** Contents octets. */
  readonly value: Uint8Array;
  /** The whole element (tag, length and contents). */
  readonly raw: Uint8Array;
}

class DerError extends Error {}

function readTlv(buf: Uint8Array, offset: number): Tlv {
  if (offset + 2 > buf.length) throw new DerError('truncated element');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used by RFC 3161');
  let len = buf[offset + 1]!;
  let head = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('indefinite or oversized length');
    if (offset + 2 + n > buf.length) throw new DerError('truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[offset + 2 + i]!;
    head += n;
  }
  const end = offset + head + len;
  if (end > buf.length) throw new DerError('element runs past the end of its container');
  return { tag, value: buf.subarray(offset + head, end), raw: buf.subarray(offset, end) };
}

/** The children of a constructed element. */
function children(tlv: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let o = 0; o < tlv.value.length;) {
    const c = readTlv(tlv.value, o);
    out.push(c);
    o += c.raw.length;
  }
  return out;
}

function need(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) {
    const got = tlv ? `tag 0x${tlv.tag.toString(16)}` : 'nothing';
    throw new DerError(`expected ${what} (tag 0x${tag.toString(16)}), got ${got}`);
  }
  return tlv;
}

function decodeOid(v: Uint8Array): string {
  const parts: number[] = [];
  let n = 0;
  for (const b of v) {
    n = n * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(n);
      n = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const a = first < 80 ? Math.floor(first / 40) : 2;
  return [a, first - 40 * a, ...parts].join('.');
}

function encodeLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function der(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(1 + encodeLength(len).length + len);
  out.set([tag, ...encodeLength(len)]);
  let o = out.length - len;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function encodeOid(oid: string): Uint8Array {
  const [a, b, ...rest] = oid.split('.').map(Number);
  const bytes: number[] = [];
  for (const n of [a! * 40 + b!, ...rest]) {
    const chunk = [n & 0x7f];
    for (let x = Math.floor(n / 128); x > 0; x = Math.floor(x / 128)) chunk.unshift((x & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, new Uint8Array(bytes));
}

/** A positive INTEGER's contents without the sign-padding zero, for comparing nonces. */
function unsignedBytes(v: Uint8Array): string {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  return Buffer.from(v.subarray(i)).toString('hex');
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const OID = 0x06;
const GENERALIZED_TIME = 0x18;
const CONTEXT_0 = 0xa0;

/**
 * TimeStampReq (RFC 3161 §2.4.1): version 1, SHA-256 imprint, a 64-bit nonce, certReq TRUE
 * (the C2PA engine needs the TSA certificate inside the token to validate it).
 */
export function encodeTimestampRequest(digest: Uint8Array, nonce: Uint8Array): Uint8Array {
  // Nonce as a positive INTEGER: a leading zero when the top bit is set.
  const nonceInt = nonce[0]! & 0x80 ? Uint8Array.of(0, ...nonce) : nonce;
  return der(
    SEQUENCE,
    der(INTEGER, Uint8Array.of(1)),
    der(SEQUENCE, der(SEQUENCE, encodeOid(OID_SHA256), Uint8Array.of(0x05, 0x00)), der(OCTET_STRING, digest)),
    der(INTEGER, nonceInt),
    Uint8Array.of(0x01, 0x01, 0xff),
  );
}

const FAILURES = [
  'badAlg',
  '',
  'badRequest',
  '',
  '',
  'badDataFormat',
  '',
  '',
  '',
  '',
  '',
  '',
  '',
  '',
  'timeNotAvailable',
  'unacceptedPolicy',
  'unacceptedExtension',
  'addInfoNotAvailable',
  '',
  '',
  '',
  '',
  '',
  '',
  '',
  'systemFailure',
];

function describeFailInfo(bits: Uint8Array | undefined): string {
  if (!bits || bits.length < 2) return '';
  const names: string[] = [];
  for (let i = 0; i < (bits.length - 1) * 8; i++) {
    if (bits[1 + (i >> 3)]! & (0x80 >> (i & 7))) names.push(FAILURES[i] || `bit ${i}`);
  }
  return names.join(', ');
}

function parseGeneralizedTime(v: Uint8Array): string {
  // YYYYMMDDHHMMSS[.fff]Z (RFC 3161 §2.4.2 requires UTC, "Z").
  const s = Buffer.from(v).toString('latin1');
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(s);
  if (!m) throw new DerError(`genTime ${JSON.stringify(s)} is not a UTC GeneralizedTime`);
  const frac = m[7] ? m[7].slice(0, 4).padEnd(4, '0') : '.000';
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${frac}Z`;
}

interface ParsedResponse {
  readonly token: Uint8Array;
  readonly digestAlgorithm: string;
  readonly digest: Uint8Array;
  readonly nonce: string | undefined;
  readonly time: string;
  readonly hasCertificates: boolean;
}

/** Status rejected by the TSA: not a parse problem, so it carries its own message. */
class RejectedError extends Error {}

function parseTimestampResponse(bytes: Uint8Array): ParsedResponse {
  const resp = need(readTlv(bytes, 0), SEQUENCE, 'TimeStampResp');
  const [statusInfo, tokenTlv] = children(resp);
  const statusFields = children(need(statusInfo, SEQUENCE, 'PKIStatusInfo'));
  const status = need(statusFields[0], INTEGER, 'PKIStatus').value;
  const statusCode = status.length === 1 ? status[0]! : -1;
  // granted (0) or grantedWithMods (1), RFC 3161 §2.4.2.
  if (statusCode !== 0 && statusCode !== 1) {
    const text = statusFields
      .filter((f) => f.tag === SEQUENCE)
      .flatMap((f) => children(f).map((s) => Buffer.from(s.value).toString('utf8')))
      .join('; ');
    const fail = describeFailInfo(statusFields.find((f) => f.tag === 0x03)?.value);
    throw new RejectedError(
      `the TSA refused the request (status ${statusCode}${fail ? `, ${fail}` : ''}${text ? `: ${text}` : ''})`,
    );
  }
  const contentInfo = need(tokenTlv, SEQUENCE, 'TimeStampToken');
  const [ctype, explicit] = children(contentInfo);
  const ctypeOid = decodeOid(need(ctype, OID, 'contentType').value);
  if (ctypeOid !== OID_SIGNED_DATA) throw new DerError(`token content type ${ctypeOid} is not signedData`);
  const signedData = need(children(need(explicit, CONTEXT_0, '[0] content')).at(0), SEQUENCE, 'SignedData');
  const sd = children(signedData);
  const encap = children(need(sd[2], SEQUENCE, 'encapContentInfo'));
  const eType = decodeOid(need(encap[0], OID, 'eContentType').value);
  if (eType !== OID_TST_INFO) throw new DerError(`eContentType ${eType} is not id-ct-TSTInfo`);
  const eContent = need(children(need(encap[1], CONTEXT_0, '[0] eContent')).at(0), OCTET_STRING, 'eContent');
  const tst = children(need(readTlv(eContent.value, 0), SEQUENCE, 'TSTInfo'));
  // TSTInfo: version, policy, messageImprint, serialNumber, genTime, accuracy?, ordering?, nonce?, …
  const imprint = children(need(tst[2], SEQUENCE, 'messageImprint'));
  const algorithm = decodeOid(
    need(children(need(imprint[0], SEQUENCE, 'hashAlgorithm'))[0], OID, 'OID').value,
  );
  const digest = need(imprint[1], OCTET_STRING, 'hashedMessage').value;
  const time = parseGeneralizedTime(need(tst[4], GENERALIZED_TIME, 'genTime').value);
  // After genTime: accuracy (SEQUENCE), ordering (BOOLEAN), then the nonce, the only INTEGER.
  const nonceTlv = tst.slice(5).find((t) => t.tag === INTEGER);
  return {
    token: contentInfo.raw,
    digestAlgorithm: algorithm,
    digest,
    nonce: nonceTlv ? unsignedBytes(nonceTlv.value) : undefined,
    time,
    hasCertificates: sd.some((t) => t.tag === CONTEXT_0),
  };
}

function assertTimestampOptions(options: TimestampOptions): URL {
  if (!options || typeof options !== 'object') throw new TypeError('Expected { url } for timestamp');
  if (typeof options.url !== 'string') throw new TypeError('Expected a string for timestamp.url');
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new RangeError(
      `Expected an http(s) URL for timestamp.url but received ${JSON.stringify(options.url)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RangeError(
      `Expected an http(s) URL for timestamp.url but received ${JSON.stringify(options.url)}`,
    );
  }
  const t = options.timeoutMs;
  if (t !== undefined && (!Number.isInteger(t) || t < 1 || t > 600_000)) {
    throw new RangeError(`Expected integer between 1 and 600000 for timestamp.timeoutMs but received ${t}`);
  }
  return url;
}

/** Check the options early (before any signing work); throws TypeError/RangeError on misuse. */
export function checkTimestampOptions(options: TimestampOptions): void {
  assertTimestampOptions(options);
}

/**
 * Request an RFC 3161 time-stamp over `data` (hashed with SHA-256) and validate the answer.
 * Throws {@link TimestampError} (`ERR_TIMESTAMP`) naming the URL and the reason when the TSA is
 * unreachable, slow, refuses, or answers something that is not a token for this request.
 *
 * @example
 * ```ts
 * const { token, time } = await requestTimestamp(bytes, { url: 'http://timestamp.example/tsa' });
 * ```
 */
export async function requestTimestamp(data: Uint8Array, options: TimestampOptions): Promise<TimestampToken> {
  const url = assertTimestampOptions(options);
  const digest = new Uint8Array(createHash('sha256').update(data).digest());
  const nonce = new Uint8Array(randomBytes(8));
  const body = encodeTimestampRequest(digest, nonce);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fail = (reason: string, cause?: unknown): TimestampError =>
    new TimestampError(`Time-stamp from ${url.href} failed: ${reason}`, {
      hint: 'Check the TSA URL and that it is reachable, or sign without a time-stamp.',
      details: { url: url.href, reason },
      ...(cause === undefined ? {} : { cause }),
    });

  let bytes: Uint8Array;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
      body: body as Uint8Array<ArrayBuffer>,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw fail(`HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > MAX_RESPONSE_BYTES) {
      await res.body?.cancel();
      throw fail(`the answer is ${declared} bytes, not a time-stamp response`);
    }
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    if (err instanceof TimestampError) throw err;
    const e = err as Error;
    if (e.name === 'TimeoutError') throw fail(`no answer within ${timeoutMs} ms`, err);
    const cause = (e.cause as Error | undefined)?.message;
    throw fail(`cannot connect (${cause ?? e.message})`, err);
  }
  if (bytes.length > MAX_RESPONSE_BYTES)
    throw fail(`the answer is ${bytes.length} bytes, not a time-stamp response`);

  let parsed: ParsedResponse;
  try {
    parsed = parseTimestampResponse(bytes);
  } catch (err) {
    if (err instanceof RejectedError) throw fail(err.message);
    throw fail(`the answer is not an RFC 3161 time-stamp response (${(err as Error).message})`, err);
  }
  if (parsed.digestAlgorithm !== OID_SHA256 || !Buffer.from(parsed.digest).equals(Buffer.from(digest))) {
    throw fail('the token is for other data (its message imprint is not the one requested)');
  }
  if (parsed.nonce !== unsignedBytes(nonce)) {
    throw fail(
      parsed.nonce === undefined
        ? 'the token omits the requested nonce'
        : 'the token nonce does not match the request',
    );
  }
  if (!parsed.hasCertificates) {
    throw fail('the token carries no TSA certificate (validators need it)');
  }
  return { token: parsed.token, time: parsed.time };
}
