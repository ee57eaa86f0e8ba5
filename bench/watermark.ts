/**
 * `npm run bench:watermark -- [--images DIR] [--limit N] [--fp N] [--fp-minutes M] [--no-generated]
 *   [--set tuning|held-out] [--attacks NAME,…] [--ffhq N] [--fp-only] [--big | --big-only] [--verbose]`
 *
 * Issue 3 and issue 13 targets, measured on real codecs (sharp implements every attack, in
 * watermark-attacks.ts; the library never does): imperceptibility (PSNR luma/RGB, SSIM), exact
 * payload recovery per attack, false positives on unmarked content, wrong-key rejection, speed.
 *
 * Images, in two sets. Tuning (what the design was tuned on): 6 generated ~1 MP images (textured,
 * smooth, grey, RGBA, 4:1) and six fixture photos (TUNING_PHOTOS). Held out: the other fixture
 * photos of ../shared/fixtures/images and the first --ffhq (default 12) FFHQ portraits of
 * ../shared/fixtures/detect/real; both are skipped when absent. With --images DIR every file there
 * is held out. Every row must reach 95 % on all images and on the held-out set.
 * False positives: every attack applied to every unmarked image (full public path: bytes ->
 * detectImageWatermark, window search included), then synthetic unmarked planes (noise, flat,
 * gradients, text-like bars, periodic patterns) through the core detector until --fp attempts in
 * total (default 2000; the issue asks for `--fp 10000`), or until --fp-minutes have passed.
 * Baselines measured in the same run: sharp decode + encode of the same images (embed; the table
 * prints the mark's cost as a ratio to them). Detect is timed per file, decode included, split by
 * whether the window search ran.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { decodeImagePixels, decodeLumaPlane, encodeImagePixels } from '../src/media/image.js';
import { PILOT_Z_STRONG, WORK_AREA, detectMark } from '../src/watermark/core/index.js';
import {
  deriveWatermarkSeed,
  detectImageCore,
  detectImageWatermark,
  markPixels,
} from '../src/watermark/image.js';
import { argValue, hasFlag, printTable, randomPayload, scorecard, xorshift32 } from './util.js';
import { makeAttacks, png, type Bytes } from './watermark-attacks.js';

// ---------------------------------------------------------------- arguments
const arg = argValue;
const imagesDir = arg('--images');
const limit = arg('--limit') ? Number(arg('--limit')) : Infinity;
const fpTarget = arg('--fp') ? Number(arg('--fp')) : 2000;
const withGenerated = !hasFlag('--no-generated');
const big = hasFlag('--big') || hasFlag('--big-only');
const bigOnly = hasFlag('--big-only');
const verbose = hasFlag('--verbose');
const setFilter = arg('--set') ?? 'all';
const attackFilter = arg('--attacks')?.split(',');
const extraHeldOut = arg('--ffhq') ? Number(arg('--ffhq')) : 12;
/** Wall-clock budget of the false-positive run (minutes from its start); the attempts made are reported. */
/** Only the false-positive run (images are still marked for the wrong-key reads; no attacks on marked files). */
const fpOnly = hasFlag('--fp-only');
const fpMinutes = arg('--fp-minutes') ? Number(arg('--fp-minutes')) : Infinity;

