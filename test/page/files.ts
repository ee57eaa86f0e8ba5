/**
 * The verify page's test files, generated in code: a protected (watermarked, signed, registered)
 * photo and what happens to it downstream, an unsigned photo, an edit with the photo as ingredient,
 * an AI-labelled file, a Microsoft-EKU signer and a signer whose EKU the test server does not accept.
 */
import { generateKeyPairSync } from 'node:crypto';
import sharp from 'sharp';
import { protect, sign } from '../../src/index.js';
import type { ManifestRepository } from '../../src/repository/index.js';
import { createPemSigner } from '../../src/sign/index.js';
import { OFFICIAL_SIGNER_EKUS } from '../../src/verify/ekus.js';
import { devSigner } from '../helpers/credentials.js';
import { issueCertificate } from '../helpers/issue.js';
import { hasFfmpeg, makeAv } from '../helpers/media.js';
import { photoLike } from '../helpers/photo.js';
import { startLocalTsa } from '../helpers/tsa.js';

export interface PageFile {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Verdict headline the visitor must see. */
  readonly verdict: string;
}

/** Microsoft's C2PA signing EKU (in the store.cfg list the engine is configured with). */
const MICROSOFT_C2PA_EKU = '1.3.6.1.4.1.311.76.59.1.9';
/** id-kp-documentSigning: signing accepts it, but it is left out of {@link PAGE_EKUS}. */
const DOCUMENT_SIGNING_EKU = '1.3.6.1.5.5.7.3.36';

/**
 * The EKUs the test server accepts: the official list without documentSigning, so a file signed
 * with a documentSigning-only certificate is intact but its credential is not acceptable there.
 */
export const PAGE_EKUS: readonly string[] = OFFICIAL_SIGNER_EKUS.filter((e) => e !== DOCUMENT_SIGNING_EKU);

/** Flip bytes inside the JPEG's entropy-coded data (after the last SOS), keeping the markers intact. */
function tamper(jpeg: Uint8Array): Uint8Array {
  const out = Uint8Array.from(jpeg);
  let sos = -1;
  for (let i = 0; i + 1 < out.length; i++) if (out[i] === 0xff && out[i + 1] === 0xda) sos = i;
  const at = sos + Math.floor((out.length - sos) / 2);
  for (let i = at; i < at + 16; i++) if (out[i] !== 0xff && out[i] !== 0x00) out[i] = out[i]! ^ 0x10;
  return out;
}

async function signerWithEku(eku: string) {
  const { creds } = await devSigner();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const chain = await issueCertificate(creds, { subjectKey: publicKey, eku: [eku] });
  return createPemSigner({
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    certificate: chain,
  });
}

export async function makePageFiles(
  repository: ManifestRepository,
): Promise<{ files: PageFile[]; caPem: string; tsaPem: string }> {
  const { creds, signer } = await devSigner();
  const trust = { anchors: [creds.caCertPem] };
  const original = await photoLike(1200, 900, 11);
  const p = await protect(original, { signer, repository, manifest: { title: 'Harbour at dawn' } });
  const stripped = new Uint8Array(await sharp(p.bytes).resize(960, 720).jpeg({ quality: 80 }).toBuffer());
  const edited = new Uint8Array(
    await sharp(p.bytes).modulate({ brightness: 1.1 }).jpeg({ quality: 90 }).toBuffer(),
  );
  const withIngredient = await sign(edited, {
    signer,
    parent: p.bytes,
    trust,
    manifest: { title: 'Harbour at dawn, brightened', actions: [{ action: 'c2pa.color_adjustments' }] },
  });
  const ai = await sign(await photoLike(800, 600, 5), {
    signer,
    manifest: { title: 'Imagined harbour', digitalSourceType: 'trainedAlgorithmicMedia' },
  });
  const microsoft = await sign(await photoLike(640, 480, 6), {
    signer: await signerWithEku(MICROSOFT_C2PA_EKU),
    manifest: { title: 'Microsoft EKU' },
  });
  const files: PageFile[] = [
    { name: 'signed.jpg', bytes: p.bytes, verdict: 'Verified' },
    { name: 'tampered.jpg', bytes: tamper(p.bytes), verdict: 'Tampered' },
    { name: 'stripped.jpg', bytes: stripped, verdict: 'Recovered through the watermark' },
    { name: 'unsigned.jpg', bytes: await photoLike(900, 700, 3), verdict: 'No provenance' },
    { name: 'ingredients.jpg', bytes: withIngredient.bytes, verdict: 'Verified' },
    { name: 'ai.jpg', bytes: ai.bytes, verdict: 'Verified' },
    { name: 'microsoft-eku.jpg', bytes: microsoft.bytes, verdict: 'Verified' },
  ];
  const wrongEku = await sign(await photoLike(640, 480, 8), {
    signer: await signerWithEku(DOCUMENT_SIGNING_EKU),
    manifest: { title: 'Document-signing EKU' },
  });
  files.push({ name: 'wrong-eku.jpg', bytes: wrongEku.bytes, verdict: 'Invalid credential' });
  files.push({
    name: 'notes.txt',
    bytes: new TextEncoder().encode('not a picture\n'),
    verdict: 'No provenance',
  });
  if (await hasFfmpeg()) {
    const video = await sign(await makeAv('mp4'), { signer, manifest: { title: 'Harbour video' } });
    files.push({ name: 'signed.mp4', bytes: video.bytes, verdict: 'Verified' });
  }
  // Two levels: an edit of the edit, whose ingredient has an ingredient of its own.
  const nested = await sign(
    new Uint8Array(await sharp(withIngredient.bytes).rotate(180).jpeg({ quality: 90 }).toBuffer()),
    { signer, parent: withIngredient.bytes, trust, manifest: { title: 'Harbour upside down' } },
  );
  files.push({ name: 'nested.jpg', bytes: nested.bytes, verdict: 'Verified' });
  const tsa = await startLocalTsa();
  try {
    const stamped = await sign(await photoLike(640, 480, 9), {
      signer,
      timestamp: { url: tsa.url },
      manifest: { title: 'Time-stamped' },
    });
    files.push({ name: 'timestamped.jpg', bytes: stamped.bytes, verdict: 'Verified' });
  } finally {
    await tsa.close();
  }
  return { files, caPem: creds.caCertPem, tsaPem: tsa.caCertPem };
}
