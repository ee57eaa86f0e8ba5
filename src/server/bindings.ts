/** Soft bindings as the routes take them: checked against what this server answers, and looked up. */
import { normalizeBinding } from '../repository/record.js';
import type { BindingMatch, ManifestRepository, SoftBinding } from '../repository/types.js';
import { bindingVariants, watermarkScheme } from '../watermark/schemes/index.js';
import { HttpError, asBadRequest } from './http-error.js';

/**
 * A binding from a request, normalised; 400 when it is malformed, its algorithm is not among
 * `supported`, or a registered watermark scheme's codec does not read its value. `names` are the fields named in messages.
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
  const scheme = watermarkScheme(b.alg);
  if (scheme && scheme.binding.decode(b.value) === undefined) {
    throw new HttpError(
      400,
      'ERR_INVALID_REQUEST',
      `${names.value} is not a binding value of ${b.alg} (${scheme.name})`,
    );
  }
  return b;
}

/**
 * Matches of any of `bindings`, in order, each manifest once, at most `max`. A watermark scheme's
 * identifier and the legacy one it reads name the same marks: rows stored under either match.
 */
export async function lookUp(
  repository: ManifestRepository,
  bindings: readonly SoftBinding[],
  max: number,
): Promise<BindingMatch[]> {
  const seen = new Set<string>();
  const out: BindingMatch[] = [];
  for (const b of bindings.flatMap((x) => bindingVariants(x.alg, x.value))) {
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
