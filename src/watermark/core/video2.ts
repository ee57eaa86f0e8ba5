/**
 * Video watermark v2 (`org.provmark.watermark.video.2`): the image mark's translation-invariant
 * tile, held still in every frame, so crops, padding and picture-in-picture can be found again.
 *
 * Layout. The image mark's tile (pattern.ts: 32 × 32 cells of 4 working pixels, a quarter of them
 * a pilot periodic every 32 working pixels, the rest the 258 coded bits of code.ts spread over ~3
 * cells each, plus four sinusoidal gratings as the synchronisation template) repeated over the
 * frame. The working domain is the frame rescaled to {@link VIDEO2_WORK_AREA} pixels (256 × 256;
 * the image mark uses 512 × 512): a cell is about 15 px at 720p and 7.5 px at 360p, coarse enough
 * for CRF 28 at 360p, and a 720p frame holds 2.7 × 1.5 tiles. The field is rendered once per video
 * at the frame's resolution with a fixed peak amplitude (no per-frame masking: the embedder's
 * per-frame work is one saturating integer add, as in v1) and held unchanged in every frame, which
 * inter-frame prediction carries for free.
 *
 * Detection. The decoded frames (luma at twice the working resolution) are averaged over time:
 * the still mark adds up coherently while moving content and grain average out to a smooth
 * picture that the whitening removes. The average goes through the image detector unchanged
 * (detect.ts: whitening, grating search over scale 0.85–1.8 and any angle, the 8 symmetries of the
 * square on the pilot, folding, decoding) at three resolutions, {@link PLANE_SCALES}, so tile
 * scales 0.425–2.25 of the embedding are covered: a 9:16 centre crop (1.78×), a 20 % crop
 * (1.1–1.25×), a half-size picture-in-picture (0.5×), a 16:9 clip letterboxed into 9:16 (0.56×).
 *
 * Decision. The image mark's (detect.ts `acceptDecode`: keyed CRC-16, and pilot peak z ≥ 4.5 with
 * at most MAX_BIT_ERRORS codeword disagreements, or z ≥ 5.5 with at most 60) on each plane; three
 * times the image detector's decodes per clip (README.md, video section, gives the bound).
 */
import { encodePayload } from './code.js';
import { detectMark, type CoreDetection } from './detect.js';
import { downsampleBox } from './filters.js';
import { CELL, GRID, SYNC_AMPLITUDE, SYNC_FREQS, TILE, tileLayout, type TileLayout } from './pattern.js';

/** Working-domain area (pixels) that one frame is normalised to. */
export const VIDEO2_WORK_AREA = 256 * 256;
/**
 * Peak amplitude (luma levels) of a cell at strength 1; the gratings add 20 % each. The field's
 * RMS is 0.574 × the peak.
 */
export const VIDEO2_PEAK = 4;
/**
 * Resolutions (working pixels per embedding working pixel) at which the time average is searched.
 * The image detector covers tile scales 0.85–1.8 of its plane, so these cover 0.425–2.25 of the
 * embedding after area normalisation: 1 for untouched framing and small crops, 0.8 for large crops
 * (a 9:16 centre crop enlarges the tile 1.78×), 2 for padding and picture-in-picture (the picture
 * shrinks: 0.5× at half size, 0.56× for a 16:9 clip letterboxed into 9:16).
 */
const PLANE_SCALES = [1, 0.8, 2] as const;

/** Working-domain pixels per frame pixel. */
export function video2Scale(width: number, height: number): number {
  return Math.sqrt(VIDEO2_WORK_AREA / (width * height));
}

/** Each cell's signed amplitude (pilot sign, or chip × coded bit), GRID × GRID. */
function cellValues(layout: TileLayout, coded: Uint8Array): Float32Array {
  const v = new Float32Array(GRID * GRID);
  for (let i = 0; i < layout.pilotCells.length; i++) v[layout.pilotCells[i]!] = layout.pilotSigns[i]!;
  for (let i = 0; i < layout.dataCells.length; i++) {
    v[layout.dataCells[i]!] = (coded[layout.dataBit[i]!] ? 1 : -1) * layout.dataChip[i]!;
  }
  return v;
}

/** Per pixel along one axis: the tile cell it falls in, its half-sine weight, and its working coordinate. */
function axis(px: number, s: number): { cell: Int32Array; weight: Float32Array; pos: Float64Array } {
  const cell = new Int32Array(px);
  const weight = new Float32Array(px);
  const pos = new Float64Array(px);
  for (let x = 0; x < px; x++) {
    const u = (x + 0.5) * s; // continuous working coordinate (working pixel i spans [i, i + 1))
    const c = Math.floor(u / CELL);
    cell[x] = ((c % GRID) + GRID) % GRID;
    weight[x] = Math.sin((Math.PI * (u - c * CELL)) / CELL);
    pos[x] = u - 0.5; // the tile's sample index (renderTile samples gratings at integer indices)
  }
  return { cell, weight, pos };
}

/**
 * The v2 luma offset for a `width` × `height` frame carrying `payload` (8 bytes), rounded to whole
 * levels (adding a rounded offset to an 8-bit sample equals rounding after a real add, up to ties).
 * The tile is evaluated analytically at every pixel (cells: product of half-sines; gratings: cosines),
 * so the field is smooth at any scale.
 */
