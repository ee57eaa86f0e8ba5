/** Drawing a report on the verify page: the verdict, the manifest's facts, ingredients, thumbnails, statuses. */
import type { EngineStore } from '../../c2pa/read.js';
import { statusesOf } from '../../verify/summary.js';
import type { IngredientSummary, ManifestContentSummary, ValidationStatus } from '../../verify/types.js';
import { $, blobUrl, el } from './dom.js';
import type { PageReport, Resources, ThumbRefs } from './report.js';
import { VERDICT_TEXT, isAiGenerated } from './verdict.js';
import { actionWords } from './words.js';

function resourceUrl(
  resources: Record<string, { bytes: Uint8Array; format: string }>,
  id: string | undefined,
): string | undefined {
  const r = id ? resources[id] : undefined;
  return r ? blobUrl(new Blob([r.bytes as BlobPart], { type: r.format })) : undefined;
}

function statusLine(statuses: readonly ValidationStatus[]): string {
  const f = statuses.filter((s) => s.kind === 'failure');
  return f.length === 0 ? 'valid' : f.map((s) => s.code).join(', ');
}

function factList(rows: Array<[string, string | undefined]>): HTMLDListElement {
  const dl = el('dl', { className: 'facts' });
  for (const [k, v] of rows) if (v) dl.append(el('dt', { text: k }), el('dd', { text: v }));
  return dl;
}

function section(title: string, ...children: Node[]): HTMLElement {
  return el('section', {}, [el('h3', { text: title }), ...children]);
}

/** Deepest ingredient nesting drawn (a store can chain manifests; the engine bounds it too). */
const MAX_TREE_DEPTH = 8;

/**
 * The ingredients of manifest `label` as a nested list: each with its thumbnail, its own status
 * (for the top level, what the signer recorded plus the engine's re-validation now; deeper, what
 * was recorded), and its own ingredients when it carried a manifest.
 */
function ingredientTree(
  store: EngineStore,
  label: string,
  resources: Resources,
  depth: number,
  top?: readonly IngredientSummary[],
): HTMLUListElement | undefined {
  const ings = store.manifests[label]?.ingredients ?? [];
  if (ings.length === 0 || depth > MAX_TREE_DEPTH) return undefined;
  const list = el('ul', {
    className: 'ingredients',
    attrs: { 'aria-label': depth === 0 ? 'Ingredients' : 'Ingredients of the ingredient above' },
  });
  ings.forEach((ing, i) => {
    const title = ing.title ?? `Ingredient ${i + 1}`;
    const summary = top?.[i];
    const statuses = summary
      ? [...summary.statuses, ...summary.deltas]
      : statusesOf(ing.validation_results?.activeManifest, ing.validation_status);
    const id = (ing as { thumbnail?: { identifier?: string } }).thumbnail?.identifier;
    const src = resourceUrl(resources, id);
    const row = el('div', { className: 'ingredient' });
    if (src) row.append(el('img', { attrs: { src, alt: `Thumbnail of ${title}` } }));
    row.append(
      el('div', {}, [
        el('strong', { text: title }),
        el('div', { text: `${ing.relationship ?? 'ingredient'}${ing.format ? `, ${ing.format}` : ''}` }),
        el('div', {
          text: ing.active_manifest
            ? `Has its own credentials: ${statusLine(statuses)}`
            : 'No credentials of its own',
        }),
      ]),
    );
    const item = el('li', {}, [row]);
    const nested = ing.active_manifest
      ? ingredientTree(store, ing.active_manifest, resources, depth + 1)
      : undefined;
    if (nested) item.append(nested);
    list.append(item);
  });
  return list;
}

