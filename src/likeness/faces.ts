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
}

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
interface FaceApi {
  readonly tf: TfApi;
  readonly nets: Record<
    'ssdMobilenetv1' | 'faceLandmark68Net' | 'faceRecognitionNet',
    { loadFromDisk(dir: string): Promise<void> }
  >;
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults?: number }) => unknown;
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
 * Find the faces in an image and compute a descriptor for each.
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
  const pad = options.pad ?? (Math.max(pixels.width, pixels.height) <= 640 ? 'retry' : 'never');
  const faceapi = await loadFaceApi();
  const { tf } = faceapi;
  const detector = new faceapi.SsdMobilenetv1Options({ minConfidence });
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
