/**
 * Child-process probe for test/side-effects.test.ts: imports one module (argv[2]: a path to a source
 * file, a built ESM file, or a built .cjs file to require) in a fresh process and prints, as JSON,
 * what the import changed in global state. argv[3] === 'use' then makes development credentials,
 * the first thing that needs @peculiar/x509, to show the patch happens on use.
 */
import * as ed from '@noble/ed25519';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [target, use] = process.argv.slice(2);
const nobleHash = ed.hashes.sha512Async;
const globalsBefore = Object.getOwnPropertyNames(globalThis);
const reflectBefore = Reflect.ownKeys(Reflect).map(String);
const require = createRequire(import.meta.url);

const mod = (
  target!.endsWith('.cjs') ? require(target!) : await import(pathToFileURL(target!).href)
) as Record<string, unknown>;

const loaded = (name: string) => Object.keys(require.cache).some((p) => p.includes(`/node_modules/${name}/`));
const result = {
  exports: Object.keys(mod).length,
  globalsAdded: Object.getOwnPropertyNames(globalThis).filter((n) => !globalsBefore.includes(n)),
  reflectAdded: Reflect.ownKeys(Reflect)
    .map(String)
    .filter((n) => !reflectBefore.includes(n)),
  nobleHashReplaced: ed.hashes.sha512Async !== nobleHash,
  // Only a require()d build fills require.cache; for ESM these stay false either way.
  requiredX509: loaded('@peculiar/x509'),
  requiredReflectMetadata: loaded('reflect-metadata'),
  reflectAfterUse: undefined as string | undefined,
};
if (use === 'use') {
  await (mod.generateDevCredentials as () => Promise<unknown>)();
  result.reflectAfterUse = typeof (Reflect as unknown as { getMetadata?: unknown }).getMetadata;
}
process.stdout.write(JSON.stringify(result));
