/**
 * The registry of watermark schemes: the one place that answers which scheme an identifier names,
 * which schemes mark or read a format, and which identifiers a binding may be stored under.
 * protect(), inspect(), the manifest summaries, the server and the CLI ask it; the built-in
 * schemes are listed in builtin.ts; registerWatermarkScheme adds more. Pure (no Node imports): the
 * verify page bundles it.
 */
import { FORMATS, type FormatInfo } from '../../media/sniff.js';
import type { MediaFormat } from '../../types.js';
import { builtInSchemes } from './builtin.js';
import type { SoftBindingCodec, WatermarkMedium, WatermarkScheme } from './types.js';

const MEDIA: ReadonlySet<string> = new Set<WatermarkMedium>(['image', 'video', 'audio']);
/**
 * Schemes added by registerWatermarkScheme: one list per process, kept under a registered symbol
 * on globalThis, created by the first registration (importing changes nothing global), so that
 * where a bundler gives each entry point its own copy of this module (the CommonJS build) a scheme
 * registered through one subpath is seen by all of them.
 */
const ADDED = Symbol.for('provmark.watermark.schemes');
type Holder = { [ADDED]?: WatermarkScheme[] };

function added(): WatermarkScheme[] | undefined {
  return (globalThis as Holder)[ADDED];
}

/** Built-in schemes first, then the registered ones, in registration order. */
function all(): readonly WatermarkScheme[] {
  const more = added();
  return more && more.length > 0 ? [...builtInSchemes, ...more] : builtInSchemes;
}

/** Every identifier a scheme answers to: its own and the legacy ones it reads. */
function idsOf(s: WatermarkScheme): readonly string[] {
  return [s.id, ...(s.legacyIds ?? [])];
}

function checkScheme(s: WatermarkScheme): void {
  if (typeof s !== 'object' || s === null) throw new TypeError('Expected a WatermarkScheme object');
  for (const id of [s.id, ...(s.legacyIds ?? [])]) {
    if (typeof id !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(id)) {
      throw new RangeError(
        `Expected a printable identifier (1-256 characters) but received ${JSON.stringify(id)}`,
      );
    }
  }
  if (!MEDIA.has(s.medium)) throw new RangeError(`Expected image, video or audio for medium of ${s.id}`);
  if (!Number.isInteger(s.version) || s.version < 1) {
    throw new RangeError(`Expected a positive integer version for ${s.id} but received ${String(s.version)}`);
  }
  if (!Array.isArray(s.formats) || s.formats.some((f) => !(f in FORMATS))) {
    throw new RangeError(`Expected known media formats for ${s.id}`);
  }
  if (typeof s.binding?.encode !== 'function' || typeof s.binding.decode !== 'function') {
    throw new TypeError(`Expected a binding codec (encode, decode) for ${s.id}`);
  }
  if (typeof s.detect !== 'function' || (s.embed !== undefined && typeof s.embed !== 'function')) {
    throw new TypeError(`Expected detect (and optionally embed) functions for ${s.id}`);
  }
  const schemes = all();
  const ownIds = new Set(schemes.map((t) => t.id));
  const taken =
    schemes.some((t) => idsOf(t).includes(s.id)) || (s.legacyIds ?? []).some((l) => ownIds.has(l));
  if (taken) throw new RangeError(`A watermark scheme named ${s.id} is already registered`);
  const rival = schemes.find(
    (t) =>
      t.medium === s.medium &&
      t.version === s.version &&
      t.embed &&
      s.embed &&
      t.formats.some((f) => s.formats.includes(f)),
  );
  if (rival) {
    throw new RangeError(`${s.id} and ${rival.id} would both embed version ${s.version} in the same formats`);
  }
}

/**
 * Add a scheme. Returns a function that removes it again (for tests and plug-ins).
 *
 * @example
 * ```ts
 * const unregister = registerWatermarkScheme(myScheme);
 * ```
 */
export function registerWatermarkScheme(scheme: WatermarkScheme): () => void {
  checkScheme(scheme);
  const list = ((globalThis as Holder)[ADDED] ??= []);
  list.push(scheme);
  return () => {
    const i = list.indexOf(scheme);
    if (i >= 0) list.splice(i, 1);
  };
}

/** Every scheme: the built-in ones, then the registered ones in registration order. */
export function watermarkSchemes(): readonly WatermarkScheme[] {
  return [...all()];
}

