/**
 * `provmark/likeness`: likeness protection for brands. A registry of the people a brand represents
 * (face descriptors, never images, and the signers authorised to publish media showing them), checked
 * against ads together with their provenance. The face models load on first use.
 */
export { enrollLikeness, type EnrollLikenessOptions, type EnrollLikenessResult } from './enroll.js';
export {
  checkLikeness,
  checkLikenessMany,
  currentLikenessIndex,
  loadLikenessIndex,
  type CheckLikenessOptions,
  type LikenessAppearance,
  type LikenessDecision,
  type LikenessIndex,
  type LikenessPersonMatch,
  type LikenessProvenance,
  type LikenessReport,
} from './check.js';
export {
  DESCRIPTOR_LENGTH,
  FACE_MODEL_ID,
  detectFaces,
  loadFaceModels,
  type DetectFacesOptions,
  type DetectedFace,
  type FaceDetectorKind,
  type FaceBox,
  type FacePixels,
} from './faces.js';
export {
  DescriptorIndex,
  MATCH_DISTANCE,
  MATCH_SIMILARITY,
  similarityOf,
  type PersonMatch,
} from './match.js';
export { isAuthorizedSigner, parseAuthorizedSigner } from './signers.js';
export {
  LIKENESS_ASSERTION_LABEL,
  checkLikenessDeclaration,
  likenessAssertion,
  parseLikenessDeclaration,
  type LikenessDeclaration,
} from './declare.js';
export {
  SAMPLE_INTERVAL_SECONDS,
  SCENE_CHANGE_MAD,
  detectVideoFaces,
  type DetectVideoFacesOptions,
  type SampledVideo,
  type VideoFaces,
} from './video.js';
export {
  checkPersonId,
  openLikenessRegistry,
  type AuthorizedSigner,
  type LikenessEnrollment,
  type LikenessPerson,
  type LikenessRegistry,
  type StoredDescriptor,
} from '../repository/likeness.js';
