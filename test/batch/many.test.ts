import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectMany, detectWatermarkMany, inspectMany, verifyMany, type BatchItem } from '../../src/index.js';
import { embedImageWatermark } from '../../src/watermark/index.js';
import { photoLike } from '../helpers/photo.js';

let dir: string;
let files: string[];
const PAYLOAD = '0123456789abcdef';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'provmark-many-'));
  await mkdir(join(dir, 'sub'));
  const photo = await photoLike(512, 384, 11);
  files = [join(dir, 'plain.jpg'), join(dir, 'sub', 'marked.jpg'), join(dir, 'notes.txt')];
  await writeFile(files[0]!, photo);
  await writeFile(files[1]!, await embedImageWatermark(photo, { payload: PAYLOAD }));
  await writeFile(files[2]!, 'not an image');
});

async function all<R>(it: AsyncIterable<BatchItem<R>>): Promise<BatchItem<R>[]> {
  const out: BatchItem<R>[] = [];
  for await (const item of it) out.push(item);
  return out;
}

describe('…Many async iterators', () => {
  for (const jobs of [0, 2]) {
    it(`detectWatermarkMany walks a directory and yields one item per file (jobs ${jobs})`, async () => {
      const items = await all(detectWatermarkMany([dir, join(dir, 'missing.jpg')], { jobs }));
      expect(items).toHaveLength(4);
      expect(items.map((i) => i.index).sort()).toEqual([0, 1, 2, 3]);
      const by = new Map(items.map((i) => [i.path, i]));
      expect(by.get(files[1]!)?.report).toMatchObject({ found: true, payload: PAYLOAD });
      expect(by.get(files[0]!)?.report).toMatchObject({ found: false });
      expect(by.get(join(dir, 'missing.jpg'))).toMatchObject({
        index: 3,
        error: { code: 'ERR_FILE_NOT_FOUND' },
      });
    });
  }

  it('include/exclude choose files inside directories', async () => {
    const items = await all(detectWatermarkMany([dir], { jobs: 1, include: ['*.jpg'], exclude: ['sub'] }));
    expect(items.map((i) => i.path)).toEqual([files[0]]);
  });

  it('verifyMany and inspectMany report each file; a non-image is a report, not an exception', async () => {
    const v = await all(verifyMany([files[0]!, files[2]!], { jobs: 2 }));
    expect(v).toHaveLength(2);
    for (const item of v) expect(item.report?.state).toBe('absent');
    const i = await all(inspectMany([files[0]!], { jobs: 1, detector: false }));
    expect(i[0]?.report?.verdict).toBe('no-provenance');
  });

  it('detectMany runs the model on each image', async () => {
    const items = await all(detectMany([files[0]!, files[1]!], { jobs: 1 }));
    expect(items).toHaveLength(2);
    for (const item of items) expect(typeof item.report?.score).toBe('number');
  });

  it('stopping early ends the workers (the loop returns, the process does not hang)', async () => {
    const many = Array.from({ length: 50 }, () => files[0]!);
    let n = 0;
    for await (const item of detectWatermarkMany(many, { jobs: 2 })) {
      expect(item.report?.found).toBe(false);
      if (++n === 3) break;
    }
    expect(n).toBe(3);
  });

  it('pulls paths only as fast as results are consumed (bounded memory)', async () => {
    let pulled = 0;
    function* paths(): Generator<string> {
      for (let i = 0; i < 500; i++) {
        pulled++;
        yield files[0]!;
      }
    }
    const it = detectWatermarkMany(paths(), { jobs: 1 });
    const first = await it.next();
    expect(first.done).toBe(false);
    await new Promise((r) => setTimeout(r, 2000)); // the consumer stalls; the worker finishes what it has
    // 1 worker: 2 files in flight or waiting for the consumer, plus the one the feeder holds while it waits.
    expect(pulled).toBeLessThanOrEqual(4);
    await it.return(undefined);
  });

  it('an async iterable source works and bad arguments are TypeError/RangeError', async () => {
    async function* gen(): AsyncGenerator<string> {
      yield files[1]!;
    }
    const items = await all(detectWatermarkMany(gen(), { jobs: 1 }));
    expect(items[0]?.report?.found).toBe(true);
    expect(() => detectMany('a.jpg' as unknown as string[])).toThrow(TypeError);
    expect(() => detectMany([], { jobs: -1 })).toThrow(
      'Expected integer between 0 and 256 for jobs but received -1',
    );
  });

  it('a repository that cannot be opened fails the whole run once, with its code', async () => {
    await expect(all(inspectMany([files[0]!], { jobs: 1, repository: 'ftp://nowhere' }))).rejects.toThrow(
      RangeError,
    );
  });
});
