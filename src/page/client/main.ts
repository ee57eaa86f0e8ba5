/**
 * The verify page. Everything about the file happens here and in the worker: the file's bytes
 * never leave the browser unless the visitor presses "Analyse on the server". The only other
 * requests are the page's own assets, the trust configuration, and, when a watermark is read, the
 * id lookup (`GET /matches/byBinding`) and the recovered manifest (`GET /manifests/{id}`).
 */
import { engineContextJson, type EngineTrust } from '../../c2pa/context.js';
import type { EngineStore } from '../../c2pa/read.js';
import { statusesOf } from '../../verify/summary.js';
import type {
  ActionSummary,
  IngredientSummary,
  ManifestContentSummary,
  ValidationStatus,
} from '../../verify/types.js';
import { SOFT_BINDING_ALG, softBindingValue } from '../../watermark/softbinding.js';
import type {
  ReadOutcome,
  SniffedFormat,
  WatermarkReading,
  WorkerRequest,
  WorkerResponse,
} from './protocol.js';
import {
  VERDICT_TEXT,
  declaredSoftBinding,
  embeddedVerdict,
  isAiGenerated,
  recoveredStore,
  recoveredVerdict,
  validatedStore,
  type PageVerdict,
  type ValidatedStore,
} from './verdict.js';

interface TrustResponse {
  readonly trust: EngineTrust;
  readonly description: string;
}

/** What the page found; the "Download the report" button saves exactly this. */
export interface PageReport {
  readonly verdict: PageVerdict;
  readonly file: { readonly name: string; readonly size: number; readonly type: string };
  readonly format?: SniffedFormat;
  readonly summary: string;
  readonly verification:
    | (ValidatedStore & { readonly state: ValidatedStore['state'] })
    | {
        readonly state: 'absent' | 'remote' | 'unreadable';
        readonly remoteManifestUrl?: string;
        readonly error?: { code: string; message: string };
      };
  readonly watermark?: WatermarkReading;
  readonly recovered?: ValidatedStore & { readonly manifestId: string; readonly matches: readonly string[] };
  readonly timingsMs: Readonly<Record<string, number>>;
  readonly analysedIn: 'browser';
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
};

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { text?: string; className?: string; attrs?: Record<string, string> } = {},
  children: Node[] = [],
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.text !== undefined) e.textContent = props.text;
  if (props.className) e.className = props.className;
  for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

// ---------------------------------------------------------------------------------------------
// Worker plumbing

const worker = new Worker('/page/worker.js', { type: 'module' });
let nextId = 1;
const pending = new Map<number, (r: WorkerResponse) => void>();

worker.onmessage = (ev: MessageEvent<WorkerResponse>) => {
  const msg = ev.data;
  if (msg.type === 'ready') return;
  const id = 'id' in msg ? msg.id : undefined;
  if (id !== undefined) {
    pending.get(id)?.(msg);
    pending.delete(id);
  }
};

function ask(req: WorkerRequest & { id: number }, transfer: Transferable[] = []): Promise<WorkerResponse> {
  return new Promise((resolve) => {
    pending.set(req.id, resolve);
    worker.postMessage(req, transfer);
  });
}

async function readStore(bytes: Uint8Array, mime: string | undefined, context: string) {
  const r = await ask({ type: 'read', id: nextId++, bytes, ...(mime ? { mime } : {}), context }, [
    bytes.buffer as ArrayBuffer,
  ]);
  if (r.type === 'error') throw new Error(r.message);
  if (r.type !== 'read') throw new Error('unexpected worker answer');
  return r;
}

async function readWatermark(blob: Blob): Promise<WatermarkReading> {
  const r = await ask({ type: 'watermark', id: nextId++, blob });
  if (r.type === 'error') throw new Error(r.message);
  if (r.type !== 'watermark') throw new Error('unexpected worker answer');
  return r.reading;
}

let trust: TrustResponse = { trust: {}, description: '' };

async function start(): Promise<void> {
  const status = $('engine-status');
  const [module, t] = await Promise.all([
    WebAssembly.compileStreaming(fetch('/page/c2pa.wasm')),
    fetch('/page/trust').then((r) =>
      r.ok ? (r.json() as Promise<TrustResponse>) : Promise.reject(new Error(`HTTP ${r.status}`)),
    ),
  ]);
  trust = t;
  $('trust-note').textContent = t.description;
  await new Promise<void>((resolve) => {
    const onReady = (ev: MessageEvent<WorkerResponse>) => {
      if (ev.data.type === 'ready') {
        worker.removeEventListener('message', onReady);
        resolve();
      }
    };
    worker.addEventListener('message', onReady);
    worker.postMessage({ type: 'init', module } satisfies WorkerRequest);
  });
  status.textContent = 'Ready: choose or drop a file.';
  document.body.dataset.ready = 'true';
}

