/**
 * The folder rule of issue 11: the signing building blocks in src/sign/ do not reach src/verify/
 * or the orchestration (src/flows/), directly or through anything they import. The barrel
 * src/sign/index.ts is the `provmark/sign` entry and re-exports the orchestration's sign() and
 * protect(), so it is the one file left out.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Relative imports of a source file (static, re-exports and dynamic), resolved to .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g),
    ...text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g),
  ].map((m) => m[1]!);
  return specs.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

/** Every file reachable from `start` through relative imports. */
function reachable(start: string): Set<string> {
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...importsOf(f));
  }
  return seen;
}

describe('src/sign/ does not import src/verify/ or src/flows/', () => {
  const files = readdirSync(join(SRC, 'sign'))
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .map((f) => join(SRC, 'sign', f));

  it.each(files.map((f) => [relative(SRC, f), f]))('%s', (_name, file) => {
    const bad = [...reachable(file)]
      .map((f) => relative(SRC, f))
      .filter((f) => f.startsWith('verify/') || f.startsWith('flows/'));
    expect(bad).toEqual([]);
  });

  it('the checker sees an import (src/flows/sign.ts reaches verify/)', () => {
    const seen = [...reachable(join(SRC, 'flows', 'sign.ts'))].map((f) => relative(SRC, f));
    expect(seen).toContain('verify/verify.ts');
  });
});
