import { describe, expect, it } from 'vitest';
import { compileGlob } from '../../src/batch/glob.js';

describe('compileGlob', () => {
  const cases: [string, string, boolean][] = [
    ['*.jpg', 'a.jpg', true],
    ['*.jpg', 'x/y/a.jpg', true], // no slash in the pattern: the file name is matched
    ['*.jpg', 'a.jpeg', false],
    ['*.{jpg,jpeg}', 'dir/a.jpeg', true],
    ['?.png', 'a.png', true],
    ['?.png', 'ab.png', false],
    ['[ab].png', 'b.png', true],
    ['[!ab].png', 'b.png', false],
    ['[a-c]x.png', 'cx.png', true],
    ['raw/*', 'raw/a.cr3', true],
    ['raw/*', 'raw/x/a.cr3', false],
    ['raw/**', 'raw/x/a.cr3', true],
    ['**/thumbs/*.jpg', 'thumbs/a.jpg', true],
    ['**/thumbs/*.jpg', '2024/05/thumbs/a.jpg', true],
    ['**/thumbs/*.jpg', '2024/05/thumbsx/a.jpg', false],
    ['a+b(1).jpg', 'a+b(1).jpg', true],
    ['a.jpg', 'axjpg', false],
    ['./sub/*.png', 'sub/c.png', true],
  ];
  for (const [pattern, path, expected] of cases) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${path}`, () => {
      expect(compileGlob(pattern)(path)).toBe(expected);
    });
  }

  it('rejects bad patterns with a clear error', () => {
    expect(() => compileGlob('')).toThrow(RangeError);
    expect(() => compileGlob('{a,b')).toThrow('Expected a closing }');
    expect(() => compileGlob(3 as unknown as string)).toThrow(TypeError);
  });
});
