/**
 * Faces: detection (SSD-MobileNetV1), 68-point landmarks and the 128-d recognition descriptor (dlib's
 * ResNet, public domain), all from `@vladmandic/face-api` 1.7.15 running on TensorFlow.js with the
 * WebAssembly backend. The weights ship in that package's `model/` folder and are read from disk on
 * first use, once per process: nothing is downloaded. See MODEL_CARD.md for what the models can and
 * cannot do.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ModelLoadError } from '../errors.js';

/** Identifies the descriptor space; stored next to each descriptor so a model change is detectable. */
export const FACE_MODEL_ID = 'face-api-1.7.15/dlib-resnet-128';

/** Length of a face descriptor. */
export const DESCRIPTOR_LENGTH = 128;

/** Default detector confidence: the package's own default for SSD-MobileNetV1. */
export const DEFAULT_MIN_CONFIDENCE = 0.5;

/** A face box in the pixel grid of the image it was found in. */
export interface FaceBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface DetectedFace {
  readonly box: FaceBox;
  /** Detector confidence, 0–1. */
  readonly score: number;
  /** The 128-d recognition descriptor (compare with Euclidean distance). */
  readonly descriptor: Float32Array;
}

/** Pixels to look for faces in: interleaved 8-bit RGB, row-major. */
export interface FacePixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface DetectFacesOptions {
  /** Detector confidence threshold, 0–1 (default {@link DEFAULT_MIN_CONFIDENCE}). */
  readonly minConfidence?: number;
  /**
   * Edge-pad the image by half its size on each side: `'retry'` looks again padded when nothing is found,
   * `'always'` looks only in the padded image. The detector misses faces that fill the whole frame (tight
   * portrait crops: 0/40 of the developer set's 150 px chips found as they are, 35/40 padded), and a face
   * it does find in a tight crop gets a worse descriptor than padded. Default: `'retry'` for images whose
   * longer side is at most 640 px, otherwise `'never'`; enrolment uses `'always'`.
   */
  readonly pad?: 'always' | 'retry' | 'never';
  /**
   * Which face detector finds the boxes: `'ssd'` (SSD-MobileNetV1, the default; ~250 ms of CPU per image
   * here) or `'tiny'` (face-api's Tiny Face Detector at a 416 px grid, ~50 ms, fewer small and turned
   * faces). Landmarks and descriptors are the same either way. Video uses `'tiny'` (see MODEL_CARD.md).
   */
  readonly detector?: FaceDetectorKind;
}

export type FaceDetectorKind = 'ssd' | 'tiny';

/** Grid of the tiny detector (a multiple of 32; face-api's default is 416). */
const TINY_INPUT_SIZE = 416;

// The few parts of face-api and tfjs this module uses (the package's own typings pull in all of tfjs-core).
interface Tensor {
  dispose(): void;
}
interface TfApi {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  tensor3d(values: Int32Array, shape: [number, number, number], dtype: 'int32'): Tensor;
  engine(): { startScope(): void; endScope(): void };
}
interface FaceResult {
  readonly detection: { readonly score: number; readonly box: FaceBox };
  readonly descriptor: Float32Array;
}
interface FaceDetectionResult {
  readonly score: number;
  /** Box in the pixel grid of the image it was found in. */
  readonly box: FaceBox;
}
interface FaceApi {
  readonly tf: TfApi;
  FaceDetection: new (
    score: number,
    relativeBox: FaceBox,
    imageDims: { width: number; height: number },
  ) => FaceDetectionResult;
  DetectAllFaceLandmarksTask: new (
    parent: Promise<ReadonlyArray<{ detection: FaceDetectionResult }>>,
    input: Tensor,
    useTinyLandmarkNet: boolean,
  ) => { withFaceDescriptors(): Promise<FaceResult[]> };
  readonly nets: Record<
    'ssdMobilenetv1' | 'faceLandmark68Net' | 'faceRecognitionNet',
    { loadFromDisk(dir: string): Promise<void> }
  > & {
    readonly ssdMobilenetv1: { locateFaces(input: Tensor, options: unknown): Promise<FaceDetectionResult[]> };
    readonly tinyFaceDetector: {
      loadFromDisk(dir: string): Promise<void>;
      locateFaces(input: Tensor, options: unknown): Promise<FaceDetectionResult[]>;
    };
  };
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults?: number }) => unknown;
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => unknown;
  detectAllFaces(
    input: Tensor,
    options: unknown,
  ): { withFaceLandmarks(): { withFaceDescriptors(): Promise<FaceResult[]> } };
}

