/**
 * Camera / capture app: protect every capture (watermark + C2PA manifest + repository).
 *   npx tsx examples/camera-signing.ts capture.jpg signer.key.pem chain.pem
 * In an application, import from 'provmark' instead of '../src/index.js'.
 */
import { writeFile } from 'node:fs/promises';
import { createPemSigner, openRepository, protect } from '../src/index.js';

const [input, key, cert] = process.argv.slice(2);
if (!input || !key || !cert) {
  console.error('usage: camera-signing.ts CAPTURE KEY.pem CHAIN.pem');
  process.exit(2);
}
const signer = await createPemSigner({ key, certificate: cert });
const repository = await openRepository(process.env.PROVMARK_DB); // default: ~/.provmark/repository.db
try {
  const result = await protect(input, {
    signer,
    repository,
    manifest: { digitalSourceType: 'digitalCapture', claimGenerator: { name: 'ExampleCam', version: '1.0' } },
  });
  await writeFile(`${input}.protected.${result.format === 'jpeg' ? 'jpg' : result.format}`, result.bytes);
  console.log(`manifest ${result.manifestId}, soft-binding id ${result.softBindingId}`);
} finally {
  await repository.close();
}
