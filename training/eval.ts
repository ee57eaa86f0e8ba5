/**
 * `npm run eval:detect`: reproduce every number in src/detect/models/MODEL_CARD.md.
 *
 * Reads ../shared/fixtures/detect and training/split.json (written by training/train.py), scores the held-out
 * test split with the shipped model through the same code path as detect() (sharp decoding, crop protocol,
 * Platt scaling), and prints markdown tables:
 *   1. per-source AUC and TPR at the shipped threshold, with stratified bootstrap 95% CIs (1000 resamples, seeded)
 *   2. the same on a normalised copy (centre square, resized to 256x256, JPEG q90 for every image)
 *   3. robustness: JPEG q75 re-encoding and resize x0.5 (PNG, lossless) of each held-out image
 *   4. detect() labels with abstention on the original files
 *   5. scope measurements on the train split (the basis of DETECT_SCOPE)
 * Also writes training/out/eval-results.json. Never reads anything to tune: thresholds come from calibration.json.
 *
 * `npm run eval:detect -- --split=calib` prints tables 1-3 for the calib split instead (written to
 * training/out/eval-results-calib.*): the validation numbers used to compare model versions without touching the
 * test split. The calib split fitted Platt scaling and the thresholds, so its rates are in-sample; its AUCs are
 * not (no model was trained on it).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractCrops } from '../src/detect/crops.js';
import { detect, scoreImage } from '../src/detect/detect.js';
import { loadModel, type LoadedModel } from '../src/detect/model.js';
import { readContainerMetadata } from '../src/detect/containers.js';
import { readDwtDctMarks } from '../src/detect/dwtdct.js';
import { measureContent } from '../src/detect/scope.js';
import { nearestIjgQuality } from '../src/media/jpeg.js';
import { decodeImageRgb } from '../src/media/image.js';
import { sniffFormat } from '../src/media/sniff.js';
import { CONDITIONS, transform, type Condition } from './conditions.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = resolve(repoRoot, '../shared/fixtures/detect');
const BOOTSTRAP = 1000;

interface SplitEntry {
  readonly split: 'train' | 'calib' | 'test';
  readonly source: string;
  readonly label: 0 | 1;
}
interface Scored {
  readonly path: string;
  readonly source: string;
  readonly label: 0 | 1;
  readonly score: number | undefined;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mann-Whitney AUC with ties counted as half. */