let loading: Promise<FaceApi> | undefined;

/**
 * Load the face models (once per process; later calls return the same promise). Called by every
 * function here on first use; call it yourself to pay the load time up front.
 *
 * @example
 * ```ts
 * await loadFaceModels(); // ~1 s, reads ~12 MB of weights from the package
 * ```
 */
export function loadFaceModels(): Promise<void> {
  return loadFaceApi().then(() => undefined);
}

function loadFaceApi(): Promise<FaceApi> {
  loading ??= (async () => {
    const require = createRequire(import.meta.url);
    try {
      const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
      const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(prefix: string): void };
      // The .wasm binaries sit next to the backend's entry point; without this it would try a CDN.
      wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
      if (!(await faceapi.tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
      await faceapi.tf.ready();
      const modelDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
      await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
      await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
      await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
      await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
      return faceapi;
    } catch (err) {
      loading = undefined;
      throw new ModelLoadError(`The face models could not be loaded: ${(err as Error).message}`, {
        hint: 'Reinstall provmark so that @vladmandic/face-api and @tensorflow/tfjs-backend-wasm are present.',
        cause: err,
      });
    }
  })();
  return loading;
}

function checkPixels(pixels: FacePixels): void {
  if (pixels === null || typeof pixels !== 'object' || !(pixels.data instanceof Uint8Array)) {
    throw new TypeError('Expected { data: Uint8Array, width, height } for pixels');
  }
  const { width, height } = pixels;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new RangeError(`Expected positive integer width and height but received ${width}x${height}`);
  }
  if (pixels.data.length !== width * height * 3) {
    throw new RangeError(
      `Expected ${width * height * 3} bytes of RGB pixels for ${width}x${height} but received ${pixels.data.length}`,
    );
  }
}

/**
 * Longest side the detector looks at. SSD-MobileNetV1 resizes every input to a 512×512 grid, so a
 * larger copy buys no detail, only the time to convert and resize it (a 1080p frame: ~25 MB of int32).
 */
export const DETECT_LONG_SIDE = 640;

/**
 * Face side (px) of the crop the landmark and recognition networks read from: they work at 112 and
 * 150 px, and tfjs's bilinear resize does not filter, so a much larger crop would only alias.
 */
const CROP_FACE_SIDE = 300;

/** Margin around a detected box for that crop, per side, as a fraction of the box's longer side: the
 * dlib alignment box derived from the landmarks can reach past the detector's box. */
const CROP_MARGIN = 0.5;

/**
 * Find the faces in an image and compute a descriptor for each. Images longer than
 * {@link DETECT_LONG_SIDE} are searched in a downscaled copy; each face's landmarks and descriptor are
 * then computed on a crop of the full-resolution pixels, so a small face in a large picture keeps its
 * detail.
 *
 * @example
 * ```ts
 * const faces = await detectFaces(await decodeImageRgb(bytes));
 * for (const f of faces) console.log(f.box, f.score);
 * ```
 */
export async function detectFaces(
  pixels: FacePixels,
  options: DetectFacesOptions = {},
): Promise<DetectedFace[]> {
  checkPixels(pixels);
  const minConfidence = options.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  if (typeof minConfidence !== 'number' || !(minConfidence > 0 && minConfidence < 1)) {
    throw new RangeError(`Expected number between 0 and 1 for minConfidence but received ${minConfidence}`);
  }
  const long = Math.max(pixels.width, pixels.height);
  const pad = options.pad ?? (long <= DETECT_LONG_SIDE ? 'retry' : 'never');
  const faceapi = await loadFaceApi();
  const kind = options.detector ?? 'ssd';
  if (kind !== 'ssd' && kind !== 'tiny') {
    throw new RangeError(`Expected 'ssd' or 'tiny' for detector but received ${String(kind)}`);
  }
  const ssd = new faceapi.SsdMobilenetv1Options({ minConfidence });
  if (long <= DETECT_LONG_SIDE && kind === 'ssd') return detectWhole(faceapi, pixels, ssd, pad);
  const locator: Locator =
    kind === 'ssd'
      ? { net: faceapi.nets.ssdMobilenetv1, options: ssd }
      : {
          net: faceapi.nets.tinyFaceDetector,
          options: new faceapi.TinyFaceDetectorOptions({
            inputSize: TINY_INPUT_SIZE,
            scoreThreshold: minConfidence,
          }),
        };

  const scale = Math.min(1, DETECT_LONG_SIDE / long);
  const small =
    scale === 1
      ? pixels
      : resampleArea(
          pixels,
          { x: 0, y: 0, width: pixels.width, height: pixels.height },
          Math.max(1, Math.round(pixels.width * scale)),
          Math.max(1, Math.round(pixels.height * scale)),
        );
  const located = await locateFaces(faceapi, small, locator, pad);
  const sx = pixels.width / small.width;
  const sy = pixels.height / small.height;
  const faces: DetectedFace[] = [];
  for (const d of located) {
    const box = clipBox(
      { x: d.box.x * sx, y: d.box.y * sy, width: d.box.width * sx, height: d.box.height * sy },
      pixels,
    );
    if (box.width <= 0 || box.height <= 0) continue;
    const descriptor = await describeFace(faceapi, pixels, box);
    if (descriptor !== undefined) faces.push({ box: roundBox(box), score: d.score, descriptor });
  }
  return faces;
}

