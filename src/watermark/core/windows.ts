/**
 * Window search, the detector's fallback when the whole picture gives nothing: the mark's picture
 * may fill only part of the frame (a cell of a 2×2 collage, a picture pasted into a larger one).
 * Such a picture was shrunk, so in the working plane of the whole frame its tile is too small (at
 * half scale the template lines pass the half-resolution spectrum's Nyquist limit, and the cells
 * are 2 px wide). The window pass therefore reads the frame at four times the working area and
 * searches each quadrant, which is then exactly one working area, at that finer resolution: a
 * picture at half scale in a quadrant shows its tile at its embedded size.
 */
import { WORK_AREA } from './constants.js';
import { detectMark, type CoreDetection, type DetectParams } from './detect.js';

/** Area (pixels) of the plane {@link detectMarkInWindows} expects: four working areas. */
export const WINDOW_PLANE_AREA = 4 * WORK_AREA;
/** Smallest real picture area (pixels) for which the window pass is worth running. */
export const WINDOW_MIN_SOURCE_AREA = 2 * WORK_AREA;

/**
 * Search the four quadrants of `plane` (luma at about {@link WINDOW_PLANE_AREA}) with the
 * similarity search only (no affine fallback, no second look: fewer decodes per window). Returns
 * the first window whose decode is accepted, else the window with the clearest pilot.
 *
 * @example
 * ```ts
 * const r = detectMarkInWindows(lumaAtFourWorkingAreas, w, h, { seed });
 * ```
 */
export function detectMarkInWindows(
  plane: Float32Array,
  width: number,
  height: number,
  params: DetectParams,
): CoreDetection {
  const w2 = Math.floor(width / 2);
  const h2 = Math.floor(height / 2);
  let best: CoreDetection | undefined;
  const win = new Float32Array(w2 * h2);
  for (let wy = 0; wy < 2; wy++) {
    for (let wx = 0; wx < 2; wx++) {
      for (let y = 0; y < h2; y++) {
        const src = (wy * h2 + y) * width + wx * w2;
        win.set(plane.subarray(src, src + w2), y * w2);
      }
      const r = detectMark(win, w2, h2, params, { affine: false, secondLook: false });
      if (r.found) return r;
      if (!best || r.pilotZ > best.pilotZ) best = r;
    }
  }
  return best!;
}
