import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * Importing provmark (the root, provmark/verify, provmark/watermark …) must change nothing global:
 * no Reflect metadata polyfill, no tslib helpers on globalThis, no replaced noble hash. The patch
 * @peculiar/x509 needs happens when a certificate is first parsed or made (src/sign/x509.ts).
 * Each import runs in a fresh process (test/import-probe.ts); the built package is checked when
 * `dist/` exists (`npx tsup`), as in CI where the build runs before the tests.
 */
const root = resolve(import.meta.dirname, '..');
const probe = resolve(import.meta.dirname, 'import-probe.ts');

interface Probe {
  exports: number;
  globalsAdded: string[];
  reflectAdded: string[];
  nobleHashReplaced: boolean;
  requiredX509: boolean;
  requiredReflectMetadata: boolean;
  reflectAfterUse?: string;
}

async function probeImport(target: string, use = false): Promise<Probe> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', probe, resolve(root, target), ...(use ? ['use'] : [])],
    { cwd: root, timeout: 60_000 },
  );
  return JSON.parse(stdout) as Probe;
}

function expectNoPatch(p: Probe): void {
  expect(p.exports).toBeGreaterThan(0);
  expect(p.globalsAdded).toEqual([]);
  expect(p.reflectAdded).toEqual([]);
  expect(p.nobleHashReplaced).toBe(false);
  expect(p.requiredX509).toBe(false);
  expect(p.requiredReflectMetadata).toBe(false);
}

describe('importing provmark patches nothing global', () => {
  it.each(['src/index.ts', 'src/verify/index.ts', 'src/watermark/index.ts', 'src/sign/index.ts'])(
    '%s',
    async (entry) => expectNoPatch(await probeImport(entry)),
  );

  it('x509 and its Reflect polyfill load when development credentials are first made', async () => {
    const p = await probeImport('src/index.ts', true);
    expectNoPatch({ ...p });
    expect(p.reflectAfterUse).toBe('function');
  });

  const built = existsSync(resolve(root, 'dist/index.js'));
  describe.skipIf(!built)('the built package (dist/)', () => {
    it.each([
      'dist/index.js',
      'dist/index.cjs',
      'dist/verify/index.js',
      'dist/verify/index.cjs',
      'dist/watermark/index.js',
      'dist/watermark/index.cjs',
    ])('%s', async (entry) => expectNoPatch(await probeImport(entry)));

    it('an error from the CJS build is a provmark error to the ESM build and back; Node errors to neither', async () => {
      type Errors = typeof import('../src/errors.js');
      const cjs = createRequire(import.meta.url)(resolve(root, 'dist/index.cjs')) as Errors;
      const esm = (await import(
        /* @vite-ignore */ pathToFileURL(resolve(root, 'dist/index.js')).href
      )) as Errors;
      expect(cjs.ProvmarkError).not.toBe(esm.ProvmarkError);
      expect(esm.isProvmarkError(new cjs.CorruptMediaError('x'))).toBe(true);
      expect(cjs.isProvmarkError(new esm.RepositoryError('ERR_CONFLICT', 'x'))).toBe(true);
      const nodeError = Object.assign(new RangeError('x'), { code: 'ERR_OUT_OF_RANGE' });
      expect(esm.isProvmarkError(nodeError) || cjs.isProvmarkError(nodeError)).toBe(false);
    });

    it('dist/index.cjs makes credentials with x509 loaded on use', async () => {
      const p = await probeImport('dist/index.cjs', true);
      expect(p.globalsAdded).toEqual([]);
      expect(p.reflectAfterUse).toBe('function');
    });
  });
  if (!built) it.skip('dist/ is not built (npx tsup): the built package is not checked', () => undefined);
});

describe('package.json sideEffects', () => {
  it('lists only the entries that run something when loaded', () => {
    const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { sideEffects?: unknown };
    expect(pkg.sideEffects).toEqual([
      './dist/cli/main.js',
      './dist/cli/main.cjs',
      './dist/batch/worker.js',
      './dist/batch/worker.cjs',
    ]);
  });
});
