import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

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
