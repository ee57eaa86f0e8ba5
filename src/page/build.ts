/**
 * Build the verify page's assets with esbuild (the bundler tsup and tsx already use): the page
 * script and its worker as browser ES modules, plus the HTML and stylesheet as they are. Used by
 * `npm run build` (written to dist/page) and by a development checkout's server (in memory).
 * esbuild is a devDependency: the published package ships the built assets and never calls this.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../errors.js';

/** Asset file name -> bytes. */
export type PageAssets = ReadonlyMap<string, Uint8Array>;

/** Browser baseline: module workers, OffscreenCanvas, `createImageBitmap` options, top-level await. */
const TARGET = ['chrome111', 'firefox114', 'safari16.4'];

/**
 * The page bundles the watermark registry's descriptors (the manifest summary asks it which
 * identifiers are watermark schemes) but never a scheme's adapter: the dynamic imports inside
 * src/watermark/schemes load Node-only code (sharp, ffmpeg) and are left out, as imports the page
 * never runs. The page reads the image mark with watermark/core in its worker.
 */
const schemeAdaptersStayOut: import('esbuild').Plugin = {
  name: 'provmark-scheme-adapters-stay-out',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) =>
      args.kind === 'dynamic-import' && /[\\/]watermark[\\/]schemes[\\/]/.test(args.importer)
        ? { path: args.path, external: true }
        : undefined,
    );
  },
};

/** Build the page from `src/page/client` (next to this file in a checkout). */
export async function buildPageAssets(options: { readonly minify?: boolean } = {}): Promise<PageAssets> {
  const clientDir = fileURLToPath(new URL('./client/', import.meta.url));
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (err) {
    throw new EngineError('Cannot build the verify page: esbuild is not installed', {
      hint: 'Run `npm install` in the provmark checkout, or `npm run build` to ship built assets.',
      cause: err,
    });
  }
  const result = await esbuild.build({
    entryPoints: { main: `${clientDir}main.ts`, worker: `${clientDir}worker.ts` },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: TARGET,
    minify: options.minify ?? true,
    sourcemap: false,
    write: false,
    outdir: '/page',
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [schemeAdaptersStayOut],
  });
  const assets = new Map<string, Uint8Array>();
  for (const f of result.outputFiles) assets.set(f.path.replace(/^.*\//, ''), f.contents);
  for (const name of ['index.html', 'style.css']) {
    assets.set(name, new Uint8Array(await readFile(`${clientDir}${name}`)));
  }
  return assets;
}