export function planVideoMarkV2(
  seed: Uint8Array,
  payload: Uint8Array,
  width: number,
  height: number,
  strength: number,
): Int8Array {
  const s = video2Scale(width, height);
  const layout = tileLayout(seed);
  const cells = cellValues(layout, encodePayload(payload, seed));
  const peak = VIDEO2_PEAK * strength;
  const g = SYNC_AMPLITUDE * peak;
  const ax = axis(width, s);
  const ay = axis(height, s);
  const nf = SYNC_FREQS.length;
  // cos(a + b) = cos a cos b − sin a sin b: column tables once, row factors per row.
  const cosX = new Float32Array(nf * width);
  const sinX = new Float32Array(nf * width);
  for (let j = 0; j < nf; j++) {
    const kx = SYNC_FREQS[j]![0];
    for (let x = 0; x < width; x++) {
      const a = (2 * Math.PI * kx * ax.pos[x]!) / TILE;
      cosX[j * width + x] = Math.cos(a);
      sinX[j * width + x] = Math.sin(a);
    }
  }
  const out = new Int8Array(width * height);
  const cy = new Float32Array(nf);
  const sy = new Float32Array(nf);
  for (let y = 0; y < height; y++) {
    for (let j = 0; j < nf; j++) {
      const b = (2 * Math.PI * SYNC_FREQS[j]![1] * ay.pos[y]!) / TILE + layout.syncPhases[j]!;
      cy[j] = g * Math.cos(b);
      sy[j] = g * Math.sin(b);
    }
    const rowCells = ay.cell[y]! * GRID;
    const wy = ay.weight[y]! * peak;
    const o = y * width;
    for (let x = 0; x < width; x++) {
      let v = cells[rowCells + ax.cell[x]!]! * wy * ax.weight[x]!;
      for (let j = 0; j < nf; j++) v += cosX[j * width + x]! * cy[j]! - sinX[j * width + x]! * sy[j]!;
      out[o + x] = Math.round(v);
    }
  }
  return out;
}

/** A v2 detection: the core result of the plane that decided, and the frames used. */
export interface Video2Detection extends CoreDetection {
  readonly frames: number;
}

/** Bilinear resample of a plane to `ow` × `oh` (used for mild reductions only). */
function resample(src: Float32Array, w: number, h: number, ow: number, oh: number): Float32Array {
  const out = new Float32Array(ow * oh);
  const fx = w / ow;
  const fy = h / oh;
  for (let y = 0; y < oh; y++) {
    const v = Math.min(h - 1, Math.max(0, (y + 0.5) * fy - 0.5));
    const y0 = Math.floor(v);
    const y1 = Math.min(h - 1, y0 + 1);
    const ay = v - y0;
    for (let x = 0; x < ow; x++) {
      const u = Math.min(w - 1, Math.max(0, (x + 0.5) * fx - 0.5));
      const x0 = Math.floor(u);
      const x1 = Math.min(w - 1, x0 + 1);
      const ax = u - x0;
      const top = src[y0 * w + x0]! + ax * (src[y0 * w + x1]! - src[y0 * w + x0]!);
      const bottom = src[y1 * w + x0]! + ax * (src[y1 * w + x1]! - src[y1 * w + x0]!);
      out[y * ow + x] = top + ay * (bottom - top);
    }
  }
  return out;
}

/**
 * Streaming v2 detector. Frames are 8-bit luma at {@link width} × {@link height} (twice the working
 * resolution for the decoded video's aspect); they are summed, and {@link finish} runs the image
 * detector on their time average at three resolutions.
 */
export class VideoMarkDetectorV2 {
  readonly width: number;
  readonly height: number;
  private readonly seed: Uint8Array;
  private readonly sum: Float32Array;
  private n = 0;

  /** `width` × `height`: the decoded video's size. */
  constructor(seed: Uint8Array, width: number, height: number) {
    const s = video2Scale(width, height);
    this.width = 2 * Math.max(1, Math.round(width * s));
    this.height = 2 * Math.max(1, Math.round(height * s));
    this.seed = seed;
    this.sum = new Float32Array(this.width * this.height);
  }

  get frames(): number {
    return this.n;
  }

  addFrame(frame: Uint8Array): void {
    const sum = this.sum;
    for (let i = 0; i < sum.length; i++) sum[i]! += frame[i]!;
    this.n++;
  }

  /** The decision over the frames seen so far (at least one). */
  finish(): Video2Detection {
    const { width: w, height: h, seed } = this;
    const mean = Float32Array.from(this.sum, (v) => v / this.n);
    const results: Video2Detection[] = [];
    for (const r of PLANE_SCALES) {
      let plane: Float32Array = mean;
      let pw = w;
      let ph = h;
      if (r !== 2) {
        const work = downsampleBox(mean, w, h, 2);
        pw = Math.round(work.w * r);
        ph = Math.round(work.h * r);
        plane = r === 1 ? work.data : resample(work.data, work.w, work.h, pw, ph);
      }
      const d = detectMark(plane, pw, ph, { seed });
      const result = { ...d, scale: d.scale / r, frames: this.n };
      if (d.found) return result;
      results.push(result);
    }
    return results.reduce((a, b) => (b.pilotZ > a.pilotZ ? b : a));
  }
}
