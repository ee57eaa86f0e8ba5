import { CorruptMediaError, isProvmarkError, type ProvmarkError } from '../errors.js';
import type { MediaAsset } from '../media/asset.js';
import { decodeImageRgb, type RgbPixels } from '../media/image.js';
import { readMediaInput } from '../media/io.js';
import { sniffFormat, type FormatInfo } from '../media/sniff.js';
import type { MediaInput } from '../types.js';
import { readContainerMetadata, type ContainerMetadata } from './containers.js';
import { extractCrops, usableHeight } from './crops.js';
import { DWTDCT_MATCH_THRESHOLD, readDwtDctMarks } from './dwtdct.js';
import { metadataEvidence } from './hints.js';
import { loadCalibration, loadModel, type ModelCalibration } from './model.js';
import { nearestIjgQuality } from '../media/jpeg.js';
import { measureContent } from './scope.js';
import type {
  DetectEvidence,
  DetectModelInfo,
  DetectOptions,
  DetectReport,
  InconclusiveReason,
} from './types.js';

/**
 * Validated scope (see MODEL_CARD.md, "Validated scope measurements"). The size, flatness and colour limits sit
 * outside everything in the training split, so inputs beyond them are unlike anything the model was checked on.
 */
export const DETECT_SCOPE = {
  /** Shorter side in pixels: the smallest fixtures are 256 px, and halving them must stay in scope. */
  minSide: 128,
  /**
   * Estimated IJG quality of the luminance table. Augmentation covered 60-100 and robustness was measured at 75;
   * a few ImageNet training photos go down to about 35, so this limit is a judgement, not a measured edge.
   */
  minJpegQuality: 50,
  /** Photos in the training split reached 0.81 equal-neighbour share and no fewer than 200 colours (greyscale). */
  maxFlatShare: 0.9,
  minDistinctColours: 64,
} as const;

/**
 * Judge whether an image without provenance looks generated, using metadata statements, known open watermarks
 * and a small bundled model scored on native-resolution crops. Resolves a report; it rejects only for misuse
 * (wrong argument types), an unreadable path, or a broken installation (`ModelLoadError`).
 *
 * @example
 * ```ts
 * import { detect } from 'provmark/detect';
 * const report = await detect('photo.jpg');
 * if (report.label === 'likely-synthetic') console.log(report.score, report.evidence);
 * ```
 */
export async function detect(input: MediaInput, options: DetectOptions = {}): Promise<DetectReport> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(
      `Expected an options object for options but received ${options === null ? 'null' : typeof options}`,
    );
  }
  if (options.useModel !== undefined && typeof options.useModel !== 'boolean') {
    throw new TypeError(`Expected a boolean for options.useModel but received ${typeof options.useModel}`);
  }
  const bytes = await readMediaInput(input, 'input');
  let sniffed: FormatInfo | ProvmarkError;
  try {
    sniffed = sniffFormat(bytes);
  } catch (err) {
    if (!isProvmarkError(err)) throw err;
    sniffed = err;
  }
  return detectSniffed(bytes, sniffed, options);
}

/** {@link detect} of an asset already read and sniffed (inspect() passes its own; options already checked). */
export function detectAsset(asset: MediaAsset, options: DetectOptions = {}): Promise<DetectReport> {
  return detectSniffed(asset.bytes, asset.format, options);
}

