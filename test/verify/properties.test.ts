import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sign } from '../../src/sign/index.js';
import { verify } from '../../src/verify/index.js';
import { devSigner } from '../helpers/credentials.js';
import { jpegSegments } from '../helpers/jpeg.js';
import { makeImage } from '../helpers/media.js';

describe('properties', () => {
  it('sign then verify is trusted with our CA as anchor (random size, format, title)', async () => {
    const { creds, signer } = await devSigner();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('jpeg' as const, 'png' as const, 'webp' as const),
        fc.integer({ min: 16, max: 200 }),
        fc.integer({ min: 16, max: 200 }),
        fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
        async (format, w, h, title) => {
          const out = await sign(await makeImage(format, w, h, w * 1000 + h), {
            signer,
            manifest: { title },
          });
          const r = await verify(out.bytes, { trust: { anchors: [creds.caCertPem] } });
          expect(r.state).toBe('trusted');
          expect(r.state === 'trusted' && r.activeManifest?.title).toBe(title);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('any single-byte change in the hashed region of a JPEG is invalid', async () => {
    const { creds, signer } = await devSigner();
    const out = await sign(await makeImage('jpeg', 160, 120), { signer, thumbnail: false });
    const { segments } = jpegSegments(out.bytes);
    // The hard binding excludes only the manifest (APP11/JUMBF) segments: everything after them is hashed.
    const lastManifest = segments.filter((s) => s.marker === 0xeb).at(-1)!;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: lastManifest.end, max: out.bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, xor) => {
          const bytes = out.bytes.slice();
          bytes[at] = bytes[at]! ^ xor;
          const r = await verify(bytes, { trust: { anchors: [creds.caCertPem] } });
          expect(r.state, `byte ${at} ^ ${xor}`).toBe('invalid');
        },
      ),
      { numRuns: 60 },
    );
  });
});
