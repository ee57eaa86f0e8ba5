import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as Root from '../src/index.js';
import type * as RepositoryPath from '../src/repository/index.js';
import type * as VerifyPath from '../src/verify/index.js';

/** The README promises `provmark` (the root) has everything the subpaths have. */
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, unknown>;
};
const subpaths = Object.keys(pkg.exports)
  .filter((k) => k !== '.' && k !== './package.json')
  .map((k) => k.slice(2));

describe('root export', () => {
  it('lists the subpaths the package declares', () => {
    expect(subpaths).toEqual(
      expect.arrayContaining(['sign', 'verify', 'watermark', 'detect', 'repository', 'server']),
    );
  });

  it.each(subpaths)('holds every value export of provmark/%s', async (sub) => {
    const root = (await import('../src/index.js')) as Record<string, unknown>;
    const mod = (await import(`../src/${sub}/index.ts`)) as Record<string, unknown>;
    const names = Object.keys(mod);
    expect(names.length).toBeGreaterThan(0);
    const missing = names.filter((n) => !(n in root));
    expect(missing, `missing from the root export: ${missing.join(', ')}`).toEqual([]);
    for (const n of names) expect(root[n], n).toBe(mod[n]);
  });
});

describe('type names', () => {
  it('names the two manifest summaries apart and keeps the old names as aliases (type-checked)', () => {
    // What a manifest says (verify) and what a repository lists are different types with different names.
    expectTypeOf<Root.ManifestContentSummary>().toEqualTypeOf<VerifyPath.ManifestContentSummary>();
    expectTypeOf<Root.StoredManifestSummary>().toEqualTypeOf<RepositoryPath.StoredManifestSummary>();
    expectTypeOf<Root.ManifestContentSummary>().not.toEqualTypeOf<Root.StoredManifestSummary>();
    expectTypeOf<Root.ListPage['items'][number]>().toEqualTypeOf<Root.StoredManifestSummary>();
    expectTypeOf<
      NonNullable<Root.ManifestReport['activeManifest']>
    >().toEqualTypeOf<Root.ManifestContentSummary>();
    // The deprecated names still compile, each meaning what it meant before.
    expectTypeOf<Root.ManifestSummary>().toEqualTypeOf<Root.ManifestContentSummary>();
    expectTypeOf<VerifyPath.ManifestSummary>().toEqualTypeOf<Root.ManifestContentSummary>();
    expectTypeOf<Root.RepositoryManifestSummary>().toEqualTypeOf<Root.StoredManifestSummary>();
    expectTypeOf<RepositoryPath.ManifestSummary>().toEqualTypeOf<Root.StoredManifestSummary>();
  });
});