/** The detector over bytes and their format, or the coded error that sniffing them gave. */
async function detectSniffed(
  bytes: Uint8Array,
  sniffed: FormatInfo | ProvmarkError,
  options: DetectOptions,
): Promise<DetectReport> {
  const calibration = loadCalibration();
  const model = modelInfo(calibration);
  const evidence: DetectEvidence[] = [];
  const inconclusive = (
    reason: InconclusiveReason,
    explanation: string,
    score: number | null = null,
  ): DetectReport => finish({ label: 'inconclusive', score, evidence, model, reason, explanation });

  if (isProvmarkError(sniffed)) {
    const reason = sniffed.code === 'ERR_CORRUPT_MEDIA' ? 'corrupt' : 'unsupported-format';
    return inconclusive(reason, sniffed.message);
  }
  const format = sniffed;
  if (format.kind !== 'image') {
    return inconclusive(
      'unsupported-format',
      `The detector handles still images; the input is ${format.mime}.`,
    );
  }
  const container = readContainerMetadata(bytes, format.format);
  evidence.push(...metadataEvidence(container));

  let pixels: RgbPixels;
  try {
    pixels = await decodeImageRgb(bytes, options);
  } catch (err) {
    if (!isProvmarkError(err)) throw err;
    const reason: InconclusiveReason =
      err.code === 'ERR_MEDIA_TOO_LARGE'
        ? 'too-large'
        : err instanceof CorruptMediaError || err.code === 'ERR_CORRUPT_MEDIA'
          ? 'corrupt'
          : 'unsupported-format';
    const stated = decisiveEvidence(evidence);
    if (stated) {
      return finish({
        label: 'likely-synthetic',
        score: null,
        evidence,
        model,
        explanation: `Decided by ${stated.kind} evidence: ${stated.source} (the pixels could not be decoded: ${err.message}).`,
      });
    }
    return inconclusive(reason, `The pixels cannot be decoded: ${err.message}`);
  }

  const mark = readDwtDctMarks(pixels);
  if (mark && mark.matchedBits / mark.totalBits >= DWTDCT_MATCH_THRESHOLD) {
    evidence.push({
      kind: 'watermark',
      source: 'pixels: invisible-watermark dwtDct (U channel, Haar LL, 4x4 blocks, step 36)',
      value: mark.mark.name,
      indicates: 'synthetic',
      strength: 'decisive',
      detail: `${mark.matchedBits} of ${mark.totalBits} payload bits match.`,
    });
  }

  const scopeProblem = checkScope(pixels, container, calibration);
  let score: number | null = null;
  if (!scopeProblem && options.useModel !== false) {
    const model = await loadModel();
    score = await scoreImage(pixels, model.calibration, (b, n) => model.run(b, n));
    evidence.push({
      kind: 'model',
      source: `model ${calibration.name}@${calibration.version}`,
      value: score.toFixed(4),
      indicates: 'none',
      strength: 'informational',
      detail: `Calibrated probability from ${calibration.input.grid ** 2} native-resolution crops; synthetic above ${calibration.thresholds.synthetic.toFixed(4)}, camera-like below ${calibration.thresholds.camera.toFixed(4)}.`,
    });
  }

  const decisive = decisiveEvidence(evidence);
  if (decisive) {
    return finish({
      label: 'likely-synthetic',
      score,
      evidence,
      model,
      explanation: `Decided by ${decisive.kind} evidence: ${decisive.source}.`,
    });
  }
  if (scopeProblem) return inconclusive(scopeProblem.reason, scopeProblem.explanation);
  if (score === null) {
    return inconclusive(
      'model-disabled',
      'The model was not run (useModel: false) and no decisive evidence was found.',
    );
  }
  if (score > calibration.thresholds.synthetic)
    return finish({ label: 'likely-synthetic', score, evidence, model });
  if (score < calibration.thresholds.camera)
    return finish({ label: 'likely-camera', score, evidence, model });
  return inconclusive(
    'uncertain-score',
    'The model score falls between the camera-like and synthetic thresholds; the model cannot tell.',
    score,
  );
}

/** The first piece of evidence strong enough to decide likely-synthetic on its own. */
function decisiveEvidence(evidence: readonly DetectEvidence[]): DetectEvidence | undefined {
  return evidence.find((e) => e.strength === 'decisive' && e.indicates === 'synthetic');
}

/** Build the report without undefined keys, so JSON output and deep equality stay clean. */
function finish(r: DetectReport): DetectReport {
  return {
    label: r.label,
    score: r.score,
    evidence: r.evidence,
    model: r.model,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.explanation !== undefined ? { explanation: r.explanation } : {}),
  };
}

function modelInfo(c: ModelCalibration): DetectModelInfo {
  return { name: c.name, version: c.version, validatedOn: [...c.validatedOn] };
}

function checkScope(
  pixels: RgbPixels,
  container: ContainerMetadata,
  calibration: ModelCalibration,
): { reason: InconclusiveReason; explanation: string } | undefined {
  const side = Math.min(pixels.width, usableHeight(pixels.height, calibration.input));
  if (Math.min(pixels.width, pixels.height) < DETECT_SCOPE.minSide || side < calibration.input.crop) {
    return {
      reason: 'too-small',
      explanation: `The image is ${pixels.width}×${pixels.height}; the model was validated on images at least ${DETECT_SCOPE.minSide} px on each side.`,
    };
  }
  // Only JPEG files have quantisation tables; other formats skip this check.
  const luma = container.jpegQuantTables.get(0);
  const quality = luma ? nearestIjgQuality(luma) : undefined;
  if (quality !== undefined && quality < DETECT_SCOPE.minJpegQuality) {
    return {
      reason: 'heavy-compression',
      explanation: `JPEG quantisation corresponds to quality ≈${quality}; below ${DETECT_SCOPE.minJpegQuality} compression erases the traces the model reads.`,
    };
  }
  const stats = measureContent(pixels);
  if (
    stats.flatShare > DETECT_SCOPE.maxFlatShare ||
    stats.distinctColours < DETECT_SCOPE.minDistinctColours
  ) {
    return {
      reason: 'non-photographic',
      explanation: `The image looks like a screenshot or graphic (${(stats.flatShare * 100).toFixed(0)}% identical neighbouring pixels, ${stats.distinctColours} colours); the model was validated on photographic content.`,
    };
  }
  return undefined;
}

/**
 * The calibrated model score of decoded pixels: mean logit over the crops, then Platt scaling.
 * Exported for training/eval.ts, which must score exactly as {@link detect} does.
 */
export async function scoreImage(
  pixels: RgbPixels,
  calibration: ModelCalibration,
  run: (batch: Float32Array, count: number) => Promise<Float32Array>,
): Promise<number> {
  const crops = extractCrops(pixels, calibration.input);
  if (!crops) throw new RangeError('Expected an image at least one crop in size for pixels');
  const logits = await run(crops.data, crops.count);
  let sum = 0;
  for (let i = 0; i < crops.count; i++) sum += logits[i]!;
  const z = calibration.platt.a * (sum / crops.count) + calibration.platt.b;
  return 1 / (1 + Math.exp(-z));
}
