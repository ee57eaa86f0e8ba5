/**
 * Geometry shared by embedder and detector. The mark lives in a "working domain": the image
 * rescaled to about WORK_AREA pixels whatever its size, so a resize changes nothing for the
 * detector (it rescales to the same area) and only crops change the apparent tile period.
 */
export const WORK_AREA = 512 * 512;

/** Working-domain pixels per image pixel for a width × height image. */
export function workingScale(width: number, height: number): number {
  return Math.sqrt(WORK_AREA / (width * height));
}

/** Smallest short side (px) accepted for embedding. */
export const MIN_EMBED_SIDE = 256;
/** Smallest short side (px) at which detection is attempted. */
export const MIN_DETECT_SIDE = 128;