/** Detection, landmarks and descriptors on the whole image at once (images up to DETECT_LONG_SIDE). */
async function detectWhole(
  faceapi: FaceApi,
  pixels: FacePixels,
  detector: unknown,
  pad: 'always' | 'retry' | 'never',
): Promise<DetectedFace[]> {
  const { tf } = faceapi;
  // tfjs wants int32 values for a pixel tensor; one copy of the frame.
  const image = tf.tensor3d(Int32Array.from(pixels.data), [pixels.height, pixels.width, 3], 'int32');
  try {
    if (pad !== 'always') {
      const found = await faceapi.detectAllFaces(image, detector).withFaceLandmarks().withFaceDescriptors();
      if (found.length > 0 || pad === 'never') return found.map((f) => toFace(f, 0, 0, pixels));
    }
    const padY = Math.floor(pixels.height / 2);
    const padX = Math.floor(pixels.width / 2);
    const padded = padReplicate(pixels, padX, padY);
    const paddedImage = tf.tensor3d(Int32Array.from(padded.data), [padded.height, padded.width, 3], 'int32');
    try {
      const again = await faceapi
        .detectAllFaces(paddedImage, detector)
        .withFaceLandmarks()
        .withFaceDescriptors();
      return again
        .map((f) => toFace(f, padX, padY, pixels))
        .filter((f) => f.box.width > 0 && f.box.height > 0);
    } finally {
      paddedImage.dispose();
    }
  } finally {
    image.dispose();
  }
}

/** The detector alone on `pixels` (padded as `pad` says); boxes in the grid of `pixels`. */
interface Locator {
  readonly net: { locateFaces(input: Tensor, options: unknown): Promise<FaceDetectionResult[]> };
  readonly options: unknown;
}

async function locateFaces(
  faceapi: FaceApi,
  pixels: FacePixels,
  locator: Locator,
  pad: 'always' | 'retry' | 'never',
): Promise<Array<{ score: number; box: FaceBox }>> {
  const run = async (p: FacePixels): Promise<FaceDetectionResult[]> => {
    const t = faceapi.tf.tensor3d(Int32Array.from(p.data), [p.height, p.width, 3], 'int32');
    try {
      return await locator.net.locateFaces(t, locator.options);
    } finally {
      t.dispose();
    }
  };
  if (pad !== 'always') {
    const found = await run(pixels);
    if (found.length > 0 || pad === 'never') return found.map((d) => ({ score: d.score, box: d.box }));
  }
  const padY = Math.floor(pixels.height / 2);
  const padX = Math.floor(pixels.width / 2);
  return (await run(padReplicate(pixels, padX, padY)))
    .map((d) => ({
      score: d.score,
      box: clipBox(
        { x: d.box.x - padX, y: d.box.y - padY, width: d.box.width, height: d.box.height },
        pixels,
      ),
    }))
    .filter((d) => d.box.width > 0 && d.box.height > 0);
}

/**
 * Landmarks and descriptor of the face at `box` (full-resolution grid), computed on a crop around it
 * scaled so the face is at most CROP_FACE_SIDE px. Undefined when the landmark stage rejects it.
 */