/**
 * The scheme an identifier names. A legacy identifier names one scheme per medium: give the
 * file's `medium` to pick it (without one, the first registered scheme that reads it).
 *
 * @example
 * ```ts
 * watermarkScheme('org.provmark.watermark.1', 'audio')?.id; // 'org.provmark.watermark.audio.1'
 * ```
 */
export function watermarkScheme(alg: string, medium?: WatermarkMedium): WatermarkScheme | undefined {
  const schemes = all();
  const exact = schemes.find((s) => s.id === alg);
  if (exact) return exact;
  const named = schemes.filter((s) => s.legacyIds?.includes(alg));
  return (medium === undefined ? undefined : named.find((s) => s.medium === medium)) ?? named[0];
}

/** The binding-value encoding of an identifier (own or legacy); undefined for an unknown one. */
export function bindingCodecFor(alg: string): SoftBindingCodec | undefined {
  return watermarkScheme(alg)?.binding;
}

function formatInfo(format: FormatInfo | MediaFormat): FormatInfo {
  return typeof format === 'string' ? FORMATS[format] : format;
}

/**
 * The schemes that mark (`'embed'`) or read (`'detect'`) a format, in the order they are used:
 * schemes of the format's own medium first (a video's frames before its soundtrack), newer
 * versions first. For `'embed'`, only the newest embedding version of each medium.
 *
 * @example
 * ```ts
 * watermarkSchemesFor('mp4', 'embed').map((s) => s.id); // ['…video.1', '…audio.2']
 * ```
 */
export function watermarkSchemesFor(
  format: FormatInfo | MediaFormat,
  use: 'embed' | 'detect',
): WatermarkScheme[] {
  const info = formatInfo(format);
  const own = (s: WatermarkScheme): number => (s.medium === info.kind ? 0 : 1);
  const found = all()
    .filter((s) => s.formats.includes(info.format) && (use === 'detect' || s.embed !== undefined))
    .sort((a, b) => own(a) - own(b) || b.version - a.version);
  return use === 'detect'
    ? found
    : found.filter((s, i) => found.findIndex((t) => t.medium === s.medium) === i);
}

/**
 * Whether provmark can watermark a format: a scheme of the format's own medium marks it. The one
 * answer protect(), inspect(), the server and the CLI use (SVG, HEIC, documents: no).
 *
 * @example
 * ```ts
 * canCarryWatermark('jpeg'); // true
 * canCarryWatermark('svg'); // false
 * ```
 */
export function canCarryWatermark(format: FormatInfo | MediaFormat): boolean {
  const info = formatInfo(format);
  return watermarkSchemesFor(info, 'embed').some((s) => s.medium === info.kind);
}

/** Whether some scheme reads marks from a format (including detect-only older versions). */
export function canReadWatermark(format: FormatInfo | MediaFormat): boolean {
  const info = formatInfo(format);
  return watermarkSchemesFor(info, 'detect').length > 0;
}

/**
 * Every identifier this registry answers to: the schemes' own, then the legacy ones they read
 * (what a resolution server lists under `/services/supportedAlgorithms`).
 */
export function watermarkAlgorithms(): string[] {
  const schemes = all();
  return [...new Set([...schemes.map((s) => s.id), ...schemes.flatMap((s) => s.legacyIds ?? [])])];
}

/**
 * The bindings under which a binding may be stored: a scheme's own identifier and the legacy one
 * it reads name the same marks, so a lookup by either must find rows written under both. Each
 * value is re-encoded with its identifier's codec. An identifier the registry does not know, or a
 * value its codec rejects, gives just the binding itself.
 *
 * @example
 * ```ts
 * bindingVariants('org.provmark.watermark.image.1', 'ASNFZ4mrze8=');
 * // [{ alg: '…image.1', value }, { alg: 'org.provmark.watermark.1', value }]
 * ```
 */
export function bindingVariants(
  alg: string,
  value: string,
): Array<{ readonly alg: string; readonly value: string }> {
  const scheme = watermarkScheme(alg);
  const id = scheme?.binding.decode(value);
  if (!scheme || id === undefined) return [{ alg, value }];
  const named = scheme.id === alg ? [scheme] : all().filter((s) => s.legacyIds?.includes(alg));
  const algs = new Set([alg, ...named.flatMap(idsOf)]);
  return [...algs].map((a) => ({ alg: a, value: (watermarkScheme(a) ?? scheme).binding.encode(id) }));
}