function renderManifest(
  m: ManifestContentSummary,
  file: File,
  resources: Resources,
  refs: ThumbRefs,
  isImage: boolean,
  differs: boolean,
): Node[] {
  const out: Node[] = [];
  const time = m.signer.time;
  out.push(
    section(
      'Who signed it, and when',
      factList([
        ['Signed by', m.signer.commonName ?? m.signer.organization ?? 'not named'],
        ['Organisation', m.signer.organization],
        ['Certificate issued by', m.signer.issuer],
        [
          'Signed at',
          time ? `${new Date(time).toLocaleString()} (from a time-stamp)` : 'no time-stamp in the signature',
        ],
        ['App or device', m.claimGenerator],
        ['Title', m.title],
        ['Algorithm', m.signer.algorithm],
      ]),
    ),
  );
  const actionList = el(
    'ul',
    { className: 'action-list' },
    m.actions.map((a) => el('li', { text: actionWords(a) })),
  );
  out.push(
    section('What was done', m.actions.length ? actionList : el('p', { text: 'No actions are recorded.' })),
  );
  if (m.identities.length) {
    const items = m.identities.map((id) => {
      const who =
        id.verifiedIdentities
          .map((v) => [v.name, v.username, v.provider].filter(Boolean).join(' · '))
          .join('; ') ||
        id.signer?.commonName ||
        id.issuer ||
        id.label;
      const state =
        id.state === 'trusted'
          ? 'verified'
          : id.state === 'valid'
            ? 'signature valid, issuer not trusted'
            : 'invalid';
      return el('li', { text: `${who} (${state})` });
    });
    out.push(section('Identity assertions', el('ul', {}, items)));
  }
  const tree = refs.store ? ingredientTree(refs.store, m.manifestId, resources, 0, m.ingredients) : undefined;
  if (tree) out.push(section(`Ingredients (${m.ingredients.length})`, tree));
  const thumb = resourceUrl(resources, refs.manifest);
  if (thumb && !(differs && isImage)) {
    // Intact: the thumbnail is what was signed; a comparison would show the same picture twice.
    out.push(
      section(
        'Thumbnail in the credentials',
        el('img', {
          className: 'thumb',
          attrs: { src: thumb, alt: 'Thumbnail recorded in the credentials' },
        }),
      ),
    );
  } else if (thumb) {
    const fileUrl = blobUrl(file);
    const compare = el('div', { className: 'compare' }, [
      el('figure', {}, [
        el('img', { attrs: { src: fileUrl, alt: 'The file you chose' } }),
        el('figcaption', { text: 'Your file' }),
      ]),
      el('figure', {}, [
        el('img', { attrs: { src: thumb, alt: 'Thumbnail recorded in the credentials' } }),
        el('figcaption', { text: 'Thumbnail in the credentials' }),
      ]),
    ]);
    const top = el('div', { className: 'top' }, [el('img', { attrs: { src: thumb, alt: '' } })]);
    const range = el('input', {
      attrs: { type: 'range', min: '0', max: '100', value: '50', id: 'compare-range' },
    });
    const slider = el('div', { className: 'slider' }, [
      el('img', { attrs: { src: fileUrl, alt: 'Your file and the credentials thumbnail, overlaid' } }),
      top,
    ]);
    const setClip = () => {
      top.style.width = `${range.value}%`;
      const img = top.firstElementChild as HTMLImageElement;
      img.style.width = `${slider.clientWidth}px`;
    };
    range.addEventListener('input', setClip);
    requestAnimationFrame(setClip);
    out.push(
      section(
        'Compare',
        compare,
        slider,
        el('label', { text: 'Slide between your file and the thumbnail', attrs: { for: 'compare-range' } }),
        range,
      ),
    );
  }
  return out;
}

function renderStatuses(statuses: readonly ValidationStatus[]): HTMLElement {
  const body = el('tbody');
  for (const s of statuses) {
    body.append(
      el('tr', { className: `status-${s.kind}` }, [
        el('td', { text: s.kind }),
        el('td', { text: s.code }),
        el('td', { text: s.explanation }),
      ]),
    );
  }
  const table = el('table', {}, [
    el('thead', {}, [
      el('tr', {}, [
        el('th', { text: 'Kind' }),
        el('th', { text: 'Code' }),
        el('th', { text: 'Explanation' }),
      ]),
    ]),
    body,
  ]);
  return el('details', {}, [
    el('summary', { text: `Validation details (${statuses.length} checks)` }),
    table,
  ]);
}

export function render(
  file: File,
  report: PageReport,
  resources: Record<string, { bytes: Uint8Array; format: string }>,
  refs: ThumbRefs,
): void {
  const text = VERDICT_TEXT[report.verdict];
  const verdictBox = $('verdict');
  verdictBox.dataset.verdict = report.verdict;
  $('verdict-title').textContent = text.title;
  $('verdict-plain').textContent = text.plain;
  $('verdict-summary').textContent = report.summary;
  const manifest =
    'activeManifest' in report.verification
      ? report.verification.activeManifest
      : report.recovered?.activeManifest;
  const ai = $('ai-label');
  ai.hidden = !isAiGenerated(manifest);
  ai.textContent = ai.hidden
    ? ''
    : 'AI-generated: the credentials say this content was made or changed with generative AI.';
  const details = $('details');
  details.replaceChildren();
  const isImage = report.format?.kind === 'image';
  // The file is not the signed bytes: a recovered copy, or one whose hashes fail.
  const differs = ['recovered', 'tampered', 'conflict', 'invalid'].includes(report.verdict);
  if (manifest) details.append(...renderManifest(manifest, file, resources, refs, isImage, differs));
  const w = report.watermark;
  details.append(
    section(
      'Invisible watermark',
      el('p', {
        text: w
          ? w.found
            ? `Found: id ${w.payload} (confidence ${w.confidence.toFixed(2)}${w.bitErrors !== undefined ? `, ${w.bitErrors} bit errors corrected` : ''}).`
            : `Not found (${w.reason ?? 'no mark'}).`
          : report.format?.kind === 'image'
            ? 'Not checked: the credentials declare no provmark watermark.'
            : 'Not checked in the browser for this kind of file.',
      }),
    ),
  );
  const statuses =
    'statuses' in report.verification ? report.verification.statuses : report.recovered?.statuses;
  if (statuses?.length) details.append(renderStatuses(statuses));
  $('result').hidden = false;
  $('server-result').replaceChildren();
  $<HTMLHeadingElement>('verdict-title').focus();
}
