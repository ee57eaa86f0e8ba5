/**
 * The tile: a TILE×TILE pattern (in working-domain pixels) made of GRID×GRID cells of CELL×CELL
 * pixels. The tile is divided into 4×4 sub-blocks of SUB×SUB pixels. The pilot occupies the same
 * key-chosen PILOT_PER_SUB cell positions, with the same signs, in every sub-block, so it is
 * periodic with period SUB: its spectrum is a few strong lines that the synchroniser can find
 * even on a cropped, rotated picture. The other cells carry the coded bits, each spread over ~3
 * cells scattered across the whole tile and multiplied by key-derived chip signs.
 */
import { CODED_BITS } from './code.js';
import { Rng } from './prng.js';

/** Tile period in working-domain pixels. */
export const TILE = 128;
/** Cell size in working-domain pixels. */
export const CELL = 4;
export const GRID = TILE / CELL;
export const CELLS = GRID * GRID;
/** Pilot period (working-domain pixels) and its size in cells. */
export const SUB = 32;
export const SUB_CELLS = SUB / CELL;
/** Pilot cells per sub-block (a quarter of the energy goes to the pilot). */
export const PILOT_PER_SUB = 16;
export const PILOT_CELLS = PILOT_PER_SUB * (TILE / SUB) ** 2;
export const DATA_CELLS = CELLS - PILOT_CELLS;

/**
 * Synchronisation template: four sinusoidal gratings whose frequency vectors (in cycles per tile)
 * are these integer pairs, so the template is periodic with the tile. The set is closed under the
 * square's 8 symmetries, so its spectrum looks the same whatever flip or quarter turn the picture
 * went through. A grating puts all its energy in one spectral line, which is what lets the
 * detector see it through the picture (the spread-spectrum pilot is far too diffuse for that).
 */
export const SYNC_FREQS: ReadonlyArray<readonly [number, number]> = [
  [22, 11],
  [22, -11],
  [11, 22],
  [-11, 22],
];
/** Peak amplitude of each grating relative to a cell's peak amplitude (1). */
export const SYNC_AMPLITUDE = 0.2;

/**
 * Smooth cell profile (half a sine period per cell): the mark has no hard block edges, so it
 * does not look like JPEG blocking and its energy sits at frequencies that survive resampling.
 */
export const PROFILE = Float32Array.from({ length: CELL }, (_, i) => Math.sin((Math.PI * (i + 0.5)) / CELL));

export interface TileLayout {
  /** Cell index of each pilot cell and its sign. */
  readonly pilotCells: Uint32Array;
  readonly pilotSigns: Int8Array;
  /** For each data cell: its cell index, the coded bit it carries, its chip sign. */
  readonly dataCells: Uint32Array;
  readonly dataBit: Uint16Array;
  readonly dataChip: Int8Array;
  /** Phase of each synchronisation grating. */
  readonly syncPhases: Float64Array;
}

const layouts = new Map<string, TileLayout>();

/** The key's tile layout (cached: detection uses it for every candidate). */
export function tileLayout(seed: Uint8Array): TileLayout {
  const id = Array.from(seed, (b) => b.toString(16).padStart(2, '0')).join('');
  const cached = layouts.get(id);
  if (cached) return cached;
  const subPerm = new Rng(seed, 'pilot-positions').permutation(SUB_CELLS * SUB_CELLS);
  const signRng = new Rng(seed, 'pilot-signs');
  const subSign = new Int8Array(SUB_CELLS * SUB_CELLS);
  for (let i = 0; i < PILOT_PER_SUB; i++) subSign[subPerm[i]!] = signRng.nextSign();
  const pilotCells: number[] = [];
  const pilotSigns: number[] = [];
  const data: number[] = [];
  for (let c = 0; c < CELLS; c++) {
    const gy = Math.floor(c / GRID) % SUB_CELLS;
    const gx = (c % GRID) % SUB_CELLS;
    const sign = subSign[gy * SUB_CELLS + gx]!;
    if (sign !== 0) {
      pilotCells.push(c);
      pilotSigns.push(sign);
    } else {
      data.push(c);
    }
  }
  const perm = new Rng(seed, 'data-cells').permutation(data.length);
  const chips = new Rng(seed, 'chips');
  const syncRng = new Rng(seed, 'sync');
  const dataCells = Uint32Array.from(perm, (i) => data[i]!);
  const dataBit = Uint16Array.from({ length: DATA_CELLS }, (_, i) => i % CODED_BITS);
  const dataChip = Int8Array.from({ length: DATA_CELLS }, () => chips.nextSign());
  const layout = {
    pilotCells: Uint32Array.from(pilotCells),
    pilotSigns: Int8Array.from(pilotSigns),
    dataCells,
    dataBit,
    dataChip,
    syncPhases: Float64Array.from(SYNC_FREQS, () => (syncRng.nextU32() / 2 ** 32) * 2 * Math.PI),
  };
  if (layouts.size > 32) layouts.clear();
  layouts.set(id, layout);
  return layout;
}

function paintCell(tile: Float32Array, cell: number, value: number): void {
  const cy = Math.floor(cell / GRID) * CELL;
  const cx = (cell % GRID) * CELL;
  for (let dy = 0; dy < CELL; dy++) {
    const row = (cy + dy) * TILE + cx;
    const py = PROFILE[dy]! * value;
    for (let dx = 0; dx < CELL; dx++) tile[row + dx] = py * PROFILE[dx]!;
  }
}

/**
 * Render the tile for `coded` (CODED_BITS channel bits), with `pilotWeight` and `dataWeight`
 * scaling the two parts. Values are roughly in [-1, 1].
 */
export function renderTile(
  layout: TileLayout,
  coded: Uint8Array | undefined,
  pilotWeight: number,
  dataWeight: number,
  syncWeight = 0,
): Float32Array {
  const tile = new Float32Array(TILE * TILE);
  for (let i = 0; i < layout.pilotCells.length; i++) {
    paintCell(tile, layout.pilotCells[i]!, pilotWeight * layout.pilotSigns[i]!);
  }
  if (coded) {
    for (let i = 0; i < DATA_CELLS; i++) {
      const sym = coded[layout.dataBit[i]!] ? 1 : -1;
      paintCell(tile, layout.dataCells[i]!, dataWeight * sym * layout.dataChip[i]!);
    }
  }
  if (syncWeight > 0) {
    for (let j = 0; j < SYNC_FREQS.length; j++) {
      const [kx, ky] = SYNC_FREQS[j]!;
      const phase = layout.syncPhases[j]!;
      for (let y = 0; y < TILE; y++) {
        for (let x = 0; x < TILE; x++) {
          tile[y * TILE + x]! += syncWeight * Math.cos((2 * Math.PI * (kx * x + ky * y)) / TILE + phase);
        }
      }
    }
  }
  return tile;
}

/** The pilot's SUB×SUB period (one sub-block of the pilot-only tile). */
export function renderPilotPeriod(layout: TileLayout): Float32Array {
  const tile = renderTile(layout, undefined, 1, 0);
  const out = new Float32Array(SUB * SUB);
  for (let y = 0; y < SUB; y++) for (let x = 0; x < SUB; x++) out[y * SUB + x] = tile[y * TILE + x]!;
  return out;
}
