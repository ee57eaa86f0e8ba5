import { defineConfig } from 'tsup';

// One entry per public subpath plus the CLI. Dependencies stay external so heavy modules
// (sharp, the C2PA engine, onnxruntime, database drivers) load only when used.
const subpaths = ['sign', 'verify', 'watermark', 'detect', 'repository', 'server', 'likeness'];

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'cli/main': 'src/cli/main.ts',
    // Worker-thread entry of batch work (src/batch/pool.ts starts dist/batch/worker.js).
    'batch/worker': 'src/batch/worker.ts',
    ...Object.fromEntries(subpaths.map((s) => [`${s}/index`, `src/${s}/index.ts`])),
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  shims: true,
  // esbuild builds the verify page in a checkout (src/page/build.ts); the package ships dist/page.
  external: ['esbuild'],
});
