/**
 * Where the server finds the verify page: built into `dist/page` in the package (`npm run build`),
 * or built from `src/page/client` on first use when the server runs from a checkout's sources
 * (`npm run provmark -- serve`, tests), so a development server never serves a stale build.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../errors.js';
import type { PageAssets } from './build.js';

/** The page's files, as built. */
export const PAGE_FILES = ['index.html', 'main.js', 'worker.js', 'style.css'] as const;

let cached: Promise<PageAssets> | undefined;

/** Load (once) the page assets for this installation. */
export function loadPageAssets(): Promise<PageAssets> {
  cached ??= load().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function load(): Promise<PageAssets> {
  const here = fileURLToPath(import.meta.url);
  if (/[\\/]src[\\/]page[\\/]assets\.[cm]?[jt]s$/.test(here)) {
    const { buildPageAssets } = await import('./build.js');
    return buildPageAssets();
  }
  const dir = join(packageRoot(dirname(here)), 'dist', 'page');
  const assets = new Map<string, Uint8Array>();
  try {
    for (const name of PAGE_FILES) assets.set(name, new Uint8Array(await readFile(join(dir, name))));
  } catch (err) {
    throw new EngineError(`The verify page is missing from ${dir}`, {
      hint: 'Build it with `npm run build` (or `npm run build:page`).',
      cause: err,
    });
  }
  return assets;
}

/** The nearest folder above `dir` whose package.json names provmark (dist chunks sit at any depth). */
function packageRoot(dir: string): string {
  const require = createRequire(join(dir, 'noop.js'));
  for (let d = dir; ; d = dirname(d)) {
    try {
      const pkg = require(join(d, 'package.json')) as { name?: string };
      if (pkg.name === 'provmark') return d;
    } catch {
      // keep walking up
    }
    if (dirname(d) === d) return dir;
  }
}

/** Path of the C2PA engine's WebAssembly module in the installed @contentauth/c2pa-wasm. */
export function engineWasmPath(): string {
  return createRequire(import.meta.url).resolve('@contentauth/c2pa-wasm/c2pa.wasm');
}
