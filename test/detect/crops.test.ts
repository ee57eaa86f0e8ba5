import { describe, expect, it } from 'vitest';
import { extractCrops, gridOffsets, usableHeight } from '../../src/detect/crops.js';

function pixels(width: number, height: number): { data: Uint8Array; width: number; height: number } {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919 + (i >> 5)) % 251;
  return { data, width, height };
}

describe('crop protocol', () => {
  it('places even offsets that cover the usable area and drops the bottom rows', () => {
    expect(gridOffsets(256, 96, 3)).toEqual([0, 80, 160]);
    expect(gridOffsets(95, 96, 3)).toEqual([]);
    for (const o of gridOffsets(301, 96, 4)) expect(o % 2).toBe(0);
    expect(usableHeight(1000, { crop: 96, grid: 3, bottomDiscard: 0.06 })).toBe(940);
  });

  it('with flip, appends the mirror image of every grid crop after the unflipped ones', () => {
    const img = pixels(300, 200);
    const p = { crop: 16, grid: 3, bottomDiscard: 0.06 };
    const plain = extractCrops(img, p)!;
    const both = extractCrops(img, { ...p, flip: true })!;
    expect(plain.count).toBe(9);
    expect(both.count).toBe(18);
    const per = 3 * 16 * 16;
    expect(both.data.subarray(0, 9 * per)).toEqual(plain.data);
    for (let k = 0; k < 9; k++)
      for (let ch = 0; ch < 3; ch++)
        for (let y = 0; y < 16; y++)
          for (let x = 0; x < 16; x++) {
            const a = plain.data[k * per + ch * 256 + y * 16 + x];
            const b = both.data[(9 + k) * per + ch * 256 + y * 16 + (15 - x)];
            expect(b).toBe(a);
          }
  });

  it('returns undefined when the usable area is smaller than one crop', () => {
    expect(extractCrops(pixels(100, 100), { crop: 96, grid: 3, bottomDiscard: 0.06 })).toBeUndefined();
  });
});
