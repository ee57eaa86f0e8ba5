/**
 * Lazy loader for the C2PA engine (c2pa-rs compiled to WebAssembly, `@contentauth/c2pa-wasm`).
 * The only module that imports the engine. Loading costs 0.2–0.4 s and ~30 MB, so it happens
 * once, on first use, never at import time.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { EngineError } from '../errors.js';

export type C2paWasm = typeof import('@contentauth/c2pa-wasm');

/**
 * Largest asset the engine can sign. c2pa-rs in 32-bit WebAssembly holds the asset and the signed
 * copy in one linear memory, and a buffer that grows past 1 GiB asks for 2 GiB, which wasm32 cannot
 * give: measured with @contentauth/c2pa-wasm 0.13.3, a 768 MiB MP4 signs (3.6 s, 4 GB RSS) and a
 * 960 MiB one aborts the process inside the engine ("capacity overflow"), so provmark refuses
 * larger inputs up front instead. Both limits have the ByteLimit shape of media/io.ts readMediaInput.
 */
export const ENGINE_SIGN_LIMIT = {
  maxBytes: 768 * 1024 ** 2,
  reason: 'the bundled C2PA engine (32-bit WebAssembly) can sign at most',
} as const;
/**
 * Largest asset the engine can read and validate (one copy): a 1.5 GiB file reads, a 2.05 GiB one
 * fails inside the engine ("unreachable"), which would otherwise surface as a false `invalid`.
 */
export const ENGINE_READ_LIMIT = {
  maxBytes: 1536 * 1024 ** 2,
  reason: 'the bundled C2PA engine (32-bit WebAssembly) can read at most',
} as const;

const BYTES = Symbol('provmark.blobBytes');

/**
 * A Blob that keeps its bytes so the engine's synchronous reads (`FileReaderSync`, a browser
 * worker API Node lacks) can be answered without copying through streams.
 */
export class BytesBlob extends Blob {
  readonly [BYTES]: Uint8Array;

  constructor(bytes: Uint8Array, type = '') {
    // The Blob itself stays empty: the engine reads through size/slice/FileReaderSync only,
    // so the asset is never copied into a second buffer.
    super([], { type });
    this[BYTES] = bytes;
  }

  override get size(): number {
    return this[BYTES].length;
  }

  override slice(start?: number, end?: number, contentType?: string): Blob {
    return new BytesBlob(this[BYTES].subarray(start ?? 0, end ?? this[BYTES].length), contentType ?? '');
  }
}

class NodeFileReaderSync {
  readAsArrayBuffer(blob: Blob): ArrayBuffer {
    const bytes = (blob as Partial<BytesBlob>)[BYTES];
    if (!bytes) throw new TypeError('provmark: the C2PA engine was given a Blob that is not a BytesBlob');
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
}

function installPolyfills(): void {
  const g = globalThis as { FileReaderSync?: unknown };
  g.FileReaderSync ??= NodeFileReaderSync;
}

let engine: C2paWasm | undefined;
let loading: Promise<C2paWasm> | undefined;

/** Load and initialise the engine once; later calls return the same instance. */
export function loadEngine(): Promise<C2paWasm> {
  if (engine) return Promise.resolve(engine);
  loading ??= (async () => {
    try {
      installPolyfills();
      const mod = await import('@contentauth/c2pa-wasm');
      const require = createRequire(import.meta.url);
      const wasmPath = require.resolve('@contentauth/c2pa-wasm/c2pa.wasm');
      mod.initSync({ module: readFileSync(wasmPath) });
      engine = mod;
      return mod;
    } catch (err) {
      loading = undefined;
      throw new EngineError(`Cannot load the C2PA engine: ${(err as Error).message}`, {
        hint: 'Reinstall provmark (npm install) so @contentauth/c2pa-wasm is present.',
        cause: err,
      });
    }
  })();
  return loading;
}