// ---------------------------------------------------------------- helpers
const rand = xorshift32(0x2545f491);
function gauss(): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}
const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const ms = (x: number): string => `${x.toFixed(1)}`;
function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
}
function table(head: string[], rows: Array<Array<string | number>>): void {
  printTable(head, rows, { rightAlign: true });
  console.log();
}
async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
}
// ---------------------------------------------------------------- generated images
function genPlane(kind: string, w: number, h: number): Float32Array {
  const p = new Float32Array(w * h);
  const phase = rand() * 10;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v: number;
      switch (kind) {
        case 'textured':
          v =
            128 +
            40 * Math.sin(x / 9 + phase) * Math.cos(y / 13) +
            25 * Math.sin((x + y) / 3.1) +
            12 * gauss();
          break;
        case 'smooth':
          v = 90 + (100 * (x + y)) / (w + h) + 3 * Math.sin(x / 200 + phase);
          break;
        case 'flat':
          v = 150;
          break;
        case 'noise':
          v = 128 + 50 * gauss();
          break;
        case 'text':
          v =
            Math.floor(y / 14) % 3 !== 2 &&
            (Math.floor(x / 7) * 31 + Math.floor(y / 14) * 17) % 5 > 1 &&
            y % 14 < 10 &&
            x % 7 < 5
              ? 20
              : 235;
          break;
        case 'checker':
          v = ((Math.floor(x / 16) + Math.floor(y / 16)) & 1) * 200 + 25;
          break;
        case 'stripes':
          v = 128 + 100 * Math.sin((2 * Math.PI * x) / (6 + phase));
          break;
        default:
          v = 128 + 60 * Math.sin(x / 40) * Math.sin(y / 55) + 6 * gauss();
      }
      p[y * w + x] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return p;
}
async function generatedImage(kind: string, w: number, h: number, channels: 1 | 3 | 4): Promise<Bytes> {
  const p = genPlane(kind, w, h);
  const data = Buffer.alloc(w * h * channels);
  for (let i = 0; i < w * h; i++) {
    for (let c = 0; c < Math.min(3, channels); c++) {
      // Mild colour so RGB and luma differ; alpha (when present) is opaque with a soft hole.
      data[i * channels + c] = Math.max(0, Math.min(255, p[i]! + (c - 1) * 12));
    }
    if (channels === 4) data[i * 4 + 3] = 255;
  }
  return png(sharp(data, { raw: { width: w, height: h, channels } }));
}

// ---------------------------------------------------------------- quality metrics
function lumaOf(r: { data: Buffer; channels: number }, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = i * r.channels;
    out[i] =
      r.channels >= 3 ? 0.299 * r.data[p]! + 0.587 * r.data[p + 1]! + 0.114 * r.data[p + 2]! : r.data[p]!;
  }
  return out;
}
function psnr(a: ArrayLike<number>, b: ArrayLike<number>, stride = 1, count = 1): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < a.length; i += stride) {
    for (let c = 0; c < count; c++) {
      const d = a[i + c]! - b[i + c]!;
      s += d * d;
      n++;
    }
  }
  return s === 0 ? 99 : 10 * Math.log10((255 * 255) / (s / n));
}
/** SSIM on luma, 8×8 windows with stride 4 (Wang et al. 2004 constants). */
function ssim(a: Float64Array, b: Float64Array, w: number, h: number): number {
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let total = 0;
  let n = 0;
  for (let y = 0; y + 8 <= h; y += 4) {
    for (let x = 0; x + 8 <= w; x += 4) {
      let ma = 0,
        mb = 0,
        va = 0,
        vb = 0,
        cov = 0;
      for (let dy = 0; dy < 8; dy++) {
        for (let dx = 0; dx < 8; dx++) {
          const i = (y + dy) * w + x + dx;
          ma += a[i]!;
          mb += b[i]!;
        }
      }
      ma /= 64;
      mb /= 64;
      for (let dy = 0; dy < 8; dy++) {
        for (let dx = 0; dx < 8; dx++) {
          const i = (y + dy) * w + x + dx;
          const da = a[i]! - ma;
          const db = b[i]! - mb;
          va += da * da;
          vb += db * db;
          cov += da * db;
        }
      }
      va /= 63;
      vb /= 63;
      cov /= 63;
      total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      n++;
    }
  }
  return total / n;
}

// ---------------------------------------------------------------- main
/**
 * Tuning set: the generated images and these six fixture photos (the hard ones: fine texture, line
 * engraving, flat sky, canal, mural, smooth dune). Everything else is held out: the design was not
 * tuned on it.
 */
