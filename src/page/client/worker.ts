/**
 * The page's worker: the C2PA engine (the same @contentauth/c2pa-wasm build the Node side uses)
 * and the image watermark detector (src/watermark/core, window search included) run here, off the page's main
 * thread. The worker makes no network request: the page compiles the engine and hands it over,
 * and looks ids up itself.
 */
import { initSync, WasmReader } from '@contentauth/c2pa-wasm';
import type { EngineStore } from '../../c2pa/read.js';
import { NO_MANIFEST_KINDS, parseEngineError } from '../../c2pa/engine-errors.js';
import { C2PA_STORE_UUID } from '../../c2pa/store-uuid.js';
import { isProvmarkError } from '../../errors.js';
import { sniffFormat } from '../../media/sniff.js';
import {
  MIN_DETECT_SIDE,
  WINDOW_MIN_SOURCE_AREA,
  WINDOW_PLANE_AREA,
  WORK_AREA,
  detectMark,
  detectMarkInWindows,
} from '../../watermark/core/index.js';
import type { ReadOutcome, WatermarkReading, WorkerRequest, WorkerResponse } from './protocol.js';
import { lumaPlane } from './luma.js';
import { watermarkSeed } from './seed.js';

interface WorkerScope {
  onmessage: ((ev: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerResponse, transfer?: Transferable[]): void;
}
const scope = globalThis as unknown as WorkerScope;

function containsStore(bytes: Uint8Array): boolean {
  outer: for (let i = 0; i + 16 <= bytes.length; i++) {
    if (bytes[i] !== C2PA_STORE_UUID[0]) continue;
    for (let j = 1; j < 16; j++) if (bytes[i + j] !== C2PA_STORE_UUID[j]) continue outer;
    return true;
  }
  return false;
}

interface ResourceRef {
  readonly identifier?: string;
  readonly format?: string;
}

/** Thumbnails of the active manifest and of every ingredient in the store (nested ones included). */
function thumbnails(
  reader: WasmReader,
  store: EngineStore,
): Record<string, { bytes: Uint8Array; format: string }> {
  const out: Record<string, { bytes: Uint8Array; format: string }> = {};
  const active = store.active_manifest ? store.manifests[store.active_manifest] : undefined;
  const refs: ResourceRef[] = [];
  if (active?.thumbnail) refs.push(active.thumbnail);
  for (const m of Object.values(store.manifests ?? {})) {
    for (const ing of m.ingredients ?? []) {
      const t = (ing as { thumbnail?: ResourceRef }).thumbnail;
      if (t) refs.push(t);
    }
  }
  for (const ref of refs) {
    if (!ref.identifier || out[ref.identifier]) continue;
    try {
      out[ref.identifier] = { bytes: reader.resourceToBytes(ref.identifier), format: ref.format ?? '' };
    } catch {
      // A missing resource only costs a thumbnail; the validation statuses report the store itself.
    }
  }
  return out;
}

async function read(bytes: Uint8Array, mime: string, context: string): Promise<ReadOutcome> {
  let reader: WasmReader;
  try {
    reader = await WasmReader.fromBytes(mime, bytes, context);
  } catch (err) {
    const failure = parseEngineError(err);
    if (NO_MANIFEST_KINDS.has(failure.kind)) return { kind: 'absent' };
    if (failure.kind === 'RemoteManifestUrl' && failure.argument)
      return { kind: 'remote', url: failure.argument };
    return { kind: 'failed', code: failure.kind, message: failure.message, hasStore: containsStore(bytes) };
  }
  try {
    const store = JSON.parse(reader.json()) as EngineStore;
    let crJson: unknown;
    try {
      crJson = JSON.parse(reader.crJson());
    } catch {
      crJson = undefined;
    }
    return { kind: 'store', store, crJson, resources: thumbnails(reader, store) };
  } finally {
    reader.free();
  }
}

async function readWatermark(blob: Blob, key: string | undefined): Promise<WatermarkReading> {
  const t0 = performance.now();
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (err) {
    return {
      found: false,
      confidence: 0,
      reason: `the browser cannot decode the image: ${(err as Error).message}`,
      ms: performance.now() - t0,
    };
  }
  const { width, height } = bitmap;
  if (Math.min(width, height) < MIN_DETECT_SIDE) {
    bitmap.close();
    return {
      found: false,
      confidence: 0,
      reason: `image is ${width}×${height}, under the ${MIN_DETECT_SIDE} px minimum for detection`,
      ms: performance.now() - t0,
    };
  }
  const { plane, width: w, height: h } = lumaPlane(bitmap, WORK_AREA);
  const seed = await watermarkSeed(key);
  let r = detectMark(plane, w, h, { seed });
  if (!r.found && width * height >= WINDOW_MIN_SOURCE_AREA) {
    // As the Node adapter: the picture may fill one cell of a collage; search the quadrants of
    // the frame read at four working areas.
    const fine = lumaPlane(bitmap, WINDOW_PLANE_AREA);
    const inWindow = detectMarkInWindows(fine.plane, fine.width, fine.height, { seed });
    if (inWindow.found) r = inWindow;
  }
  bitmap.close();
  const common = {
    confidence: Math.round(r.confidence * 1e4) / 1e4,
    bitErrors: r.bitErrors,
    pilotZ: Math.round(r.pilotZ * 100) / 100,
    plane: { width: w, height: h },
  };
  if (r.found && r.payload) {
    const payload = Array.from(r.payload, (b) => b.toString(16).padStart(2, '0')).join('');
    return { found: true, payload, ...common, ms: performance.now() - t0 };
  }
  return { found: false, ...common, reason: r.reason ?? 'not found', ms: performance.now() - t0 };
}

scope.onmessage = (ev) => {
  const msg = ev.data;
  void (async () => {
    try {
      switch (msg.type) {
        case 'init':
          initSync({ module: msg.module });
          scope.postMessage({ type: 'ready' });
          return;
        case 'read': {
          const t0 = performance.now();
          let mime = msg.mime;
          let format;
          if (mime === undefined) {
            try {
              const f = sniffFormat(msg.bytes);
              format = { format: f.format, kind: f.kind, mime: f.mime };
              mime = f.mime;
            } catch (err) {
              if (!isProvmarkError(err)) throw err;
              scope.postMessage({
                type: 'read',
                id: msg.id,
                error: { code: err.code, message: err.message },
                ms: performance.now() - t0,
              });
              return;
            }
          }
          const outcome = await read(msg.bytes, mime, msg.context);
          const transfer =
            outcome.kind === 'store'
              ? Object.values(outcome.resources).map((r) => r.bytes.buffer as ArrayBuffer)
              : [];
          scope.postMessage(
            { type: 'read', id: msg.id, ...(format ? { format } : {}), outcome, ms: performance.now() - t0 },
            transfer,
          );
          return;
        }
        case 'watermark':
          scope.postMessage({
            type: 'watermark',
            id: msg.id,
            reading: await readWatermark(msg.blob, msg.key),
          });
          return;
      }
    } catch (err) {
      scope.postMessage({
        type: 'error',
        ...('id' in msg ? { id: msg.id } : {}),
        message: err instanceof Error ? err.message : String(err),
      });
    }
  })();
};
