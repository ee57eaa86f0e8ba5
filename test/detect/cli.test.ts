import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { photoLikePng, tEXt, withPngChunk } from './make.js';

describe('provmark detect', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provmark-detect-'));
    const params = 'p\nSteps: 20, Sampler: Euler, Seed: 1';
    await writeFile(
      join(dir, 'gen.png'),
      withPngChunk(await photoLikePng(), 'tEXt', tEXt('parameters', params)),
    );
    await writeFile(join(dir, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('--json prints one { file, label, score, evidence } object per file', async () => {
    const chunks: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
      chunks.push(String(c));
      return true;
    });
    const files = [join(dir, 'gen.png'), join(dir, 'broken.jpg')];
    try {
      await buildProgram().parseAsync(['node', 'provmark', 'detect', '--json', ...files]);
    } finally {
      spy.mockRestore();
    }
    const lines = chunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      // Several files are judged in parallel and each line is written as its file completes: `index` gives the order.
      .sort((a, b) => (a.index as number) - (b.index as number));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ file: files[0], label: 'likely-synthetic' });
    expect((lines[0]!.evidence as { source: string }[])[0]!.source).toBe('PNG tEXt "parameters"');
    expect(lines[1]).toMatchObject({ file: files[1], label: 'inconclusive', score: null, reason: 'corrupt' });
    expect(process.exitCode ?? 0).toBe(0);
  });
});
