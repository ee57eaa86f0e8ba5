/**
 * The built-in schemes, one registration line each. Adding a scheme: its folder next to these and
 * one line here (ARCHITECTURE.md, "Add a watermark scheme"). Within a medium the newest version
 * embeds; older ones stay registered so their marks are still read.
 */
import { audioWatermarkV1 } from './audio/index.js';
import { imageWatermarkV1 } from './image/index.js';
import { registerBuiltInScheme } from './registry.js';
import { videoWatermarkV1 } from './video/index.js';

registerBuiltInScheme(imageWatermarkV1);
registerBuiltInScheme(videoWatermarkV1);
registerBuiltInScheme(audioWatermarkV1);
