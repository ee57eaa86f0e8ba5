/**
 * The signing side of likeness: an ad's manifest can declare which registered people it depicts, in a
 * provmark assertion `org.provmark.likeness` `{ persons: [ids], consentRef? }`. `checkLikeness` then
 * compares the declaration with the faces it finds. Pure code (no models, no engine), so `sign` can use
 * it without loading anything.
 */

/** Label of the assertion (a provmark-specific label, C2PA 2.x §6.3 "entity-specific namespaces"). */
export const LIKENESS_ASSERTION_LABEL = 'org.provmark.likeness';

/** The people an asset depicts, as declared by its signer. */
export interface LikenessDeclaration {
  /** Registry ids of the people shown (1–100, unique). */
  readonly persons: readonly string[];
  /** Where the consent for this use is recorded (a contract number, a URL…), at most 2,048 characters. */
  readonly consentRef?: string;
}

const PERSON_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/** Throws RangeError unless `person` is a registry id: 1–128 of letters, digits and `._:@-`. */
export function checkPersonId(person: unknown, name = 'person'): asserts person is string {
  if (typeof person !== 'string') throw new TypeError(`Expected a string for ${name}`);
  if (!PERSON_ID.test(person)) {
    throw new RangeError(
      `Expected 1-128 letters, digits or . _ : @ - (starting with a letter or digit) for ${name} but received ${JSON.stringify(person)}`,
    );
  }
}

/** Validate a declaration (TypeError/RangeError naming the field) and return it normalised. */
export function checkLikenessDeclaration(
  d: unknown,
  name = 'likeness',
): { persons: string[]; consentRef?: string } {
  if (d === null || typeof d !== 'object') throw new TypeError(`Expected an object for ${name}`);
  const { persons, consentRef } = d as { persons?: unknown; consentRef?: unknown };
  if (!Array.isArray(persons)) throw new TypeError(`Expected an array of person ids for ${name}.persons`);
  if (persons.length < 1 || persons.length > 100) {
    throw new RangeError(
      `Expected between 1 and 100 person ids for ${name}.persons but received ${persons.length}`,
    );
  }
  persons.forEach((p, i) => checkPersonId(p, `${name}.persons[${i}]`));
  if (new Set(persons).size !== persons.length)
    throw new RangeError(`Expected unique ids in ${name}.persons`);
  if (consentRef !== undefined && (typeof consentRef !== 'string' || consentRef.length > 2048)) {
    throw new RangeError(`Expected a string of at most 2048 characters for ${name}.consentRef`);
  }
  return { persons: [...(persons as string[])], ...(consentRef === undefined ? {} : { consentRef }) };
}

/**
 * The assertion to put in a manifest for a declaration (what `sign`/`protect` do with their
 * `likeness` option).
 *
 * @example
 * ```ts
 * const a = likenessAssertion({ persons: ['ambassador-1'], consentRef: 'contract 2025-114' });
 * await sign('ad.jpg', { signer, manifest: { assertions: [a] } });
 * ```
 */
export function likenessAssertion(declaration: LikenessDeclaration): {
  label: string;
  data: { persons: string[]; consentRef?: string };
} {
  return { label: LIKENESS_ASSERTION_LABEL, data: checkLikenessDeclaration(declaration) };
}

/**
 * Read a declaration back from an assertion's data; undefined when it is not a well-formed one (a
 * malformed declaration is treated as none).
 */
export function parseLikenessDeclaration(data: unknown): LikenessDeclaration | undefined {
  try {
    return checkLikenessDeclaration(data);
  } catch {
    return undefined;
  }
}
