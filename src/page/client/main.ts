/**
 * The verify page. Everything about the file happens here and in the worker: the file's bytes
 * never leave the browser unless the visitor presses "Analyse on the server". The only other
 * requests are the page's own assets, the trust configuration, and, when a watermark is read, the
 * id lookup (`GET /matches/byBinding`) and the recovered manifest (`GET /manifests/{id}`).
 */
import { engineContextJson, type EngineTrust } from '../../c2pa/context.js';
import type { ValidationStatus } from '../../verify/types.js';
import { imageWatermarkV1 } from '../../watermark/schemes/image/index.js';
import { $, blobUrl, el, revokeBlobUrls } from './dom.js';
import type { ReadOutcome, WatermarkReading, WorkerRequest, WorkerResponse } from './protocol.js';
import { render } from './render.js';
import { thumbRefs, type PageReport, type Resources, type ThumbRefs } from './report.js';
import {
  declaredSoftBinding,
  embeddedVerdict,
  recoveredStore,
  recoveredVerdict,
  validatedStore,
  type ValidatedStore,
} from './verdict.js';
import { embeddedSummary, noEmbeddedSummary } from './words.js';

interface TrustResponse {
  readonly trust: EngineTrust;
  readonly description: string;
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
  // The worker reads the image scheme's mark (watermark/core); the server also finds rows stored
  // under the legacy identifier.
  const q = new URLSearchParams({ alg: imageWatermarkV1.id, value: imageWatermarkV1.binding.encode(id) });
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

let current: { file: File; report: PageReport } | undefined;

async function handle(file: File): Promise<void> {
  revokeBlobUrls();
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
