/**
 * The built-in schemes, one registration line each. Adding a scheme: its folder next to these and
 * one line here (ARCHITECTURE.md, "Recipe: add a watermark scheme"). Within a medium the newest version
 * that takes a format marks it; older ones stay listed so their marks are still read.
 */
import { audioWatermarkV1 } from './audio/index.js';
import { audioWatermarkV2 } from './audio-2/index.js';
import { imageWatermarkV1 } from './image/index.js';
import type { WatermarkScheme } from './types.js';
import { videoWatermarkV1 } from './video/index.js';
import { videoWatermarkV2 } from './video-2/index.js';

export const builtInSchemes: readonly WatermarkScheme[] = [
  imageWatermarkV1,
  videoWatermarkV1,
  videoWatermarkV2,
  audioWatermarkV1,
  audioWatermarkV2,
];