async function describeFace(
  faceapi: FaceApi,
  pixels: FacePixels,
  box: FaceBox,
): Promise<Float32Array | undefined> {
  const side = Math.max(box.width, box.height);
  const margin = CROP_MARGIN * side;
  const x0 = Math.max(0, Math.floor(box.x - margin));
  const y0 = Math.max(0, Math.floor(box.y - margin));
  const x1 = Math.min(pixels.width, Math.ceil(box.x + box.width + margin));
  const y1 = Math.min(pixels.height, Math.ceil(box.y + box.height + margin));
  const c = Math.min(1, CROP_FACE_SIDE / side);
  const crop = resampleArea(
    pixels,
    { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
    Math.max(1, Math.round((x1 - x0) * c)),
    Math.max(1, Math.round((y1 - y0) * c)),
  );
  const cx = crop.width / (x1 - x0);
  const cy = crop.height / (y1 - y0);
  const relative = {
    x: ((box.x - x0) * cx) / crop.width,
    y: ((box.y - y0) * cy) / crop.height,
    width: (box.width * cx) / crop.width,
    height: (box.height * cy) / crop.height,
  };
  const { tf } = faceapi;
  const t = tf.tensor3d(Int32Array.from(crop.data), [crop.height, crop.width, 3], 'int32');
  try {
    const detection = new faceapi.FaceDetection(1, relative, { width: crop.width, height: crop.height });
    const [r] = await new faceapi.DetectAllFaceLandmarksTask(
      Promise.resolve([{ detection }]),
      t,
      false,
    ).withFaceDescriptors();
    return r === undefined ? undefined : Float32Array.from(r.descriptor);
  } finally {
    t.dispose();
  }
}

function clipBox(b: FaceBox, p: { width: number; height: number }): FaceBox {
  const x0 = Math.max(0, b.x);
  const y0 = Math.max(0, b.y);
  const x1 = Math.min(p.width, b.x + b.width);
  const y1 = Math.min(p.height, b.y + b.height);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

function roundBox(b: FaceBox): FaceBox {
  return { x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) };
}

/**
 * Resample a region of `p` to `width`×`height` by averaging the source pixels each output pixel
 * covers (a box filter: no aliasing when shrinking; a plain copy at the same size).
 */
export function resampleArea(p: FacePixels, region: FaceBox, width: number, height: number): FacePixels {
  const out = new Uint8Array(width * height * 3);
  const xs = new Int32Array(width + 1);
  const ys = new Int32Array(height + 1);
  for (let i = 0; i <= width; i++) xs[i] = region.x + Math.floor((i * region.width) / width);
  for (let i = 0; i <= height; i++) ys[i] = region.y + Math.floor((i * region.height) / height);
  const src = p.data;
  const stride = p.width * 3;
  for (let oy = 0; oy < height; oy++) {
    const ya = ys[oy] as number;
    const yb = Math.max(ya + 1, ys[oy + 1] as number);
    for (let ox = 0; ox < width; ox++) {
      const xa = xs[ox] as number;
      const xb = Math.max(xa + 1, xs[ox + 1] as number);
      let r = 0;
      let g = 0;
      let b = 0;
      for (let y = ya; y < yb; y++) {
        let s = y * stride + xa * 3;
        for (let x = xa; x < xb; x++, s += 3) {
          r += src[s] as number;
          g += src[s + 1] as number;
          b += src[s + 2] as number;
        }
      }
      const n = (yb - ya) * (xb - xa);
      const d = (oy * width + ox) * 3;
      out[d] = (r + (n >> 1)) / n;
      out[d + 1] = (g + (n >> 1)) / n;
      out[d + 2] = (b + (n >> 1)) / n;
    }
  }
  return { data: out, width, height };
}

/**
 * Pad by repeating the edge pixels. Edge replication, not mirroring: a mirrored border would hold a
 * reflected copy of a face near the edge, which the detector finds as a second face.
 */
function padReplicate(p: FacePixels, padX: number, padY: number): FacePixels {
  const width = p.width + 2 * padX;
  const height = p.height + 2 * padY;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(p.height - 1, Math.max(0, y - padY));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(p.width - 1, Math.max(0, x - padX));
      const s = (sy * p.width + sx) * 3;
      const d = (y * width + x) * 3;
      data[d] = p.data[s] as number;
      data[d + 1] = p.data[s + 1] as number;
      data[d + 2] = p.data[s + 2] as number;
    }
  }
  return { data, width, height };
}

/** Shift a box found in a padded image back into the original grid, clipped to it. */
function toFace(f: FaceResult, padX: number, padY: number, pixels: FacePixels): DetectedFace {
  const b = f.detection.box;
  const x0 = Math.max(0, b.x - padX);
  const y0 = Math.max(0, b.y - padY);
  const x1 = Math.min(pixels.width, b.x + b.width - padX);
  const y1 = Math.min(pixels.height, b.y + b.height - padY);
  return {
    box: {
      x: Math.round(x0),
      y: Math.round(y0),
      width: Math.max(0, Math.round(x1 - x0)),
      height: Math.max(0, Math.round(y1 - y0)),
    },
    score: f.detection.score,
    descriptor: Float32Array.from(f.descriptor),
  };
}