const TUNING_PHOTOS = new Set([
  'wp001-tiger.png',
  'wp007-dore-windmills-engraving.png',
  'wp016-balloons-flat-sky.png',
  'wp024-amsterdam-canal.png',
  'wp031-ceiling-mural-texture.png',
  'wp049-white-dune-smooth.png',
]);
interface Item {
  name: string;
  bytes: Bytes;
  set: 'tuning' | 'held-out';
}

async function loadImages(): Promise<Item[]> {
  const items: Item[] = [];
  if (withGenerated) {
    const specs: Array<[string, number, number, 1 | 3 | 4]> = [
      ['textured', 1200, 900, 3],
      ['mixed', 1200, 900, 3],
      ['smooth', 1024, 768, 3],
      ['mixed-grey', 1000, 1000, 1],
      ['mixed-rgba', 1100, 800, 4],
      ['textured-4to1', 2048, 512, 3],
    ];
    for (const [kind, w, h, c] of specs) {
      items.push({
        name: `gen:${kind}`,
        bytes: await generatedImage(kind.split('-')[0]!, w, h, c),
        set: 'tuning',
      });
    }
  }
  const dir = imagesDir ?? resolve(process.cwd(), '../shared/fixtures/images');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) {
      if (!/\.(png|jpe?g|webp)$/i.test(f)) continue;
      const set = imagesDir || !TUNING_PHOTOS.has(f) ? 'held-out' : 'tuning';
      items.push({ name: f, bytes: readFileSync(join(dir, f)), set });
    }
  } else if (imagesDir) {
    throw new Error(`No such directory: ${imagesDir}`);
  }
  // More held-out content: FFHQ portraits (1024², JPEG q75) from the detector fixtures, when present.
  const real = resolve(process.cwd(), '../shared/fixtures/detect/real');
  if (!imagesDir && existsSync(real)) {
    const ffhq = readdirSync(real)
      .filter((f) => /^ffhq_\d+\.jpg$/.test(f))
      .sort((a, b) => Number(a.slice(5, -4)) - Number(b.slice(5, -4)));
    for (const f of ffhq.slice(0, extraHeldOut)) {
      items.push({ name: `ffhq/${f}`, bytes: readFileSync(join(real, f)), set: 'held-out' });
    }
  }
  const chosen = items.filter((i) => setFilter === 'all' || i.set === setFilter);
  return chosen.slice(0, limit);
}

