/**
 * `npm run bench:detect`: detector cost on one 12 MP image (4000x3000 JPEG q90, generated here).
 * Targets (issue 5): analysis <= 80 ms per 12 MP image excluding decode; model load <= 500 ms once per process.
 * Baseline measured in the same run: sharp's decode of the same image, which detect() also pays.
 */
import sharp from 'sharp';
import { readContainerMetadata } from '../src/detect/containers.js';
import { detect, scoreImage } from '../src/detect/detect.js';
import { readDwtDctMarks } from '../src/detect/dwtdct.js';
import { metadataEvidence } from '../src/detect/hints.js';
import { loadModel } from '../src/detect/model.js';
import { measureContent } from '../src/detect/scope.js';
import { decodeImageRgb } from '../src/media/image.js';
import { scorecard } from './util.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const W = 4000;
const H = 3000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time<T>(fn: () => Promise<T> | T): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

async function main(): Promise<void> {
  // Cold load first, before anything else warms onnxruntime: this is what a process pays once.
  const [loadMs, model] = await time(() => loadModel());
  const [reloadMs] = await time(() => loadModel());

  const px = Buffer.alloc(W * H * 3);
  let s = 1;
  for (let i = 0; i < px.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const p = (i / 3) | 0;
    const x = p % W;
    const y = (p / W) | 0;
    px[i] = Math.max(
      0,
      Math.min(255, 120 + 80 * Math.sin(x / 97 + y / 131 + (i % 3)) + ((s >>> 24) - 128) / 8),
    );
  }
  const jpeg = new Uint8Array(
    await sharp(px, { raw: { width: W, height: H, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer(),
  );

  const rows: Record<string, number[]> = {
    decode: [],
    metadata: [],
    watermark: [],
    scope: [],
    model: [],
    analysis: [],
    full: [],
  };
  for (let r = 0; r < RUNS; r++) {
    const [dec, pixels] = await time(() => decodeImageRgb(jpeg));
    const [meta] = await time(() => metadataEvidence(readContainerMetadata(jpeg, 'jpeg')));
    const [wm] = await time(() => readDwtDctMarks(pixels));
    const [scope] = await time(() => measureContent(pixels));
    const [mdl] = await time(() => scoreImage(pixels, model.calibration, (b, n) => model.run(b, n)));
    const [full] = await time(() => detect(jpeg));
    rows.decode!.push(dec);
    rows.metadata!.push(meta);
    rows.watermark!.push(wm);
    rows.scope!.push(scope);
    rows.model!.push(mdl);
    rows.analysis!.push(meta + wm + scope + mdl);
    rows.full!.push(full);
  }
  const base = median(rows.decode!);
  console.log(
    `detect on a ${W}x${H} JPEG (12 MP), ${RUNS} runs, median ms; baseline = sharp decode of the same image`,
  );
  console.log('| stage | median ms | ratio to decode |');
  console.log('|---|---|---|');
  for (const [k, v] of Object.entries(rows))
    console.log(`| ${k} | ${median(v).toFixed(1)} | ${(median(v) / base).toFixed(2)} |`);
  console.log(`| model load (cold, once per process) | ${loadMs.toFixed(0)} | — |`);
  console.log(`| model load (second call, cached) | ${reloadMs.toFixed(3)} | — |`);
  const analysis = median(rows.analysis!);
  console.log(
    `\ntarget analysis <= 80 ms excluding decode: ${analysis.toFixed(1)} ms -> ${scorecard.target(`analysis <= 80 ms excluding decode (${analysis.toFixed(1)} ms)`, analysis <= 80)}`,
  );
  console.log(
    `target model load <= 500 ms: ${loadMs.toFixed(0)} ms -> ${scorecard.target(`model load <= 500 ms (${loadMs.toFixed(0)} ms)`, loadMs <= 500)}`,
  );
}

await main();
scorecard.finish('bench:detect');
