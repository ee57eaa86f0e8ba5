/**
 * Development tool (not part of the package): per-crop logits of candidate ONNX models on the calib split under
 * the four evaluation conditions, for several crop grids, so that test-time crop layouts, aggregation rules and
 * ensembles can be compared without re-running the models (training/explore_analyse.py reads the output).
 *
 *   npx tsx training/explore.ts <name>=<model.onnx> [...] [--grids=3,4,5] [--split=calib]
 *
 * Writes training/out/explore-<name>.json: { [condition]: { [path]: { label, source, grids: { [g]: logits[] } } } };
 * grids['3f'] holds the 3x3 crops mirrored left-right.
 * The transformations are those of training/eval.ts. Never run with --split=test while choosing anything.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ortModule from 'onnxruntime-web';
import { extractCrops } from '../src/detect/crops.js';
import { decodeImageRgb } from '../src/media/image.js';
import { CONDITIONS, transform } from './conditions.js';

// onnxruntime-web, as the package's detector loads it (src/detect/model.ts): the WebAssembly backend,
// whose module object is the default export under Node's ESM loader.
const ort = (ortModule as typeof ortModule & { default?: typeof ortModule }).default ?? ortModule;
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = resolve(repoRoot, '../shared/fixtures/detect');

function mirror(data: Float32Array, count: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let p = 0; p < count * 3; p++)
    for (let y = 0; y < 96; y++)
      for (let x = 0; x < 96; x++) out[p * 9216 + y * 96 + x] = data[p * 9216 + y * 96 + 95 - x]!;
  return out;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const grids = (args.find((a) => a.startsWith('--grids='))?.slice(8) ?? '3,4,5').split(',').map(Number);
  const split = args.find((a) => a.startsWith('--split='))?.slice(8) ?? 'calib';
  const models = args.filter((a) => !a.startsWith('--')).map((a) => a.split('=') as [string, string]);
  const entries = Object.entries(
    (
      JSON.parse(readFileSync(join(repoRoot, 'training', 'split.json'), 'utf8')) as {
        files: Record<string, { split: string; source: string; label: number }>;
      }
    ).files,
  ).filter(([p, e]) => e.split === split && existsSync(join(fixtures, p)));
  const sessions = await Promise.all(
    models.map(async ([name, file]) => {
      const s = await ort.InferenceSession.create(new Uint8Array(readFileSync(file)), {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
      });
      return { name, s };
    }),
  );
  const out: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const { name } of sessions) out[name] = {};
  for (const cond of CONDITIONS) {
    for (const { name } of sessions) out[name]![cond] = {};
    for (const [path, e] of entries) {
      const px = await decodeImageRgb(
        await transform(new Uint8Array(readFileSync(join(fixtures, path))), cond),
      );
      const perModel: Record<string, Record<string, number[]>> = {};
      for (const { name } of sessions) perModel[name] = {};
      for (const g of grids) {
        const crops = extractCrops(px, { crop: 96, grid: g, bottomDiscard: 0.06 });
        for (const { name, s } of sessions) {
          if (!crops) {
            perModel[name]![g] = [];
            continue;
          }
          const r = await s.run({ crops: new ort.Tensor('float32', crops.data, [crops.count, 3, 96, 96]) });
          perModel[name]![g] = Array.from(r[s.outputNames[0]!]!.data as Float32Array);
          if (g === 3) {
            // The same crops mirrored left-right (training flipped crops at random).
            const f = mirror(crops.data, crops.count);
            const rf = await s.run({ crops: new ort.Tensor('float32', f, [crops.count, 3, 96, 96]) });
            perModel[name]!['3f'] = Array.from(rf[s.outputNames[0]!]!.data as Float32Array);
          }
        }
      }
      for (const { name } of sessions)
        out[name]![cond]![path] = { label: e.label, source: e.source, grids: perModel[name] };
    }
    console.log(`${cond}: ${entries.length} files`);
  }
  mkdirSync(join(repoRoot, 'training', 'out'), { recursive: true });
  for (const { name } of sessions) {
    const file = join(
      repoRoot,
      'training',
      'out',
      `explore-${name}${split === 'calib' ? '' : `-${split}`}.json`,
    );
    writeFileSync(file, JSON.stringify(out[name]));
    console.log(`wrote ${file}`);
  }
}

await main();
