import type { ImageLimits } from '../media/image.js';

/**
 * The detector's answer. There is deliberately no "authentic" value: the model can only say that an image
 * looks like the camera photos it was validated on, never that it is genuine.
 */
export type DetectLabel = 'likely-synthetic' | 'likely-camera' | 'inconclusive';

/** Every label value, for validation and exhaustive checks. */
export const DETECT_LABELS: readonly DetectLabel[] = ['likely-synthetic', 'likely-camera', 'inconclusive'];

/** Why the detector declined to give a model verdict. */
export type InconclusiveReason =
  | 'unsupported-format'
  | 'corrupt'
  | 'too-small'
  | 'too-large'
  | 'heavy-compression'
  | 'non-photographic'
  | 'uncertain-score'
  /** `useModel: false` was passed and no decisive metadata or watermark evidence was found. */
  | 'model-disabled';

/** What a piece of evidence points to. */
export type EvidenceIndication =
  /** The file states, or a mark shows, that it was generated (fully or partly) by an AI model or algorithm. */
  | 'synthetic'
  /** The file states that AI or algorithmic processing edited a capture. */
  | 'ai-edited'
  /** The file claims a camera capture (EXIF Make/Model, digitalCapture). Trivially forged; never decisive. */
  | 'capture-claim'
  /** Context only (e.g. the model score, or a scope measurement). */
  | 'none';

/**
 * One observation the verdict rests on. `source` names the exact field or method, e.g.
 * `XMP Iptc4xmpExt:DigitalSourceType`, `PNG tEXt "parameters"`, `EXIF IFD0 Software (0x0131)`.
 */
export interface DetectEvidence {
  readonly kind: 'metadata' | 'watermark' | 'model' | 'scope';
  readonly source: string;
  /** The value found (truncated to 200 characters for text fields). */
  readonly value: string;
  readonly indicates: EvidenceIndication;
  /** `decisive` evidence decides `likely-synthetic` on its own; `supporting` and `informational` never do. */
  readonly strength: 'decisive' | 'supporting' | 'informational';
  readonly detail?: string;
}

/** Identity of the bundled model and the sources it was validated on. */
export interface DetectModelInfo {
  readonly name: string;
  readonly version: string;
  /** Source names of the validation data (e.g. `fake/sd1x`, `real/imagenet`); see MODEL_CARD.md. */
  readonly validatedOn: readonly string[];
}

/** The result of {@link detect}. A verdict is data: bad content gives `inconclusive` with a `reason`. */
export interface DetectReport {
  readonly label: DetectLabel;
  /**
   * Calibrated probability that the image is synthetic, from the model (Platt scaling fitted on a calibration
   * split whose class mix is about 36% synthetic; the probability depends on that base rate). `null` when the
   * model was not run (input outside its validated scope, or undecodable).
   */
  readonly score: number | null;
  readonly evidence: readonly DetectEvidence[];
  readonly model: DetectModelInfo;
  /** Present when `label` is `inconclusive`. */
  readonly reason?: InconclusiveReason;
  /** One sentence for people, present when `label` is `inconclusive` or the verdict rests on metadata. */
  readonly explanation?: string;
}

/** Options of {@link detect}. */
export interface DetectOptions extends ImageLimits {
  /**
   * Run the learned model (default true). With false only metadata and watermark evidence are used, so the
   * answer is `likely-synthetic` (decisive evidence) or `inconclusive`.
   */
  readonly useModel?: boolean;
}
