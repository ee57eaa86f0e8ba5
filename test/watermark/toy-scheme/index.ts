/**
 * A toy watermark scheme, written the way ARCHITECTURE.md's "Add a watermark scheme" recipe says:
 * this folder plus one registration line. It marks SVG (which no built-in scheme marks) by
 * writing the id, XOR-ed with a key-derived mask, in an XML comment, and encodes the binding value
 * as base64 of the hex text (not the built-ins' base64 of the bytes), so a test can tell that every consumer used this entry.
 * Not robust to anything: it shows the plumbing, not a signal.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { WatermarkScheme } from '../../../src/watermark/index.js';

const HEX16 = /^[0-9a-f]{16}$/;
const MARK = /<!--toy-mark:([0-9a-f]{16})-->/;

function mask(id: string, key: string | Uint8Array | undefined): string {
  const k = createHash('sha256')
    .update(key ?? 'toy-public')
    .digest();
  return Buffer.from(Buffer.from(id, 'hex').map((b, i) => b ^ k[i]!)).toString('hex');
}

export const toyScheme: WatermarkScheme = {
  id: 'org.example.watermark.toy.1',
  medium: 'image',
  version: 1,
  name: 'toy SVG comment mark',
  formats: ['svg'],
  // Base64 of the 16 hex characters (24 base64 digits), where the built-ins encode the 8 bytes.
  binding: {
    encode: (id) => Buffer.from(id, 'ascii').toString('base64'),
    decode: (value) => {
      const id = Buffer.from(value, 'base64').toString('ascii');
      return value.length === 24 && HEX16.test(id) ? id : undefined;
    },
  },
  async embed(input, _format, options) {
    const text = new TextDecoder().decode(input);
    const open = /<svg[\s>][^>]*>/.exec(text);
    if (!open) throw new RangeError('Expected an <svg> element');
    const at = open.index + open[0].length;
    const out = `${text.slice(0, at)}<!--toy-mark:${mask(options.payload, options.key)}-->${text.slice(at)}`;
    return new TextEncoder().encode(out);
  },
  async detect(input, _format, options) {
    const text = new TextDecoder().decode(typeof input === 'string' ? await readFile(input) : input);
    const m = MARK.exec(text);
    if (!m) return { found: false, confidence: 0, reason: 'no toy mark' };
    return { found: true, payload: mask(m[1]!, options.key), confidence: 1 };
  },
};
