/** Soft bindings as the routes take them: checked against what this server answers, and looked up. */
import { normalizeBinding } from '../repository/record.js';
import type { BindingMatch, ManifestRepository, SoftBinding } from '../repository/types.js';
import { SOFT_BINDING_ALG, softBindingIdFromValue } from '../watermark/softbinding.js';
import { HttpError, asBadRequest } from './http-error.js';

/**
 * A binding from a request, normalised; 400 when it is malformed, its algorithm is not among
 * `supported`, or a provmark watermark value is not 8 bytes. `names` are the fields named in messages.
 */
export function checkBinding(
  supported: ReadonlySet<string>,
  alg: string,
  value: string,
  names = { alg: 'alg', value: 'value' },
): SoftBinding {
  const b = asBadRequest(() => normalizeBinding({ alg, value }, 'binding'));
  if (!supported.has(b.alg)) {
    throw new HttpError(
      400,
      'ERR_UNSUPPORTED_ALGORITHM',
      `${names.alg} ${JSON.stringify(b.alg)} is not supported here; see /services/supportedAlgorithms`,
    );
  }
  if (b.alg === SOFT_BINDING_ALG && softBindingIdFromValue(b.value) === undefined) {
    throw new HttpError(
      400,
      'ERR_INVALID_REQUEST',
      `${names.value} must be the base64 of 8 bytes for ${SOFT_BINDING_ALG}`,
    );
  }
  return b;
}

/** Matches of any of `bindings`, in order, each manifest once, at most `max`. */
export async function lookUp(
  repository: ManifestRepository,
  bindings: readonly SoftBinding[],
  max: number,
): Promise<BindingMatch[]> {
  const seen = new Set<string>();
  const out: BindingMatch[] = [];
  for (const b of bindings) {
    for (const m of await repository.findByBinding(b.alg, b.value, { maxResults: max })) {
      if (out.length >= max) return out;
      if (!seen.has(m.manifestId)) {
        seen.add(m.manifestId);
        out.push(m);
      }
    }
  }
  return out;
}
