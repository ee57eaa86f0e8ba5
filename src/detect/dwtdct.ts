/**
 * Read side of the open "dwtDct" invisible watermark of the invisible-watermark Python library (ShieldMnt), which
 * the Stable Diffusion reference scripts embed: CompVis txt2img.py writes the bytes "StableDiffusionV1", and
 * Stability's SDXL/sgm scripts write fixed 48-bit messages. Written here from the published algorithm:
 *
 * 1. Convert RGB to YUV as OpenCV's COLOR_BGR2YUV does for 8-bit images (U = 0.492 (B - Y) + 128, rounded).
 * 2. One-level Haar DWT of the U plane over the largest region with sides a multiple of 4; keep the LL band
 *    (sum of each 2x2 block / 2 for the orthonormal Haar).
 * 3. Cut LL into 4x4 blocks in raster order; block k carries bit (k mod L). In each block take the entry with the
 *    largest magnitude, excluding the first; the bit is 1 when |v| mod 36 > 18 (the embedder quantised |v| to
 *    (floor(|v|/36) + 0.25 + 0.5 bit) 36).
 * 4. Average the votes per bit position; a bit is 1 when the mean exceeds 127/255.
 *
 * Despite the name, the library's dwtDct mode applies no DCT; this follows what it does. The mark does not
 * survive resizing, cropping or JPEG re-encoding well, so absence means nothing.
 */
import type { RgbPixels } from '../media/image.js';

/** A payload known to be embedded by a generator's reference code. */
export interface KnownDwtDctMark {
  readonly name: string;
  readonly bits: readonly number[];
}

function bytesToBits(text: string): number[] {
  const bits: number[] = [];
  for (const byte of new TextEncoder().encode(text)) for (let i = 7; i >= 0; i--) bits.push((byte >> i) & 1);
  return bits;
}

function binaryToBits(binary: string): number[] {
  return [...binary].map((c) => (c === '1' ? 1 : 0));
}

/** Payloads from public generator code (see MODEL_CARD.md for where each comes from). */
export const KNOWN_DWTDCT_MARKS: readonly KnownDwtDctMark[] = [
  // CompVis/stable-diffusion scripts/txt2img.py: set_watermark('bytes', "StableDiffusionV1".encode()).
  {
    name: 'Stable Diffusion 1.x reference script ("StableDiffusionV1")',
    bits: bytesToBits('StableDiffusionV1'),
  },
  // diffusers StableDiffusionXLWatermarker: WATERMARK_MESSAGE = 0b1011 0011 1110 1100 1001 0000 0111 1011 1011 0001 1001 1110.
  {
    name: 'Stable Diffusion XL (diffusers) 48-bit mark',
    bits: binaryToBits('101100111110110010010000011110111011000110011110'),
  },
  // Stability-AI/generative-models (sgm) WATERMARK_MESSAGE; bin() drops the two leading zeros, so 46 bits.
  {
    name: 'Stability AI generative-models (sgm) mark',
    bits: binaryToBits('1010101111111010000111100111001111010100101110'),
  },
];

/** Share of bits that must agree before a mark is reported (binomial tail below 1e-6 for 46+ bits). */
export const DWTDCT_MATCH_THRESHOLD = 0.9;
const SCALE = 36;
/** The library refuses images under 256 x 256 pixels (r * c < 65536); so do we. */
const MIN_PIXELS = 256 * 256;
/** Enough LL rows for many votes per bit while keeping a 12 MP image cheap. */
const MAX_ANALYSED_PIXELS = 1_000_000;

export interface DwtDctMatch {
  readonly mark: KnownDwtDctMark;
  readonly matchedBits: number;
  readonly totalBits: number;
}

/**
 * Decode each known payload length from the pixels and return the best-matching known mark, or undefined when
 * the image is too small. The caller decides whether the match share is enough.
 */
export function readDwtDctMarks(img: RgbPixels): DwtDctMatch | undefined {
  const { width, height, data } = img;
  if (width * height < MIN_PIXELS) return undefined;
  const cols = Math.floor(width / 4) * 4;
  let rows = Math.floor(height / 4) * 4;
  // Block numbering starts at the top-left, so analysing the first rows only keeps every bit's votes intact.
  rows = Math.min(rows, Math.max(32, Math.floor(MAX_ANALYSED_PIXELS / cols / 8) * 8));
  const llW = cols / 2;
  const llH = rows / 2;
  const ll = new Float64Array(llW * llH);
  for (let y = 0; y < llH; y++) {
    for (let x = 0; x < llW; x++) {
      let sum = 0;
      for (let dy = 0; dy < 2; dy++) {
        for (let dx = 0; dx < 2; dx++) {
          const p = ((2 * y + dy) * width + (2 * x + dx)) * 3;
          const r = data[p]!;
          const g = data[p + 1]!;
          const b = data[p + 2]!;
          const luma = 0.299 * r + 0.587 * g + 0.114 * b;
          sum += Math.min(255, Math.max(0, Math.round(0.492 * (b - luma) + 128)));
        }
      }
      ll[y * llW + x] = sum / 2;
    }
  }
  const blocksX = Math.floor(llW / 4);
  const blocksY = Math.floor(llH / 4);
  const blockBits = new Uint8Array(blocksX * blocksY);
  for (let by = 0; by < blocksY; by++) {
    for (let bx = 0; bx < blocksX; bx++) {
      let best = -1;
      let bestAbs = -1;
      for (let k = 1; k < 16; k++) {
        const v = Math.abs(ll[(by * 4 + (k >> 2)) * llW + bx * 4 + (k & 3)]!);
        if (v > bestAbs) {
          bestAbs = v;
          best = k;
        }
      }
      blockBits[by * blocksX + bx] = best >= 0 && bestAbs % SCALE > 0.5 * SCALE ? 1 : 0;
    }
  }
  let result: DwtDctMatch | undefined;
  for (const mark of KNOWN_DWTDCT_MARKS) {
    const len = mark.bits.length;
    const ones = new Float64Array(len);
    const counts = new Float64Array(len);
    for (let k = 0; k < blockBits.length; k++) {
      ones[k % len]! += blockBits[k]!;
      counts[k % len]! += 1;
    }
    let matched = 0;
    for (let i = 0; i < len; i++) {
      const bit = counts[i]! > 0 && (ones[i]! / counts[i]!) * 255 > 127 ? 1 : 0;
      if (bit === mark.bits[i]) matched++;
    }
    if (!result || matched / len > result.matchedBits / result.totalBits) {
      result = { mark, matchedBits: matched, totalBits: len };
    }
  }
  return result;
}
