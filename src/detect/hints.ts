/**
 * Turn metadata into evidence. Each hint names the exact field it came from. Metadata is easy to strip and to
 * forge, so it can only ever add evidence of generation (a file that says it was generated is believed); its
 * absence or a camera claim never counts toward "likely-camera".
 */
import type { ContainerMetadata } from './containers.js';
import { readExifText } from './exif.js';
import type { DetectEvidence, EvidenceIndication } from './types.js';

const MAX_VALUE = 200;
const clip = (s: string): string => (s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s);

/**
 * IPTC Digital Source Type vocabulary (https://cv.iptc.org/newscodes/digitalsourcetype/), mapped to what each
 * term says about generation. Terms not listed are reported as informational.
 */
const SOURCE_TYPES: Record<
  string,
  { indicates: EvidenceIndication; strength: DetectEvidence['strength']; detail: string }
> = {
  trainedAlgorithmicMedia: {
    indicates: 'synthetic',
    strength: 'decisive',
    detail: 'The file declares itself created by a trained model (generative AI).',
  },
  compositeWithTrainedAlgorithmicMedia: {
    indicates: 'synthetic',
    strength: 'decisive',
    detail: 'The file declares itself a composite that includes generative-AI content (partly synthetic).',
  },
  algorithmicMedia: {
    indicates: 'synthetic',
    strength: 'decisive',
    detail: 'The file declares itself created purely by an algorithm, not captured.',
  },
  compositeSynthetic: {
    indicates: 'synthetic',
    strength: 'decisive',
    detail: 'The file declares itself a composite including synthetic elements.',
  },
  algorithmicallyEnhanced: {
    indicates: 'ai-edited',
    strength: 'supporting',
    detail: 'The file declares algorithmic enhancement of a capture.',
  },
  dataDrivenMedia: {
    indicates: 'ai-edited',
    strength: 'supporting',
    detail: 'The file declares data-driven media.',
  },
  digitalCapture: {
    indicates: 'capture-claim',
    strength: 'informational',
    detail: 'The file claims a digital capture; metadata claims are not verified.',
  },
  computationalCapture: {
    indicates: 'capture-claim',
    strength: 'informational',
    detail: 'The file claims a computational (multi-frame) capture; not verified.',
  },
};

/**
 * Generator names matched in tool fields (EXIF Software, XMP CreatorTool/softwareAgent, PNG "Software"). Kept
 * conservative: every entry names a generative product, not a generic editor.
 */
const GENERATOR_NAMES =
  /\b(dall[\s·.-]?e(?:[\s-]?[23])?|midjourney|adobe firefly|firefly|stable[\s-]?diffusion|stability\.?\s?ai|dreamstudio|novelai|invokeai|comfyui|automatic1111|sd[\s-]?webui|fooocus|google imagen|flux\.1|ideogram|leonardo\.ai|bing image creator|craiyon|nightcafe|openai sora)\b/i;

/** Read every hint from the container metadata. */
export function metadataEvidence(meta: ContainerMetadata): DetectEvidence[] {
  const out: DetectEvidence[] = [];
  for (const { where, text } of meta.xmp) out.push(...xmpEvidence(where, text));
  for (const { where, tiff } of meta.exif) {
    for (const t of readExifText(tiff)) {
      const source = `EXIF ${t.ifd} ${t.name} (0x${t.tag.toString(16).padStart(4, '0')}) [${where}]`;
      out.push(...textFieldEvidence(source, t.name, t.value));
    }
  }
  for (const chunk of meta.pngText) {
    out.push(...textFieldEvidence(`PNG ${chunk.chunk} "${chunk.keyword}"`, chunk.keyword, chunk.text));
  }
  for (const c of meta.jpegComments) out.push(...textFieldEvidence('JPEG COM', 'Comment', c));
  return dedupe(out);
}