// ---------------------------------------------------------------------------------------------
// Analysis (in the browser)

const IMAGE_KINDS = new Set(['jpeg', 'png', 'webp', 'gif', 'avif', 'heic', 'heif', 'tiff', 'bmp']);

type Resources = Record<string, { bytes: Uint8Array; format: string }>;

async function analyse(file: File): Promise<{ report: PageReport; resources: Resources; refs: ThumbRefs }> {
  const none: ThumbRefs = {};
  const t0 = performance.now();
  const context = engineContextJson({ trust: trust.trust });
  const bytes = new Uint8Array(await file.arrayBuffer());
  const read = await readStore(bytes, undefined, context);
  const timingsMs: Record<string, number> = { engine: round(read.ms) };
  const fileInfo = { name: file.name, size: file.size, type: file.type };
  const base = {
    file: fileInfo,
    ...(read.format ? { format: read.format } : {}),
    timingsMs,
    analysedIn: 'browser' as const,
  };
  if (read.error || !read.outcome) {
    const error = read.error ?? { code: 'ERR_INTERNAL', message: 'no answer' };
    return {
      report: {
        ...base,
        verdict: 'no-provenance',
        summary: `The file could not be examined: ${error.message}.`,
        verification: { state: 'unreadable', error },
      },
      resources: {},
      refs: none,
    };
  }
  const markable =
    read.format !== undefined && read.format.kind === 'image' && IMAGE_KINDS.has(read.format.format);
  const outcome: ReadOutcome = read.outcome;
  if (outcome.kind === 'store') {
    const v = validatedStore(outcome.store, outcome.crJson);
    const declared = declaredSoftBinding(v.activeManifest);
    const watermark = declared && markable ? await readWatermark(file) : undefined;
    if (watermark) timingsMs.watermark = round(watermark.ms);
    const verdict = embeddedVerdict(v, watermark?.found ? watermark.payload : undefined);
    timingsMs.total = round(performance.now() - t0);
    return {
      report: {
        ...base,
        verdict,
        summary: embeddedSummary(verdict, v, declared, watermark),
        verification: v,
        ...(watermark ? { watermark } : {}),
      },
      resources: outcome.resources,
      refs: thumbRefs(outcome),
    };
  }
  if (outcome.kind === 'failed' && outcome.hasStore) {
    // A store is there but cannot be decoded: the hard binding cannot hold (C2PA general.error).
    const statuses: ValidationStatus[] = [
      { code: 'general.error', explanation: outcome.message, kind: 'failure' },
    ];
    const v: ValidatedStore = {
      state: 'invalid',
      statuses,
      ingredients: [],
      activeManifest: undefined,
      manifestCount: 0,
    };
    timingsMs.total = round(performance.now() - t0);
    return {
      report: {
        ...base,
        verdict: 'tampered',
        summary: 'The file carries Content Credentials that cannot be decoded.',
        verification: v,
      },
      resources: {},
      refs: none,
    };
  }
  const verification =
    outcome.kind === 'remote'
      ? { state: 'remote' as const, remoteManifestUrl: outcome.url }
      : outcome.kind === 'failed'
        ? { state: 'unreadable' as const, error: { code: outcome.code, message: outcome.message } }
        : { state: 'absent' as const };
  const watermark = markable ? await readWatermark(file) : undefined;
  if (watermark) timingsMs.watermark = round(watermark.ms);
  let recovered: PageReport['recovered'];
  let resources: Resources = {};
  let refs = none;
  if (watermark?.found && watermark.payload) {
    const t1 = performance.now();
    const found = await recover(watermark.payload, context);
    timingsMs.recover = round(performance.now() - t1);
    if (found) {
      recovered = found.recovered;
      resources = found.resources;
      refs = found.refs;
    }
  }
  const verdict = recoveredVerdict(recovered);
  timingsMs.total = round(performance.now() - t0);
  return {
    report: {
      ...base,
      verdict,
      summary: noEmbeddedSummary(verdict, watermark, recovered, markable, read.format),
      verification,
      ...(watermark ? { watermark } : {}),
      ...(recovered ? { recovered } : {}),
    },
    resources,
    refs,
  };
}

