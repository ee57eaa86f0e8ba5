/**
 * enrollLikeness(): put a person in the likeness registry from a few photos: one descriptor per photo
 * (never the photo itself) and the certificates authorised to publish media that shows them.
 */
import { FaceNotFoundError } from '../errors.js';
import { decodeImageRgb } from '../media/image.js';
import { readMediaInput } from '../media/io.js';
import type { AuthorizedSigner, LikenessPerson, LikenessRegistry } from '../repository/likeness.js';
import { checkPersonId } from '../repository/likeness.js';
import type { MediaInput } from '../types.js';
import { FACE_MODEL_ID, detectFaces, type FaceBox } from './faces.js';
import { parseAuthorizedSigner } from './signers.js';

/** Enrolment photos are small files; 50 MiB leaves room for a camera original. */
const ENROLL_IMAGE_LIMIT = {
  maxBytes: 50 * 1024 ** 2,
  reason: 'an enrolment photo may have at most',
} as const;

/** A second face counts as a competitor unless the largest is at least this many times its area. */
const DOMINANT_AREA_RATIO = 4;

export interface EnrollLikenessOptions {
  readonly registry: LikenessRegistry;
  /** Registry id: 1–128 letters, digits, `._:@-`. */
  readonly person: string;
  readonly name?: string;
  /** Photos of the person: each must show their face, alone or clearly the largest. */
  readonly images: readonly MediaInput[];
  /** PEM certificates (text or bytes) of the signers allowed to publish media showing the person. */
  readonly authorizedSigners?: ReadonlyArray<string | Uint8Array>;
}

export interface EnrollLikenessResult {
  readonly person: LikenessPerson;
  /** The face used from each image, in order. */
  readonly faces: ReadonlyArray<{ readonly box: FaceBox; readonly score: number }>;
}

/**
 * Enrol a person (or add photos and signers to one already enrolled).
 *
 * @example
 * ```ts
 * const registry = await openLikenessRegistry('sqlite:./brand.db');
 * await enrollLikeness({ registry, person: 'ambassador-1', name: 'A. Example',
 *   images: ['a1.jpg', 'a2.jpg'], authorizedSigners: [readFileSync('agency.pem', 'utf8')] });
 * ```
 */
export async function enrollLikeness(options: EnrollLikenessOptions): Promise<EnrollLikenessResult> {
  if (options === null || typeof options !== 'object') throw new TypeError('Expected an options object');
  const { registry, person } = options;
  if (!registry || typeof registry.enroll !== 'function') throw new TypeError('Expected a likeness registry');
  checkPersonId(person);
  if (!Array.isArray(options.images) || options.images.length === 0) {
    throw new RangeError('Expected at least one image of the person');
  }
  const signers: AuthorizedSigner[] = (options.authorizedSigners ?? []).map((pem) =>
    parseAuthorizedSigner(pem),
  );
  const descriptors: Float32Array[] = [];
  const faces: Array<{ box: FaceBox; score: number }> = [];
  for (const [i, image] of options.images.entries()) {
    const label = typeof image === 'string' ? image : `image #${i + 1}`;
    const pixels = await decodeImageRgb(await readMediaInput(image, label, ENROLL_IMAGE_LIMIT));
    const found = await detectFaces(pixels, { pad: 'always' });
    const sorted = [...found].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
    const [first, second] = sorted;
    if (first === undefined)
      throw new FaceNotFoundError(`No face was found in ${label}`, { details: { image: label } });
    if (
      second !== undefined &&
      first.box.width * first.box.height < DOMINANT_AREA_RATIO * second.box.width * second.box.height
    ) {
      throw new FaceNotFoundError(`${label} shows ${sorted.length} faces and none is clearly the person's`, {
        details: { image: label, faces: sorted.length },
      });
    }
    descriptors.push(first.descriptor);
    faces.push({ box: first.box, score: first.score });
  }
  const enrolled = await registry.enroll({
    person,
    ...(options.name === undefined ? {} : { name: options.name }),
    model: FACE_MODEL_ID,
    descriptors,
    signers,
  });
  return { person: enrolled, faces };
}