async function main(): Promise<void> {
  if (bigOnly) {
    await bigImages();
    return;
  }
  const items = await loadImages();
  const seedDefault = deriveWatermarkSeed(undefined);
  let current = 0;
  const ATTACKS = makeAttacks({
    rand,
    // The collage's other cells: the next three pictures of the set, unmarked.
    others: () => [1, 2, 3].map((d) => items[(current + d) % items.length]!.bytes),
  }).filter((a) => !attackFilter || attackFilter.some((f) => a.name.includes(f)));
  console.log(
    `provmark watermark benchmark — ${items.length} images (${items.filter((i) => i.name.startsWith('gen:')).length} generated), node ${process.version}\n`,
  );

  const quality: Array<{ name: string; psnrY: number; psnrRgb: number; ssim: number }> = [];
  const embedCore: number[] = [];
  const embedDecode: number[] = [];
  const embedEncode: number[] = [];
  const detFirst: number[] = [];
  const detWindows: number[] = [];
  type Row = { ok: number; n: number; bits: number[]; errors: number; okBy: Map<string, [number, number]> };
  const results = new Map<string, Row>();
  const rowOf = (name: string): Row => {
    const e = results.get(name) ?? { ok: 0, n: 0, bits: [], errors: 0, okBy: new Map() };
    results.set(name, e);
    return e;
  };
  const marked: Array<{ item: Item; bytes: Bytes; payload: string }> = [];
  let warm = false;

  for (const [index, item] of items.entries()) {
    current = index;
    const payload = randomPayload(rand);
    // Embed in steps so decode, mark and encode are timed separately (same calls embedImageWatermark makes).
    const [px, tDec] = await timed(() => decodeImagePixels(item.bytes));
    const orig = Buffer.from(px.data);
    const [, tMark] = await timed(() =>
      markPixels(px.data, px.width, px.height, px.channels, {
        seed: seedDefault,
        payload: Uint8Array.from(Buffer.from(payload, 'hex')),
        strength: 1,
      }),
    );
    const [out, tEnc] = await timed(() => encodeImagePixels(px, item.bytes));
    if (!warm) {
      warm = true; // the first call pays JIT compilation; it is not a steady-state number
    } else {
      const mp = (px.width * px.height) / 1e6;
      embedCore.push(tMark / mp);
      embedDecode.push(tDec / mp);
      embedEncode.push(tEnc / mp);
    }
    const bytes = Buffer.from(out);
    const n = px.width * px.height;
    const after = await decodeImagePixels(bytes);
    const a = { data: orig, channels: px.channels };
    const b = { data: Buffer.from(after.data), channels: px.channels };
    const ya = lumaOf(a, n);
    const yb = lumaOf(b, n);
    quality.push({
      name: item.name,
      psnrY: psnr(ya, yb),
      psnrRgb: px.channels >= 3 ? psnr(a.data, b.data, px.channels, 3) : psnr(ya, yb),
      ssim: ssim(ya, yb, px.width, px.height),
    });
    marked.push({ item, bytes, payload });

    for (const atk of fpOnly ? [] : ATTACKS) {
      let attacked: Bytes;
      try {
        attacked = await atk.run(bytes);
      } catch (err) {
        // An attack that cannot run is a failed recovery in its row's denominator, and reported.
        const e = rowOf(atk.name);
        e.n++;
        e.errors++;
        e.bits.push(0);
        scorecard.failed(`attack ${atk.name} on ${item.name}`, err);
        continue;
      }
      // The full detection path of detectImageWatermark (first pass, then the window search).
      const [det, tC] = await timed(() => detectImageCore(attacked, seedDefault));
      (det.windowPass ? detWindows : detFirst).push(tC);
      const r = det.result;
      const ok = r?.found === true && Buffer.from(r.payload!).toString('hex') === payload;
      let bits = 0;
      if (r?.decoded) {
        const want = Buffer.from(payload, 'hex');
        for (let i = 0; i < 8; i++) bits += 8 - popcount(want[i]! ^ r.decoded[i]!);
      }
      const e = rowOf(atk.name);
      e.n++;
      if (ok) e.ok++;
      const bySet = e.okBy.get(item.set) ?? [0, 0];
      bySet[0] += ok ? 1 : 0;
      bySet[1]++;
      e.okBy.set(item.set, bySet);
      if (!ok && r?.found) console.error(`WRONG PAYLOAD under ${atk.name} on ${item.name}`);
      else if (!ok && verbose) {
        console.error(
          r
            ? `miss: ${atk.name} on ${item.name}: z ${r.pilotZ.toFixed(1)}, bit errors ${r.bitErrors}, crc ${r.crcOk}, scale ${r.scale.toFixed(3)}, ${r.reason}`
            : `miss: ${atk.name} on ${item.name}: ${det.reason}`,
        );
      }
      e.bits.push(bits / 64);
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');

  // ------------------------------------------------------------ imperceptibility
  const photos = quality.filter((q) => !q.name.startsWith('gen:'));
  const qRow = (label: string, qs: typeof quality): Array<string | number> => [
    label,
    qs.length,
    mean(qs.map((q) => q.psnrY)).toFixed(2),
    Math.min(...qs.map((q) => q.psnrY)).toFixed(2),
    mean(qs.map((q) => q.psnrRgb)).toFixed(2),
    Math.min(...qs.map((q) => q.psnrRgb)).toFixed(2),
    mean(qs.map((q) => q.ssim)).toFixed(4),
    Math.min(...qs.map((q) => q.ssim)).toFixed(4),
  ];
  console.log(
    'Imperceptibility (marked vs original, strength 1; targets: PSNR luma >= 42, RGB >= 40, SSIM >= 0.98)',
  );
  table(
    ['set', 'n', 'PSNR-Y mean', 'min', 'PSNR-RGB mean', 'min', 'SSIM mean', 'min'],
    [qRow('all images', quality), ...(photos.length ? [qRow('photos (files)', photos)] : [])],
  );
  // The targets hold for the mean over every marked image.
  const qMean = (f: (q: (typeof quality)[number]) => number) => mean(quality.map(f));
  console.log(
    [
      `PSNR luma >= 42: ${scorecard.target('mean PSNR luma >= 42 dB', qMean((q) => q.psnrY) >= 42)}`,
      `PSNR RGB >= 40: ${scorecard.target('mean PSNR RGB >= 40 dB', qMean((q) => q.psnrRgb) >= 40)}`,
      `SSIM >= 0.98: ${scorecard.target('mean SSIM >= 0.98', qMean((q) => q.ssim) >= 0.98)}`,
    ].join('; ') + '\n',
  );

  // ------------------------------------------------------------ robustness
  console.log(
    'Robustness: exact 64-bit payload recovery (target >= 95% per attack, on all images and on the held-out set)',
  );
  const robustness = (): void => {
    const cell = (e: Row, set: string): string => {
      const [ok, n] = e.okBy.get(set) ?? [0, 0];
      return n ? `${ok}/${n} ${pct(ok / n)}` : '-';
    };
    table(
      ['attack', 'n', 'failed to run', 'tuning', 'held-out', 'all', 'mean bit acc', 'target'],
      ATTACKS.map((a) => {
        const e = rowOf(a.name);
        const rate = e.ok / Math.max(1, e.n);
        const [hOk, hN] = e.okBy.get('held-out') ?? [0, 0];
        const met = e.n > 0 && rate >= 0.95 && (hN === 0 || hOk / hN >= 0.95);
        return [
          `${a.reframing ? '(issue 13) ' : ''}${a.name}`,
          e.n,
          e.errors,
          cell(e, 'tuning'),
          cell(e, 'held-out'),
          pct(rate),
          pct(mean(e.bits)),
          scorecard.target(`${a.name} >= 95% (${e.ok}/${e.n}; held-out ${hOk}/${hN})`, met),
        ];
      }),
    );
  };
  if (!fpOnly) robustness();

  // ------------------------------------------------------------ false positives
  let attempts = 0;
  let falseFound = 0;
  let wrongKeyFound = 0;
  let wrongKeyAttempts = 0;
  const fpByKind = new Map<string, [number, number]>();
  const detUnmarked: number[] = [];
  let strongPilot = 0;
  let maxZ = 0;
  const note = (kind: string, found: boolean, z = 0): void => {
    attempts++;
    if (z >= PILOT_Z_STRONG) strongPilot++;
    maxZ = Math.max(maxZ, z);
    if (found) falseFound++;
    const e = fpByKind.get(kind) ?? [0, 0];
    e[0]++;
    if (found) e[1]++;
    fpByKind.set(kind, e);
  };
  const fpDeadline = performance.now() + fpMinutes * 60_000;
  const outOfTime = (): boolean => performance.now() > fpDeadline;
  // (1) Unmarked images under every attack, through the full public path.
  for (const item of items) {
    for (const atk of ATTACKS) {
      if (attempts >= fpTarget || outOfTime()) break;
      let attacked: Bytes;
      try {
        attacked = await atk.run(item.bytes);
      } catch (err) {
        scorecard.failed(`attack ${atk.name} on unmarked ${item.name}`, err);
        continue;
      }
      const [r, t] = await timed(() => detectImageWatermark(attacked));
      detUnmarked.push(t);
      note(
        item.name.startsWith('gen:') ? 'generated images x attacks' : 'photos x attacks',
        r.found,
        r.pilotZ ?? 0,
      );
    }
  }
  // (2) Marked images read with another key (must never report).
  for (const m of marked) {
    for (const key of ['another-key', 'provmark-public-v2']) {
      const r = await detectImageWatermark(m.bytes, { key });
      wrongKeyAttempts++;
      if (r.found) wrongKeyFound++;
    }
  }
  // (3) Synthetic unmarked planes at the working size, straight into the core detector.
  const kinds = ['noise', 'flat', 'smooth', 'text', 'checker', 'stripes', 'textured', 'mixed'];
  let k = 0;
  while (attempts < fpTarget && !outOfTime()) {
    const kind = kinds[k++ % kinds.length]!;
    const aspect = [1, 4 / 3, 16 / 9, 3, 0.75][k % 5]!;
    const w = Math.round(Math.sqrt(WORK_AREA * aspect));
    const h = Math.round(WORK_AREA / w);
    const r = detectMark(genPlane(kind, w, h), w, h, {
      seed: k % 7 === 0 ? deriveWatermarkSeed(`k${k}`) : seedDefault,
    });
    note(`synthetic planes (${kinds.length} kinds)`, r.found, r.pilotZ);
  }
  console.log(
    `False positives: unmarked content must never yield a payload${attempts < fpTarget ? ` (time budget reached after ${attempts} of ${fpTarget} attempts)` : ''}`,
  );
  table(
    ['source', 'attempts', 'found'],
    [
      ...[...fpByKind].map(([kind, [n, f]]) => [kind, n, f]),
      ['total', attempts, falseFound],
      ['marked, read with a wrong key', wrongKeyAttempts, wrongKeyFound],
    ],
  );
  scorecard.target(`0 false payloads (${falseFound} in ${attempts})`, falseFound === 0);
  scorecard.target(
    `0 payloads read with a wrong key (${wrongKeyFound} in ${wrongKeyAttempts})`,
    wrongKeyFound === 0,
  );
  console.log(
    `Unmarked attempts whose best pilot z reached the second tier (>= ${PILOT_Z_STRONG}): ${strongPilot} of ${attempts}; highest z ${maxZ.toFixed(2)}`,
  );
  const bound = falseFound === 0 ? 3 / attempts : NaN;
  console.log(
    falseFound === 0
      ? `0 false payloads in ${attempts} attempts: 95% upper bound on the per-attempt rate ${bound.toExponential(2)} (rule of three)\n`
      : `${falseFound} false payloads in ${attempts} attempts\n`,
  );

  // ------------------------------------------------------------ speed
  console.log('Speed (ms; embed per megapixel, steady state after the first image; detect per image)');
  table(
    ['stage', 'mean', 'p95', 'ratio to codec baseline'],
    [
      ['embed: decode (sharp) /MP', ms(mean(embedDecode)), ms(percentile(embedDecode, 0.95)), ''],
      [
        'embed: mark (core + pixels) /MP',
        ms(mean(embedCore)),
        ms(percentile(embedCore, 0.95)),
        `${(mean(embedCore) / (mean(embedDecode) + mean(embedEncode))).toFixed(2)}x decode+encode`,
      ],
      ['embed: encode (sharp) /MP', ms(mean(embedEncode)), ms(percentile(embedEncode, 0.95)), ''],
    ],
  );
  console.log(
    'Detect (ms per file, decode included; the window search runs only when the first pass finds nothing)',
  );
  const all = [...detFirst, ...detWindows];
  table(
    ['case', 'n', 'mean', 'p50', 'p95'],
    [
      [
        'marked + attacked: found on the first pass',
        detFirst.length,
        ms(mean(detFirst)),
        ms(percentile(detFirst, 0.5)),
        ms(percentile(detFirst, 0.95)),
      ],
      [
        'marked + attacked: window search ran',
        detWindows.length,
        ms(mean(detWindows)),
        ms(percentile(detWindows, 0.5)),
        ms(percentile(detWindows, 0.95)),
      ],
      [
        'marked + attacked: all',
        all.length,
        ms(mean(all)),
        ms(percentile(all, 0.5)),
        ms(percentile(all, 0.95)),
      ],
      [
        'unmarked + attacked (always the full search)',
        detUnmarked.length,
        ms(mean(detUnmarked)),
        ms(percentile(detUnmarked, 0.5)),
        ms(percentile(detUnmarked, 0.95)),
      ],
    ],
  );
  if (big) await bigImages();
}

async function bigImages(): Promise<void> {
  console.log('Large images (generated JPEG q90; after one warm-up embed + detect on a small image)');
  const rows: Array<Array<string | number>> = [];
  {
    const w0 = 800;
    const h0 = 600;
    const px0 = new Uint8Array(w0 * h0 * 3).fill(128);
    const seed0 = deriveWatermarkSeed(undefined);
    markPixels(px0, w0, h0, 3, { seed: seed0, payload: new Uint8Array(8), strength: 1 });
    detectMark(genPlane('mixed', 591, 443), 591, 443, { seed: seed0 });
  }
  for (const [w, h] of [
    [6000, 4000],
    [8660, 5773],
  ] as const) {
    const sw = Math.round(w / 4);
    const sh = Math.round(h / 4);
    const plane = genPlane('mixed', sw, sh);
    const small = Buffer.alloc(sw * sh);
    for (let i = 0; i < small.length; i++) small[i] = plane[i]!;
    const src = await sharp(small, { raw: { width: sw, height: sh, channels: 1 } })
      .resize(w, h)
      .toColourspace('srgb')
      .jpeg({ quality: 90 })
      .toBuffer();
    const [px, tDec] = await timed(() => decodeImagePixels(src));
    const [, tMark] = await timed(() =>
      markPixels(px.data, px.width, px.height, px.channels, {
        seed: deriveWatermarkSeed(undefined),
        payload: new Uint8Array(8).fill(7),
        strength: 1,
      }),
    );
    const [out, tEnc] = await timed(() => encodeImagePixels(px, src));
    const [plane2, tD] = await timed(() => decodeLumaPlane(Buffer.from(out), WORK_AREA));
    // The detect core is timed five times (median and worst shown): a single reading right after
    // tens of MB of pixel buffers were freed often includes a major garbage collection.
    const tCs: number[] = [];
    let r: ReturnType<typeof detectMark> | undefined;
    for (let rep = 0; rep < 5; rep++) {
      const [res, t] = await timed(() =>
        detectMark(plane2.plane, plane2.width, plane2.height, { seed: deriveWatermarkSeed(undefined) }),
      );
      r = res;
      tCs.push(t);
    }
    const tC = percentile(tCs, 0.5);
    const mp = (w * h) / 1e6;
    rows.push([
      `${w}x${h} (${mp.toFixed(0)} MP)`,
      ms(tDec),
      ms(tMark),
      ms(tMark / mp),
      ms(tEnc),
      ms(tD),
      ms(tC),
      ms(Math.max(...tCs)),
      scorecard.target(`mark read on the ${w}x${h} image`, r?.found === true) === 'met' ? 'yes' : 'NO',
    ]);
  }
  table(
    [
      'image',
      'decode',
      'mark',
      'mark/MP',
      'encode',
      'detect decode',
      'detect core p50',
      'worst of 5',
      'found',
    ],
    rows,
  );
}

function popcount(x: number): number {
  let c = 0;
  while (x) {
    c += x & 1;
    x >>= 1;
  }
  return c;
}

main()
  .then(() => scorecard.finish('bench:watermark'))
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