function auc(pos: readonly number[], neg: readonly number[]): number {
  if (pos.length === 0 || neg.length === 0) return NaN;
  const all = [...pos.map((s) => [s, 1] as const), ...neg.map((s) => [s, 0] as const)].sort(
    (a, b) => a[0] - b[0],
  );
  let rankSumPos = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]![0] === all[i]![0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (all[k]![1] === 1) rankSumPos += rank;
    i = j + 1;
  }
  return (rankSumPos - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

const rate = (xs: readonly number[], t: number): number => xs.filter((s) => s > t).length / xs.length;

function bootstrap(
  pos: readonly number[],
  neg: readonly number[],
  stat: (p: number[], n: number[]) => number,
  seed: number,
): [number, number] {
  const rnd = mulberry32(seed);
  const values: number[] = [];
  const pick = (xs: readonly number[]): number[] => xs.map(() => xs[Math.floor(rnd() * xs.length)]!);
  for (let i = 0; i < BOOTSTRAP; i++) {
    const v = stat(pick(pos), pick(neg));
    if (Number.isFinite(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  return [
    values[Math.floor(0.025 * values.length)] ?? NaN,
    values[Math.ceil(0.975 * values.length) - 1] ?? NaN,
  ];
}

const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
const ci = (c: [number, number]): string => `[${f3(c[0])}, ${f3(c[1])}]`;
const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');

async function scoreAll(
  rows: readonly [string, SplitEntry][],
  condition: Condition,
  model: LoadedModel,
): Promise<Scored[]> {
  const out: Scored[] = [];
  for (const [path, e] of rows) {
    const bytes = await transform(new Uint8Array(readFileSync(join(fixtures, path))), condition);
    const pixels = await decodeImageRgb(bytes);
    const canRun = extractCrops(pixels, model.calibration.input) !== undefined;
    const score = canRun ? await scoreImage(pixels, model.calibration, (b, n) => model.run(b, n)) : undefined;
    out.push({ path, source: e.source, label: e.label, score });
  }
  return out;
}

interface SourceRow {
  source: string;
  n: number;
  auc: number;
  aucCi: [number, number];
  rate: number;
  rateCi: [number, number];
}

function perSource(
  scored: readonly Scored[],
  threshold: number,
  seed: number,
): { rows: SourceRow[]; text: string } {
  const valid = scored.filter((s) => s.score !== undefined);
  const reals = valid.filter((s) => s.label === 0).map((s) => s.score!);
  const fakes = valid.filter((s) => s.label === 1).map((s) => s.score!);
  const sources = [...new Set(valid.map((s) => s.source))].sort();
  const rows: SourceRow[] = [];
  const add = (name: string, pos: number[], neg: number[], isReal: boolean): void => {
    const a = isReal ? NaN : auc(pos, neg);
    const aCi = isReal ? ([NaN, NaN] as [number, number]) : bootstrap(pos, neg, auc, seed + rows.length);
    const r = rate(pos, threshold);
    const rCi = bootstrap(pos, neg, (p) => rate(p, threshold), seed + 100 + rows.length);
    rows.push({ source: name, n: pos.length, auc: a, aucCi: aCi, rate: r, rateCi: rCi });
  };
  add('all synthetic vs all real', fakes, reals, false);
  for (const src of sources) {
    const pos = valid.filter((s) => s.source === src).map((s) => s.score!);
    add(src, pos, reals, src.startsWith('real/'));
  }
  const lines = [
    '| source | n | AUC vs all held-out reals [95% CI] | share flagged synthetic (TPR for fakes, FPR for reals) [95% CI] |',
    '|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.source} | ${r.n} | ${Number.isFinite(r.auc) ? `${f3(r.auc)} ${ci(r.aucCi)}` : '—'} | ${pct(r.rate)} [${pct(r.rateCi[0])}, ${pct(r.rateCi[1])}] |`,
    ),
    `| all real (FPR) | ${reals.length} | — | ${pct(rate(reals, threshold))} [${bootstrap(
      reals,
      reals,
      (p) => rate(p, threshold),
      seed + 999,
    )
      .map(pct)
      .join(', ')}] |`,
  ];
  const skipped = scored.length - valid.length;
  if (skipped)
    lines.push('', `${skipped} image(s) too small for one crop under this condition were left out.`);
  return { rows, text: lines.join('\n') };
}

function brier(scored: readonly Scored[]): number {
  const v = scored.filter((s) => s.score !== undefined);
  return v.reduce((acc, s) => acc + (s.score! - s.label) ** 2, 0) / v.length;
}

async function main(): Promise<void> {
  const splitPath = join(repoRoot, 'training', 'split.json');
  if (!existsSync(join(fixtures, 'manifest.csv'))) {
    console.log(`eval:detect: fixtures not found at ${fixtures}; nothing to evaluate.`);
    return;
  }
  if (!existsSync(splitPath)) {
    console.log('eval:detect: training/split.json is missing; run `npm run train:detect` first.');
    return;
  }
  const split = (JSON.parse(readFileSync(splitPath, 'utf8')) as { files: Record<string, SplitEntry> }).files;
  const entries = Object.entries(split).filter(([p]) => existsSync(join(fixtures, p)));
  const evalSplit: 'calib' | 'test' = process.argv.includes('--split=calib') ? 'calib' : 'test';
  const test = entries.filter(([, e]) => e.split === evalSplit);
  const t0 = performance.now();
  const model = await loadModel();
  const cal = model.calibration;
  const threshold = cal.thresholds.synthetic;
  const report: string[] = [];
  const results: Record<string, unknown> = {
    model: `${cal.name}@${cal.version}`,
    sha256: cal.sha256,
    threshold,
  };
  report.push(
    `# eval:detect — ${cal.name}@${cal.version} (sha256 ${cal.sha256.slice(0, 12)}…)`,
    '',
    `${evalSplit === 'test' ? 'Held-out test split' : 'Calib split (validation; Platt and thresholds were fitted here)'}: ${test.length} files (${test.filter(([, e]) => e.label === 0).length} real, ${test.filter(([, e]) => e.label === 1).length} synthetic). ` +
      `Threshold: calibrated score > ${threshold.toFixed(4)} (chosen on the calib split for FPR ≤ ${pct(cal.thresholds.targetFpr)}).`,
  );

  const scored: Partial<Record<Condition, Scored[]>> = {};
  const titles: Record<Condition, string> = {
    original: 'Original files',
    normalised: 'Normalised copy (centre square → 256×256 Lanczos → JPEG q90, every image)',
    jpeg75: 'JPEG q75 re-encoding of each file',
    resize50: 'Resize ×0.5 (Lanczos, saved as PNG)',
  };
  for (const cond of CONDITIONS) {
    const s = await scoreAll(test, cond, model);
    scored[cond] = s;
    const table = perSource(s, threshold, 7);
    results[cond] = { rows: table.rows, brier: brier(s) };
    report.push('', `## ${titles[cond]}`, '', table.text, '', `Brier score: ${f3(brier(s))}`);
  }

  // Robustness: AUC on the same images (those scorable under both conditions) before and after.
  report.push(
    '',
    '## Robustness (AUC on images scorable in both conditions)',
    '',
    '| condition | n | AUC before | AUC after | drop |',
    '|---|---|---|---|---|',
  );
  for (const cond of ['jpeg75', 'resize50', 'normalised'] as Condition[]) {
    const after = scored[cond]!;
    const before = scored.original!;
    const both = before
      .map((b, i) => [b, after[i]!] as const)
      .filter(([b, a]) => b.score !== undefined && a.score !== undefined);
    const pos = (k: 0 | 1): [number[], number[]] => [
      both.filter(([b]) => b.label === 1).map((x) => x[k].score!),
      both.filter(([b]) => b.label === 0).map((x) => x[k].score!),
    ];
    const [p0, n0] = pos(0);
    const [p1, n1] = pos(1);
    const a0 = auc(p0, n0);
    const a1 = auc(p1, n1);
    results[`robust_${cond}`] = { n: both.length, before: a0, after: a1, drop: a0 - a1 };
    report.push(`| ${cond} | ${both.length} | ${f3(a0)} | ${f3(a1)} | ${f3(a0 - a1)} |`);
  }
  if (evalSplit === 'calib') {
    // Per-file scores, so threshold rules can be compared by split-half resampling (training/threshold_check.py).
    results.scores = Object.fromEntries(
      Object.entries(scored).map(([cond, s]) => [
        cond,
        s.map((x) => ({ path: x.path, label: x.label, score: x.score })),
      ]),
    );
    const text = report.join('\n');
    console.log(text);
    mkdirSync(join(repoRoot, 'training', 'out'), { recursive: true });
    writeFileSync(
      join(repoRoot, 'training', 'out', 'eval-results-calib.json'),
      JSON.stringify(results, null, 1),
    );
    writeFileSync(join(repoRoot, 'training', 'out', 'eval-results-calib.md'), `${text}\n`);
    return;
  }

  // Calib split through the shipped pipeline: its AUC must equal the one train.py logs (PyTorch + PIL), which
  // checks decoding and ONNX export end to end. Calibration and thresholds were fitted on this split.
  const calibScored = await scoreAll(
    entries.filter(([, e]) => e.split === 'calib'),
    'original',
    model,
  );
  const cPos = calibScored.filter((s) => s.label === 1 && s.score !== undefined).map((s) => s.score!);
  const cNeg = calibScored.filter((s) => s.label === 0 && s.score !== undefined).map((s) => s.score!);
  results.calib = { auc: auc(cPos, cNeg), fpr: rate(cNeg, threshold), tpr: rate(cPos, threshold) };
  report.push(
    '',
    `Calib split (used for Platt scaling and the threshold; not a test result): AUC ${f3(auc(cPos, cNeg))}, ` +
      `FPR ${pct(rate(cNeg, threshold))} (${cNeg.length} real), TPR ${pct(rate(cPos, threshold))} (${cPos.length} synthetic).`,
  );

  // detect() labels with abstention, metadata and watermark evidence, on the original files.
  const labels: Record<string, Record<string, number>> = {};
  const marks: Record<string, { maxShare: number; decisive: number }> = {};
  for (const [path, e] of test) {
    const bytes = new Uint8Array(readFileSync(join(fixtures, path)));
    const r = await detect(bytes);
    const key = r.label === 'inconclusive' ? `inconclusive (${r.reason})` : r.label;
    labels[e.source] ??= {};
    labels[e.source]![key] = (labels[e.source]![key] ?? 0) + 1;
    // Metadata / watermark evidence found in the fixtures, and the best dwtDct payload match share.
    const m = (marks[e.source] ??= { maxShare: 0, decisive: 0 });
    if (r.evidence.some((x) => x.strength === 'decisive')) m.decisive++;
    const best = readDwtDctMarks(await decodeImageRgb(bytes));
    if (best) m.maxShare = Math.max(m.maxShare, best.matchedBits / best.totalBits);
  }
  const keys = [...new Set(Object.values(labels).flatMap((m) => Object.keys(m)))].sort();
  report.push(
    '',
    '## detect() labels on the held-out originals',
    '',
    `| source | ${keys.join(' | ')} |`,
    `|---|${keys.map(() => '---').join('|')}|`,
  );
  for (const src of Object.keys(labels).sort())
    report.push(`| ${src} | ${keys.map((k) => labels[src]![k] ?? 0).join(' | ')} |`);
  results.labels = labels;
  results.marks = marks;
  report.push(
    '',
    '## Metadata and dwtDct evidence in the held-out originals',
    '',
    '| source | files with decisive evidence | best dwtDct payload match share (reported at ≥ 0.9) |',
    '|---|---|---|',
    ...Object.entries(marks)
      .sort()
      .map(([src, m]) => `| ${src} | ${m.decisive} | ${f3(m.maxShare)} |`),
  );

  // Scope measurements on the train split: the ranges behind DETECT_SCOPE.
  const stats: Record<string, { q: number[]; flat: number[]; colours: number[]; side: number[] }> = {};
  for (const [path, e] of entries.filter(([, x]) => x.split === 'train')) {
    const bytes = new Uint8Array(readFileSync(join(fixtures, path)));
    const meta = readContainerMetadata(bytes, sniffFormat(bytes).format);
    const luma = meta.jpegQuantTables.get(0);
    const px = await decodeImageRgb(bytes);
    const c = measureContent(px);
    const s = (stats[e.source] ??= { q: [], flat: [], colours: [], side: [] });
    if (luma) s.q.push(nearestIjgQuality(luma));
    s.flat.push(c.flatShare);
    s.colours.push(c.distinctColours);
    s.side.push(Math.min(px.width, px.height));
  }
  report.push(
    '',
    '## Scope measurements on the train split',
    '',
    '| source | JPEG quality min / median | max equal-neighbour share | min colours | min side |',
    '|---|---|---|---|---|',
  );
  for (const [src, s] of Object.entries(stats).sort()) {
    const q = [...s.q].sort((a, b) => a - b);
    report.push(
      `| ${src} | ${q.length ? `${q[0]} / ${q[Math.floor(q.length / 2)]}` : 'not JPEG'} | ${f3(Math.max(...s.flat))} | ${Math.min(...s.colours)} | ${Math.min(...s.side)} |`,
    );
  }

  // Parity with the PyTorch model on PIL-decoded pixels (training/out/parity.json, when present).
  // train.py writes one parity-<recipe>.json per run; the one whose digest matches the shipped model is used.
  const outDir = join(repoRoot, 'training', 'out');
  const parityFiles = existsSync(outDir)
    ? readdirSync(outDir).filter((f) => /^parity(-[\w-]+)?\.json$/.test(f))
    : [];
  if (parityFiles.length > 0) {
    let parity: Record<string, number> = {};
    for (const f of parityFiles) {
      const file = JSON.parse(readFileSync(join(outDir, f), 'utf8')) as {
        sha256?: string;
        logits?: Record<string, number>;
      };
      if (file.sha256 === cal.sha256 && file.logits) parity = file.logits;
    }
    let maxDiff = 0;
    for (const [path, logit] of Object.entries(parity)) {
      const px = await decodeImageRgb(new Uint8Array(readFileSync(join(fixtures, path))));
      // train.py's parity logits use its 3x3 grid without mirror images, whatever layout the package ships.
      const crops = extractCrops(px, { ...cal.input, grid: 3, flip: false })!;
      const out = await model.run(crops.data, crops.count);
      const mean = out.reduce((a, b) => a + b, 0) / crops.count;
      maxDiff = Math.max(maxDiff, Math.abs(mean - logit));
    }
    report.push(
      '',
      `Parity: max |mean logit (onnxruntime, sharp) − mean logit (PyTorch, PIL)| over ${Object.keys(parity).length} calib files = ${maxDiff.toExponential(2)}`,
    );
  }
  report.push('', `Evaluation took ${((performance.now() - t0) / 1000).toFixed(0)} s.`);
  const text = report.join('\n');
  console.log(text);
  mkdirSync(join(repoRoot, 'training', 'out'), { recursive: true });
  writeFileSync(join(repoRoot, 'training', 'out', 'eval-results.json'), JSON.stringify(results, null, 1));
  writeFileSync(join(repoRoot, 'training', 'out', 'eval-results.md'), `${text}\n`);
}

await main();
