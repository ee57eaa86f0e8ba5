/** `npm run build:page`: build the verify page into dist/page (run by `npm run build` after tsup). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPageAssets } from '../src/page/build.js';

const out = fileURLToPath(new URL('../dist/page/', import.meta.url));
await mkdir(out, { recursive: true });
const assets = await buildPageAssets();
let total = 0;
for (const [name, bytes] of assets) {
  await writeFile(join(out, name), bytes);
  total += bytes.length;
}
process.stdout.write(`verify page: ${assets.size} files, ${(total / 1024).toFixed(1)} KiB in ${out}\n`);