function dedupe(list: DetectEvidence[]): DetectEvidence[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const key = `${e.source}\u0000${e.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A1111 / SD WebUI "parameters" text: "<prompt>\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: ..." */
function isSdWebuiParameters(text: string): boolean {
  return /\bSteps:\s*\d+/.test(text) && /\b(Sampler|Seed|CFG scale):/.test(text);
}

/** ComfyUI stores its API graph in "prompt" and its editor graph in "workflow", both JSON. */
function comfyKind(keyword: string, text: string): string | undefined {
  if (keyword !== 'prompt' && keyword !== 'workflow') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  if (keyword === 'workflow' && Array.isArray((parsed as { nodes?: unknown }).nodes))
    return 'ComfyUI workflow graph';
  if (
    keyword === 'prompt' &&
    Object.values(parsed).some((n) => typeof n === 'object' && n !== null && 'class_type' in n)
  )
    return 'ComfyUI prompt graph';
  return undefined;
}

const GENERATOR_KEYWORDS: Record<string, string> = {
  'sd-metadata': 'InvokeAI generation metadata',
  invokeai_metadata: 'InvokeAI generation metadata',
  invokeai_graph: 'InvokeAI generation graph',
  Dream: 'lstein "dream" generation command',
};

const TOOL_FIELDS = new Set(['Software', 'CreatorTool', 'softwareAgent']);

function textFieldEvidence(source: string, field: string, value: string): DetectEvidence[] {
  const found = (
    indicates: DetectEvidence['indicates'],
    strength: DetectEvidence['strength'],
    detail: string,
  ): DetectEvidence[] => [{ kind: 'metadata', source, value: clip(value), indicates, strength, detail }];
  if ((field === 'parameters' || field === 'UserComment') && isSdWebuiParameters(value)) {
    return found(
      'synthetic',
      'decisive',
      'Stable Diffusion WebUI (AUTOMATIC1111-style) generation parameters.',
    );
  }
  const known = comfyKind(field, value) ?? GENERATOR_KEYWORDS[field];
  if (known) return found('synthetic', 'decisive', `${known}.`);
  const name = GENERATOR_NAMES.exec(value)?.[0];
  if (name) {
    // A tool field naming a generator is the file's own statement; a mention in free text is only a hint.
    return TOOL_FIELDS.has(field)
      ? found('synthetic', 'decisive', `The creating tool is a generator (${name}).`)
      : found('synthetic', 'supporting', `The text mentions a generator (${name}).`);
  }
  if (field === 'Make' || field === 'Model') {
    return found(
      'capture-claim',
      'informational',
      'Camera make/model in metadata; easily copied into any file, so not evidence of a capture.',
    );
  }
  return [];
}

/** XMP: DigitalSourceType (IPTC Photo Metadata 2023.1, Iptc4xmpExt namespace) and tool fields. */
function xmpEvidence(where: string, xmp: string): DetectEvidence[] {
  const out: DetectEvidence[] = [];
  for (const { prefix, name, value } of xmpValues(xmp, [
    'DigitalSourceType',
    'CreatorTool',
    'softwareAgent',
    'Software',
  ])) {
    const source = `XMP ${prefix}:${name} [${where}]`;
    if (name === 'DigitalSourceType') {
      const term = value.trim().replace(/^.*\//, '');
      const known = SOURCE_TYPES[term];
      out.push({
        kind: 'metadata',
        source,
        value: clip(value.trim()),
        indicates: known?.indicates ?? 'none',
        strength: known?.strength ?? 'informational',
        detail: known?.detail ?? 'IPTC digital source type.',
      });
    } else {
      out.push(...textFieldEvidence(source, name === 'Software' ? 'Software' : name, value));
    }
  }
  return out;
}

/** Values of the named XMP properties, whatever prefix the packet binds, as attributes or simple elements. */
function xmpValues(xmp: string, names: readonly string[]): { prefix: string; name: string; value: string }[] {
  const out: { prefix: string; name: string; value: string }[] = [];
  const alt = names.join('|');
  const attr = new RegExp(`([A-Za-z][\\w.-]*):(${alt})\\s*=\\s*("([^"]*)"|'([^']*)')`, 'g');
  const elem = new RegExp(`<([A-Za-z][\\w.-]*):(${alt})(?:\\s[^>]*)?>([^<]*)</\\1:\\2>`, 'g');
  const resource = new RegExp(`<([A-Za-z][\\w.-]*):(${alt})\\s+rdf:resource\\s*=\\s*"([^"]*)"`, 'g');
  for (const m of xmp.matchAll(attr))
    out.push({ prefix: m[1]!, name: m[2]!, value: unescapeXml(m[4] ?? m[5] ?? '') });
  for (const m of xmp.matchAll(elem)) out.push({ prefix: m[1]!, name: m[2]!, value: unescapeXml(m[3]!) });
  for (const m of xmp.matchAll(resource)) out.push({ prefix: m[1]!, name: m[2]!, value: unescapeXml(m[3]!) });
  return out.filter((v) => v.value.trim().length > 0);
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');
}
