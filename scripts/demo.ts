/**
 * npm run demo — the main job end to end, on embedded defaults and a sample made here:
 * development credentials -> protect() a photo (watermark + C2PA + SQLite repository) ->
 * a "platform" strips the metadata and re-encodes -> inspect() both files -> an unprotected photo.
 * Writes everything to ./demo-output and exits non-zero if any step gives an unexpected verdict.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import {
  createPemSigner,
  generateDevCredentials,
  inspect,
  protect,
  type ProvenanceReport,
} from '../src/index.js';
import { openSqliteRepository } from '../src/repository/index.js';

const out = resolve(process.argv[2] ?? 'demo-output');
await mkdir(out, { recursive: true });
const step = (n: number, text: string) => console.log(`\n${n}. ${text}`);

/** A photograph-like sample: gradients, shapes, texture and sensor-like noise. */
async function samplePhoto(width: number, height: number, seed: number): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * 3);
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const discs = Array.from(
    { length: 14 },
    () =>
      [
        rnd() * width,
        rnd() * height,
        (0.08 + rnd() * 0.25) * height,
        rnd() * 255,
        rnd() * 255,
        rnd() * 255,
      ] as const,
  );
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let c = [70 + (110 * y) / height, 120 + (50 * x) / width, 170 - (60 * y) / height];
      for (const [cx, cy, r, a, b, d] of discs) {
        const k = Math.max(0, 1 - Math.hypot(x - cx, y - cy) / r) * 0.7;
        c = [c[0]! * (1 - k) + a * k, c[1]! * (1 - k) + b * k, c[2]! * (1 - k) + d * k];
      }
      const t = 10 * Math.sin(x * 0.19) * Math.cos(y * 0.23) + (rnd() - 0.5) * 12;
      raw.set(
        c.map((v) => Math.max(0, Math.min(255, v + t))),
        (y * width + x) * 3,
      );
    }
  }
  return new Uint8Array(
    await sharp(raw, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 92 })
      .toBuffer(),
  );
}

function show(name: string, r: ProvenanceReport): void {
  console.log(
    `   ${name}: ${r.verdict.toUpperCase()}${r.softBindingId ? `  (soft-binding id ${r.softBindingId})` : ''}`,
  );
  console.log(`   ${r.summary}`);
}

function expectVerdict(r: ProvenanceReport, verdict: ProvenanceReport['verdict']): void {
  if (r.verdict !== verdict) {
    console.error(`\nDEMO FAILED: expected ${verdict} but got ${r.verdict}`);
    process.exit(1);
  }
}

step(1, `Development credentials (NOT FOR PRODUCTION) -> ${join(out, 'keys')}`);
const creds = await generateDevCredentials({ alg: 'ed25519', commonName: 'Demo Camera Co. signer' });
await mkdir(join(out, 'keys'), { recursive: true });
for (const [file, pem] of Object.entries({
  'chain.pem': creds.chainPem,
  'signer.key.pem': creds.signerKeyPem,
  'ca.cert.pem': creds.caCertPem,
})) {
  await writeFile(join(out, 'keys', file), pem, { mode: 0o600 });
}
const signer = await createPemSigner({ key: creds.signerKeyPem, certificate: creds.chainPem });
const trust = { anchors: [creds.caCertPem] };

step(2, 'A camera captures a photo (a 2400×1600 sample made here)');
const photo = await samplePhoto(2400, 1600, 42);
await writeFile(join(out, 'capture.jpg'), photo);

const repository = await openSqliteRepository({ path: join(out, 'repository.db') });
try {
  step(
    3,
    `protect(): watermark + C2PA manifest + register in the embedded repository (${join(out, 'repository.db')})`,
  );
  const t0 = performance.now();
  const p = await protect(photo, {
    signer,
    repository,
    manifest: { title: 'Harbour at dawn', author: 'Demo Photographer', digitalSourceType: 'digitalCapture' },
  });
  await writeFile(join(out, 'protected.jpg'), p.bytes);
  console.log(
    `   manifest ${p.manifestId}, soft-binding id ${p.softBindingId}, ${(performance.now() - t0).toFixed(0)} ms`,
  );
  const [a, b] = await Promise.all([photo, p.bytes].map((x) => sharp(x).removeAlpha().raw().toBuffer()));
  let se = 0;
  for (let i = 0; i < a!.length; i++) se += (a![i]! - b![i]!) ** 2;
  console.log(
    `   watermark visibility: PSNR ${(10 * Math.log10((255 * 255) / (se / a!.length))).toFixed(1)} dB against the capture (JPEG re-encode included)`,
  );

  step(4, 'inspect() the protected file as a publisher would');
  const direct = await inspect(p.bytes, { trust, repository, detector: false });
  show('protected.jpg', direct);
  expectVerdict(direct, 'verified');

  step(5, 'A social platform strips the metadata, resizes to 1080 px and re-encodes at JPEG 80');
  const shared = new Uint8Array(
    await sharp(p.bytes).resize(1080, 1080, { fit: 'inside' }).jpeg({ quality: 80 }).toBuffer(),
  );
  await writeFile(join(out, 'shared.jpg'), shared);
  const recovered = await inspect(shared, { trust, repository, detector: false });
  show('shared.jpg', recovered);
  expectVerdict(recovered, 'recovered');

  step(6, 'Someone edits the pixels of the protected file but keeps its manifest');
  const tampered = p.bytes.slice();
  tampered[tampered.length - 500] = tampered[tampered.length - 500]! ^ 0x10;
  const t = await inspect(tampered, { trust, repository, detector: false });
  show('tampered.jpg', t);
  expectVerdict(t, 'tampered');

  step(
    7,
    'An image with no provenance at all goes to the offline detector (this sample is computer-made, like the others here)',
  );
  const unknown = await samplePhoto(1024, 768, 7);
  const none = await inspect(unknown, { trust, repository });
  show('unknown.jpg', none);
  expectVerdict(none, 'no-provenance');
} finally {
  await repository.close();
}
console.log(
  `\nDemo complete. Files are in ${out}. Try: npm run provmark -- inspect ${join(out, 'shared.jpg')} --db sqlite:${join(out, 'repository.db')} --trust ${join(out, 'keys/ca.cert.pem')}`,
);
