/**
 * The protect/inspect section of `npm run bench:pipeline` (`--only protect`): each call on a 12 MP
 * JPEG against the sum of its parts (watermark, sign, repository; verify, watermark read, lookup,
 * store validation) measured in the same run. Target: orchestration overhead <= 10%.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { engineContextJson } from '../src/c2pa/context.js';
import { readManifestStore } from '../src/c2pa/read.js';
import { openSqliteRepository } from '../src/repository/sqlite.js';
import { createPemSigner, generateDevCredentials, protect, sign } from '../src/sign/index.js';
import { inspect, verify } from '../src/verify/index.js';
import { detectImageWatermark, embedImageWatermark } from '../src/watermark/image.js';
import { bindingVariants, watermarkSchemesFor } from '../src/watermark/schemes/index.js';
import { SOFT_BINDING_LABEL, newSoftBindingId, softBindingAssertion } from '../src/watermark/softbinding.js';
import { scorecard } from './util.js';

export interface ProtectBenchContext {
  readonly args: ReadonlyMap<string, string>;
  readonly dir: string;
  readonly rows: Array<Record<string, string>>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

/** A 12 MP photograph-like JPEG (smooth shapes + texture + noise, q92). */
async function photo12mp(): Promise<Uint8Array> {
  const w = 4000;
  const h = 3000;
  const small = await sharp({
    create: {
      width: 400,
      height: 300,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .blur(3)
    .png()
    .toBuffer();
  const base = await sharp(small).resize(w, h, { kernel: 'cubic' }).raw().toBuffer();
  const noise = await sharp({
    create: {
      width: w,
      height: h,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 0, sigma: 6 },
    },
  })
    .raw()
    .toBuffer();
  for (let i = 0; i < base.length; i++) base[i] = Math.max(0, Math.min(255, base[i]! + noise[i]! - 0));
  return new Uint8Array(
    await sharp(base, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 92 })
      .toBuffer(),
  );
}

export async function benchProtect(ctx: ProtectBenchContext): Promise<void> {
  const runs = Number(ctx.args.get('runs') ?? 5);
  const creds = await generateDevCredentials({ alg: 'ed25519' });
  const signer = await createPemSigner({ key: creds.signerKeyPem, certificate: creds.chainPem });
  const trust = { anchors: [creds.caCertPem] };
  const repository = await openSqliteRepository({ path: join(ctx.dir, 'protect-bench.db') });
  const input = await photo12mp();
  // The scheme protect() marks a JPEG with; inspect() looks its binding up under each identifier
  // variant (the scheme's own and the legacy one), so the parts do the same lookups.
  const scheme = watermarkSchemesFor('jpeg', 'embed')[0]!;
  const t = { protect: [] as number[], embed: [] as number[], sign: [] as number[], put: [] as number[] };
  const u = {
    inspect: [] as number[],
    verify: [] as number[],
    detect: [] as number[],
    lookup: [] as number[],
    store: [] as number[],
  };
  let derivative: Uint8Array | undefined;
  try {
    for (let i = 0; i <= runs; i++) {
      // The whole call, with a fresh id so every run stores a new row.
      const [tp, p] = await timed(() =>
        protect(input, { signer, repository, softBindingId: newSoftBindingId() }),
      );
      // The same work done by hand, part by part.
      const id = newSoftBindingId();
      const [te, marked] = await timed(() => embedImageWatermark(input, { payload: id }));
      const [ts, signed] = await timed(() =>
        sign(marked, {
          signer,
          manifest: {
            actions: [{ action: 'c2pa.watermarked' }],
            assertions: [{ label: SOFT_BINDING_LABEL, data: softBindingAssertion(id, scheme) }],
          },
        }),
      );
      const [tr] = await timed(() =>
        repository.put({
          manifestId: signed.manifestId,
          manifestStore: signed.manifestStore,
          bindings: [{ alg: scheme.id, value: scheme.binding.encode(id) }],
          format: 'image/jpeg',
        }),
      );
      derivative ??= new Uint8Array(await sharp(p.bytes).jpeg({ quality: 85 }).toBuffer());
      const d = derivative;
      const [ti, report] = await timed(() => inspect(d, { trust, repository, detector: false }));
      if (report.verdict !== 'recovered') throw new Error(`bench: expected recovered, got ${report.verdict}`);
      const [tv] = await timed(() => verify(d, { trust, detailed: true }));
      const [td, mark] = await timed(() => detectImageWatermark(d));
      const [tl, record] = await timed(async () => {
        const m = [];
        for (const b of bindingVariants(scheme.id, scheme.binding.encode(mark.payload!))) {
          m.push(...(await repository.findByBinding(b.alg, b.value)));
        }
        return repository.getManifest(m[0]!.manifestId);
      });
      const [tst] = await timed(async () =>
        readManifestStore(
          record!.manifestStore,
          'application/c2pa',
          engineContextJson({ trust: { anchors: creds.caCertPem } }),
          { crJson: true },
        ),
      );
      if (i === 0) continue; // warm-up
      t.protect.push(tp);
      t.embed.push(te);
      t.sign.push(ts);
      t.put.push(tr);
      u.inspect.push(ti);
      u.verify.push(tv);
      u.detect.push(td);
      u.lookup.push(tl);
      u.store.push(tst);
    }
  } finally {
    await repository.close();
  }
  const parts = median(t.embed) + median(t.sign) + median(t.put);
  const iparts = median(u.verify) + median(u.detect) + median(u.lookup) + median(u.store);
  const row = (name: string, whole: number, sum: number, detail: string) => ({
    section: 'protect',
    case: `${name}, 12 MP JPEG (${(input.length / 1e6).toFixed(1)} MB) — parts: ${detail}`,
    p50_ms: whole.toFixed(0),
    p99_ms: '',
    max_ms: '',
    per_s: '',
    vs_baseline: `x${(whole / sum).toFixed(2)} of the parts' sum (${sum.toFixed(0)} ms)`,
    target: `overhead <= 10%: ${scorecard.target(`${name}: overhead <= 10% (x${(whole / sum).toFixed(2)})`, whole / sum <= 1.1)}`,
  });
  ctx.rows.push(
    row(
      'protect()',
      median(t.protect),
      parts,
      `embed ${median(t.embed).toFixed(0)} + sign ${median(t.sign).toFixed(0)} + put ${median(t.put).toFixed(1)}`,
    ),
    row(
      'inspect() of a stripped copy',
      median(u.inspect),
      iparts,
      `verify ${median(u.verify).toFixed(0)} + watermark ${median(u.detect).toFixed(0)} + lookup ${median(u.lookup).toFixed(1)} + store ${median(u.store).toFixed(0)}`,
    ),
  );
}
