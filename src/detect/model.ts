/**
 * The bundled model: locate it inside the installed package, check it, and run it with onnxruntime-web's
 * WebAssembly backend (the same runtime in Node and in a browser; no native library, no install script).
 * onnxruntime is imported on first use only, and the session is created once per process.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { ModelLoadError } from '../errors.js';
import type { CropProtocol } from './crops.js';

/** Contents of models/calibration.json, written by training/train.py. */
export interface ModelCalibration {
  readonly name: string;
  readonly version: string;
  readonly file: string;
  readonly sha256: string;
  readonly input: CropProtocol & { readonly name: string };
  readonly platt: { readonly a: number; readonly b: number };
  readonly thresholds: { readonly synthetic: number; readonly camera: number; readonly targetFpr: number };
  readonly validatedOn: readonly string[];
}

export interface LoadedModel {
  readonly calibration: ModelCalibration;
  /** Raw logits, one per crop. */
  run(batch: Float32Array, count: number): Promise<Float32Array>;
}

type OrtModule = typeof import('onnxruntime-web');

const MODEL_SUBDIR = join('src', 'detect', 'models');
let cached: Promise<LoadedModel> | undefined;
let cachedCalibration: ModelCalibration | undefined;

/**
 * The models directory of this package: the source tree in development, `src/detect/models` next to `dist/` once
 * installed (package.json "files" ships it). Found by walking up to the package root, which works from the
 * source files, the ESM/CJS bundles and their shared chunks alike.
 */
export function modelDirectory(): string {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && existsSync(join(dir, MODEL_SUBDIR))) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'provmark') {
          return join(dir, MODEL_SUBDIR);
        }
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new ModelLoadError(`Cannot find the bundled detector model directory above ${here}`, {
    hint: 'Reinstall provmark; the package must include src/detect/models.',
  });
}

/** The calibration file (small, synchronous, cached); throws ModelLoadError when missing or malformed. */
export function loadCalibration(): ModelCalibration {
  if (cachedCalibration) return cachedCalibration;
  const path = join(modelDirectory(), 'calibration.json');
  let parsed: ModelCalibration;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as ModelCalibration;
  } catch (err) {
    throw new ModelLoadError(`Cannot read the detector calibration ${path}: ${(err as Error).message}`, {
      hint: 'Reinstall provmark, or run `npm run train:detect` in a development checkout.',
      cause: err,
    });
  }
  const ok =
    typeof parsed.name === 'string' &&
    typeof parsed.version === 'string' &&
    typeof parsed.file === 'string' &&
    Number.isFinite(parsed.platt?.a) &&
    Number.isFinite(parsed.platt?.b) &&
    Number.isFinite(parsed.thresholds?.synthetic) &&
    Number.isInteger(parsed.input?.crop) &&
    Number.isInteger(parsed.input?.grid) &&
    (parsed.input.flip === undefined || typeof parsed.input.flip === 'boolean') &&
    Array.isArray(parsed.validatedOn);
  if (!ok) throw new ModelLoadError(`The detector calibration ${path} is malformed`);
  cachedCalibration = parsed;
  return parsed;
}

let wasmThreads: number | undefined;

/**
 * How many threads the WebAssembly runtime may use for one inference; call before the first detection (the
 * runtime reads it once). Default: up to 4 of the machine's cores (2 threads halve the time of one image's crops on
 * this project's 2-core machines, `npm run bench:runtime`). Code that already runs one detection per core (the
 * batch workers) sets 1.
 */
export function setDetectorThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new RangeError(`Expected integer between 1 and 64 for threads but received ${threads}`);
  }
  wasmThreads = threads;
}

function configureWasm(ort: OrtModule): void {
  ort.env.wasm.numThreads = wasmThreads ?? Math.max(1, Math.min(4, availableParallelism()));
  ort.env.logLevel = 'error';
}

/** Load the model once per process. Concurrent callers share one load. */
export function loadModel(): Promise<LoadedModel> {
  cached ??= createModel().catch((err: unknown) => {
    cached = undefined; // let a later call retry after the environment is fixed
    throw err;
  });
  return cached;
}

async function createModel(): Promise<LoadedModel> {
  const calibration = loadCalibration();
  const path = join(modelDirectory(), calibration.file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ModelLoadError(`Cannot read the detector model ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== calibration.sha256) {
    throw new ModelLoadError(`The detector model ${path} does not match its calibration (sha256 ${digest})`, {
      hint: 'The model file and calibration.json come from different training runs; reinstall provmark.',
    });
  }
  let ort: OrtModule;
  try {
    const mod = (await import('onnxruntime-web')) as OrtModule & { default?: OrtModule };
    ort = mod.default ?? mod;
    configureWasm(ort);
  } catch (err) {
    throw new ModelLoadError(`Cannot load onnxruntime-web: ${(err as Error).message}`, {
      hint: 'Reinstall provmark (onnxruntime-web is a dependency).',
      cause: err,
    });
  }
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(
      new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
      },
    );
  } catch (err) {
    throw new ModelLoadError(`onnxruntime cannot create a session for ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const { crop } = calibration.input;
  const inputName = calibration.input.name;
  return {
    calibration,
    async run(batch: Float32Array, count: number): Promise<Float32Array> {
      const tensor: Tensor = new ort.Tensor('float32', batch, [count, 3, crop, crop]);
      const out = await session.run({ [inputName]: tensor });
      const first = out[session.outputNames[0]!];
      return first!.data as Float32Array;
    },
  };
}
