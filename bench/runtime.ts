/**
 * `npm run bench:runtime -- [--native DIR] [--runs N] [--threads N]`: the detector model under onnxruntime-web
 * (WebAssembly, the runtime provmark ships) and, when DIR points at an installed onnxruntime-node package, under the
 * native runtime on the same inputs: model load, inference time for one image's batch of crops (the 4x4 grid), and
 * the largest logit difference between the two (they must agree for the calibration to hold).
 *
 * onnxruntime-node is not a dependency (its install script downloads CUDA parts); to compare, install it aside:
 *   mkdir /tmp/ortnode && cd /tmp/ortnode && npm i --ignore-scripts onnxruntime-node@1.30.0
 *   npm run bench:runtime -- --native /tmp/ortnode/node_modules/onnxruntime-node
 * Exits non-zero when the two runtimes' logits differ by more than 1e-3.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { loadCalibration, modelDirectory } from '../src/detect/model.js';
import { argValue, numberArg, xorshift32 } from './util.js';

interface Session {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
  outputNames: readonly string[];
}
interface Runtime {
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
  InferenceSession: { create(bytes: Uint8Array, options: object): Promise<Session> };
}

const runs = numberArg('--runs', 20);
const threads = numberArg('--threads', 1);
const nativeDir = argValue('--native');
const calibration = loadCalibration();
const bytes = new Uint8Array(readFileSync(join(modelDirectory(), calibration.file)));
const { crop, grid } = calibration.input;
const count = grid * grid;

// Crops with photo-like statistics are not needed for timing or parity: seeded uniform values in [0, 1) exercise
// every operator the same way.
const rand = xorshift32(12345);
const batch = new Float32Array(count * 3 * crop * crop);
for (let i = 0; i < batch.length; i++) batch[i] = rand();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function measure(
  name: string,
  ort: Runtime,
  options: object,
): Promise<{ name: string; load: number; infer: number; logits: Float32Array<ArrayBufferLike> }> {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(bytes, options);
  const load = performance.now() - t0;
  const feeds = { [calibration.input.name]: new ort.Tensor('float32', batch, [count, 3, crop, crop]) };
  let logits: Float32Array<ArrayBufferLike> = new Float32Array(0);
  const times: number[] = [];
  for (let r = 0; r < runs + 2; r++) {
    const t = performance.now();
    const out = await session.run(feeds);
    if (r >= 2) times.push(performance.now() - t); // two warm-up runs
    logits = out[session.outputNames[0]!]!.data as Float32Array;
  }
  return { name, load, infer: median(times), logits };
}

const web = (await import('onnxruntime-web')) as unknown as Runtime & {
  env: { wasm: { numThreads: number } };
};
web.env.wasm.numThreads = threads;
const results = [
  await measure(`onnxruntime-web (wasm, ${threads} thread${threads > 1 ? 's' : ''})`, web, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  }),
];
if (nativeDir) {
  const native = createRequire(import.meta.url)(nativeDir) as Runtime;
  results.push(
    await measure('onnxruntime-node (native CPU, 2 threads)', native, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 2,
      interOpNumThreads: 1,
    }),
  );
}

console.log(
  `detector ${calibration.name}@${calibration.version}: ${count} crops of ${crop}x${crop}, median of ${runs}`,
);
for (const r of results) {
  console.log(
    `${r.name.padEnd(44)} load ${r.load.toFixed(0).padStart(5)} ms   inference ${r.infer.toFixed(1).padStart(7)} ms`,
  );
}
let failed = false;
if (results.length === 2) {
  const [a, b] = results as [(typeof results)[0], (typeof results)[0]];
  let maxDiff = 0;
  for (let i = 0; i < a.logits.length; i++)
    maxDiff = Math.max(maxDiff, Math.abs(a.logits[i]! - b.logits[i]!));
  console.log(`ratio web/native inference: ${(a.infer / b.infer).toFixed(2)}x`);
  console.log(
    `max |logit difference| over ${a.logits.length} crops: ${maxDiff.toExponential(2)} (limit 1e-3)`,
  );
  if (!(maxDiff <= 1e-3)) {
    console.log('MISSED: the runtimes disagree');
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
