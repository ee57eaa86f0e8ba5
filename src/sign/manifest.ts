/**
 * The manifest you write (a definition) — provmark's small, typed version of it, and its
 * translation to the engine's manifest-definition JSON.
 */

/** IPTC digital source types (https://cv.iptc.org/newscodes/digitalsourcetype/), by short name. */
export const DIGITAL_SOURCE_TYPES = [
  'digitalCapture',
  'computationalCapture',
  'negativeFilm',
  'positiveFilm',
  'print',
  'humanEdits',
  'minorHumanEdits',
  'compositeCapture',
  'algorithmicallyEnhanced',
  'dataDrivenMedia',
  'digitalArt',
  'virtualRecording',
  'compositeSynthetic',
  'trainedAlgorithmicMedia',
  'compositeWithTrainedAlgorithmicMedia',
  'algorithmicMedia',
  'screenCapture',
] as const;
export type DigitalSourceType = (typeof DIGITAL_SOURCE_TYPES)[number];

export const IPTC_DIGITAL_SOURCE_TYPE_BASE = 'http://cv.iptc.org/newscodes/digitalsourcetype/';

/** Full IPTC URI for a short name or an already-full URI; RangeError for anything else. */
export function digitalSourceTypeUri(value: string): string {
  if ((DIGITAL_SOURCE_TYPES as readonly string[]).includes(value))
    return IPTC_DIGITAL_SOURCE_TYPE_BASE + value;
  if (/^https?:\/\/\S+$/.test(value)) return value;
  throw new RangeError(
    `Expected one of ${DIGITAL_SOURCE_TYPES.join(', ')} (or a URI) for digitalSourceType but received ${JSON.stringify(value)}`,
  );
}

export interface ActionInput {
  /** e.g. `c2pa.edited`, `c2pa.color_adjustments`, `c2pa.watermarked`. */
  readonly action: string;
  readonly digitalSourceType?: string;
  readonly softwareAgent?: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

export interface AssertionInput {
  readonly label: string;
  readonly data: unknown;
}

/** What to put in the manifest. Everything is optional; a `c2pa.created` (or `c2pa.opened`) action is always added. */
export interface ManifestInput {
  readonly title?: string;
  /** IPTC digital source type of the content, short name or URI. Default `digitalCapture` for new content. */
  readonly digitalSourceType?: DigitalSourceType | string;
  /** The product making the claim. provmark adds itself after it. */
  readonly claimGenerator?: { readonly name: string; readonly version?: string };
  /** Author name, written as a schema.org CreativeWork assertion. */
  readonly author?: string;
  /** Actions after the first one. */
  readonly actions?: readonly ActionInput[];
  /** Custom assertions (label + JSON data), e.g. `com.example.camera-settings`. */
  readonly assertions?: readonly AssertionInput[];
}

export const PROVMARK_GENERATOR = { name: 'provmark', version: '0.1.0' } as const;
const PROVMARK_GENERATOR_KEY = 'org.provmark';

const LABEL = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$/;
const RESERVED = ['c2pa.actions', 'c2pa.hash.', 'c2pa.signature', 'c2pa.claim'];

export interface DefinitionContext {
  readonly mime: string;
  /** Label of a parentOf ingredient: the first action becomes `c2pa.opened` referencing it. */
  readonly parentLabel?: string;
}

/** Validate `input` and produce the engine's manifest definition. */
export function buildManifestDefinition(
  input: ManifestInput = {},
  ctx: DefinitionContext,
): Record<string, unknown> {
  if (typeof input !== 'object' || input === null) throw new TypeError('Expected an object for manifest');
  if (input.title !== undefined && typeof input.title !== 'string')
    throw new TypeError('Expected a string for manifest.title');
  const first: Record<string, unknown> = ctx.parentLabel
    ? { action: 'c2pa.opened', parameters: { ingredientIds: [ctx.parentLabel] } }
    : {
        action: 'c2pa.created',
        digitalSourceType: digitalSourceTypeUri(input.digitalSourceType ?? 'digitalCapture'),
      };
  if (ctx.parentLabel && input.digitalSourceType)
    first.digitalSourceType = digitalSourceTypeUri(input.digitalSourceType);
  const actions = [first, ...(input.actions ?? []).map(toAction)];
  const assertions: Array<{ label: string; data: unknown }> = [
    { label: 'c2pa.actions.v2', data: { actions } },
  ];
  if (input.author !== undefined) {
    if (typeof input.author !== 'string' || input.author.trim() === '')
      throw new TypeError('Expected a non-empty string for manifest.author');
    assertions.push({
      label: 'stds.schema-org.CreativeWork',
      data: {
        '@context': 'https://schema.org',
        '@type': 'CreativeWork',
        author: [{ '@type': 'Person', name: input.author }],
      },
    });
  }
  for (const a of input.assertions ?? []) {
    if (!a || typeof a.label !== 'string' || !LABEL.test(a.label)) {
      throw new RangeError(
        `Expected an assertion label like "com.example.thing" but received ${JSON.stringify(a?.label)}`,
      );
    }
    if (RESERVED.some((r) => a.label.startsWith(r))) {
      throw new RangeError(
        `The assertion label ${a.label} is reserved: the engine writes it (use manifest.actions for actions)`,
      );
    }
    assertions.push({ label: a.label, data: a.data });
  }
  // Claim v2 allows one claim_generator_info entry: the caller's product, with provmark's version as an extra field.
  const generator = input.claimGenerator
    ? { ...checkGenerator(input.claimGenerator), [PROVMARK_GENERATOR_KEY]: PROVMARK_GENERATOR.version }
    : { ...PROVMARK_GENERATOR };
  return {
    claim_generator_info: [generator],
    ...(input.title ? { title: input.title } : {}),
    format: ctx.mime,
    assertions,
  };
}

function toAction(a: ActionInput): Record<string, unknown> {
  if (!a || typeof a.action !== 'string' || !/^[a-z0-9_.]+$/i.test(a.action)) {
    throw new RangeError(
      `Expected an action name like "c2pa.edited" but received ${JSON.stringify(a?.action)}`,
    );
  }
  if (a.action === 'c2pa.created' || a.action === 'c2pa.opened') {
    throw new RangeError(
      `${a.action} is added by provmark as the first action; do not list it in manifest.actions`,
    );
  }
  return {
    action: a.action,
    ...(a.digitalSourceType ? { digitalSourceType: digitalSourceTypeUri(a.digitalSourceType) } : {}),
    ...(a.softwareAgent ? { softwareAgent: { name: a.softwareAgent } } : {}),
    ...(a.parameters ? { parameters: a.parameters } : {}),
  };
}

function checkGenerator(g: { name: string; version?: string }): { name: string; version?: string } {
  if (typeof g?.name !== 'string' || g.name.trim() === '')
    throw new TypeError('Expected a non-empty string for manifest.claimGenerator.name');
  return { name: g.name, ...(g.version ? { version: g.version } : {}) };
}