/** Look the id up on this server and validate the newest manifest that reads, in the browser. */
async function recover(id: string, context: string) {
  const q = new URLSearchParams({ alg: SOFT_BINDING_ALG, value: softBindingValue(id) });
  const res = await fetch(`/matches/byBinding?${q}`);
  if (!res.ok) return undefined;
  const { matches } = (await res.json()) as { matches: Array<{ manifestId: string }> };
  for (const match of matches) {
    const m = await fetch(`/manifests/${encodeURIComponent(match.manifestId)}`);
    if (!m.ok) continue;
    const store = new Uint8Array(await m.arrayBuffer());
    const read = await readStore(store, 'application/c2pa', context);
    if (read.outcome?.kind !== 'store') continue;
    const v = recoveredStore(read.outcome.store, read.outcome.crJson, id);
    return {
      recovered: {
        ...v,
        manifestId: v.activeManifest?.manifestId ?? match.manifestId,
        matches: matches.map((x) => x.manifestId),
      },
      resources: read.outcome.resources,
      refs: thumbRefs(read.outcome),
    };
  }
  return undefined;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

// ---------------------------------------------------------------------------------------------
// Words

function signerWords(m: ManifestContentSummary | undefined): string {
  if (!m) return 'an unknown signer';
  const s = m.signer;
  return `${s.commonName ?? s.organization ?? 'an unnamed signer'}${s.issuer ? ` (issued by ${s.issuer})` : ''}`;
}

function embeddedSummary(
  verdict: PageVerdict,
  v: ValidatedStore,
  declared: string | undefined,
  w: WatermarkReading | undefined,
): string {
  const signer = signerWords(v.activeManifest);
  const failures = v.statuses
    .filter((s) => s.kind === 'failure' && s.code !== 'signingCredential.untrusted')
    .map((s) => s.code);
  const parts = [
    verdict === 'verified'
      ? `Signed by ${signer}.`
      : verdict === 'untrusted-signer'
        ? `Signed by ${signer}, who is not on this server's trust lists.`
        : verdict === 'conflict'
          ? `Signed by ${signer}; the manifest declares watermark ${declared} but the pixels carry ${w?.payload}.`
          : `Signed by ${signer}; validation failed: ${failures.join(', ') || 'unknown failure'}.`,
  ];
  if (declared && w && !w.found)
    parts.push(`The watermark the credentials declare (${declared}) was not found in the pixels.`);
  if (declared && w?.found && w.payload === declared)
    parts.push(`The watermark in the pixels matches the credentials (${declared}).`);
  return parts.join(' ');
}

function noEmbeddedSummary(
  verdict: PageVerdict,
  w: WatermarkReading | undefined,
  r: PageReport['recovered'],
  markable: boolean,
  format: SniffedFormat | undefined,
): string {
  if (r) {
    const trustWords =
      r.state === 'trusted'
        ? 'a trusted signer'
        : r.state === 'valid'
          ? 'a signer not on the trust lists'
          : 'but those credentials do not validate';
    return verdict === 'recovered'
      ? `Its watermark (${w?.payload}) led to credentials ${r.manifestId} signed by ${signerWords(r.activeManifest)}, ${trustWords}. This file is a copy of the signed original (re-encoded, resized or cropped), so its bytes no longer match; that is expected, not tampering.`
      : `Its watermark (${w?.payload}) led to credentials ${r.manifestId}, ${trustWords} (${r.statuses
          .filter((s) => s.kind === 'failure')
          .map((s) => s.code)
          .join(', ')}).`;
  }
  if (w?.found) return `A provmark watermark (${w.payload}) is present, but this server does not know it.`;
  if (w) return 'No provmark watermark was detected in the pixels.';
  if (!markable && format && format.kind !== 'manifest')
    return `The browser checks watermarks in images only; “Analyse on the server” can look for a ${format.kind} watermark.`;
  return '';
}

const ACTION_WORDS: Record<string, string> = {
  'c2pa.created': 'Created',
  'c2pa.opened': 'Opened an existing file',
  'c2pa.edited': 'Edited',
  'c2pa.placed': 'Placed other content into it',
  'c2pa.cropped': 'Cropped',
  'c2pa.resized': 'Resized',
  'c2pa.color_adjustments': 'Colour adjusted',
  'c2pa.filtered': 'Filtered',
  'c2pa.converted': 'Converted to another format',
  'c2pa.transcoded': 'Transcoded',
  'c2pa.published': 'Published',
  'c2pa.watermarked': 'Invisible watermark added',
  'c2pa.repackaged': 'Repackaged',
  'c2pa.removed': 'Content removed',
};

const SOURCE_WORDS: Record<string, string> = {
  digitalCapture: 'captured with a camera or recorder',
  trainedAlgorithmicMedia: 'generated by AI',
  compositeWithTrainedAlgorithmicMedia: 'combined with AI-generated content',
  algorithmicMedia: 'generated by an algorithm',
  digitalCreation: 'created digitally by a person',
  composite: 'a composite',
  compositeCapture: 'a composite of captures',
  minorHumanEdits: 'captured, with minor edits',
  screenCapture: 'a screen capture',
};

function actionWords(a: ActionSummary): string {
  const base = ACTION_WORDS[a.action] ?? a.action.replace(/^c2pa\./, '').replace(/_/g, ' ');
  const src = a.digitalSourceType?.split('/').pop();
  const extra = [
    src ? (SOURCE_WORDS[src] ?? src) : '',
    a.softwareAgent ? `with ${a.softwareAgent}` : '',
    a.when ? `on ${a.when}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return extra ? `${base} — ${extra}` : base;
}

// ---------------------------------------------------------------------------------------------
// Rendering

let objectUrls: string[] = [];
function blobUrl(data: Blob): string {
  const u = URL.createObjectURL(data);
  objectUrls.push(u);
  return u;
}

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

interface ThumbRefs {
  readonly manifest?: string;
  /** The store the manifest came from, for the ingredient tree (nested manifests). */
  readonly store?: EngineStore;
}

function thumbRefs(store: ReadOutcome): ThumbRefs {
  if (store.kind !== 'store') return {};
  const active = store.store.active_manifest ? store.store.manifests[store.store.active_manifest] : undefined;
  return {
    ...(active?.thumbnail?.identifier ? { manifest: active.thumbnail.identifier } : {}),
    store: store.store,
  };
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

let current: { file: File; report: PageReport } | undefined;

function render(
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

async function handle(file: File): Promise<void> {
  for (const u of objectUrls) URL.revokeObjectURL(u);
  objectUrls = [];
  const status = $('engine-status');
  status.textContent = `Checking ${file.name}…`;
  delete document.body.dataset.done;
  try {
    await ready;
    const { report, resources, refs } = await analyse(file);
    current = { file, report };
    render(file, report, resources, refs);
    status.textContent = `Checked ${file.name} in ${Math.round(report.timingsMs.total ?? 0)} ms, in this browser.`;
  } catch (err) {
    status.textContent = `Could not check the file: ${(err as Error).message}`;
  }
  document.body.dataset.done = 'true';
}

function download(): void {
  if (!current) return;
  const blob = new Blob([JSON.stringify(current.report, null, 2)], { type: 'application/json' });
  const a = el('a', { attrs: { href: blobUrl(blob), download: `${current.file.name}.provenance.json` } });
  document.body.append(a);
  a.click();
  a.remove();
}

async function analyseOnServer(): Promise<void> {
  if (!current) return;
  const out = $('server-result');
  out.replaceChildren(el('p', { text: `Uploading ${current.file.name} to this server…` }));
  try {
    const res = await fetch('/inspect', {
      method: 'POST',
      headers: { 'content-type': current.file.type || 'application/octet-stream' },
      body: current.file,
    });
    const body = (await res.json()) as {
      verdict?: string;
      summary?: string;
      message?: string;
      detection?: { label?: string; score?: number | null };
    };
    if (!res.ok) {
      out.replaceChildren(
        el('p', { text: `The server could not analyse the file: ${body.message ?? res.status}` }),
      );
      return;
    }
    const parts = [
      el('h3', { text: `Server analysis: ${body.verdict ?? '?'}` }),
      el('p', { text: body.summary ?? '' }),
    ];
    if (body.detection)
      parts.push(
        el('p', {
          text: `AI-image detector: ${body.detection.label ?? '?'}${typeof body.detection.score === 'number' ? ` (${body.detection.score.toFixed(2)})` : ''}. This is a statistical opinion, not proof either way.`,
        }),
      );
    out.replaceChildren(...parts);
  } catch (err) {
    out.replaceChildren(el('p', { text: `The upload failed: ${(err as Error).message}` }));
  }
}

function wire(): void {
  const input = $<HTMLInputElement>('file');
  input.addEventListener('change', () => {
    const f = input.files?.[0];
    // Cleared so that choosing the same file again (after it changed on disk, say) checks it again.
    input.value = '';
    if (f) void handle(f);
  });
  const drop = $('drop');
  document.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  document.addEventListener('dragleave', () => drop.classList.remove('over'));
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) void handle(f);
  });
  $('download').addEventListener('click', download);
  $('server').addEventListener('click', () => void analyseOnServer());
}

wire();
const ready = start().catch((err: unknown) => {
  $('engine-status').textContent = `The verification engine could not start: ${(err as Error).message}`;
  throw err;
});
