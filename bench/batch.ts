/**
 * `npm run bench:batch [-- --files N] [--sources S] [--cli src|dist] [--keep]`: the CLI `inspect` over N generated
 * 1-megapixel JPEGs (default 10,000), once with `--jobs 1` and once with `--jobs 2`.
 *
 * The files: S photo-like originals are protected (watermark + C2PA + repository), S stripped re-encodes of them
 * (metadata gone, mark kept: "recovered"), S plain photos ("no-provenance", so the detector runs), and tampered
 * copies of the protected files with one scan-data byte flipped (a different byte in every copy: "tampered"). The
 * protected, stripped and plain files are byte-identical copies of their S sources (there is no cache keyed on
 * content, so a copy costs what its source costs); every file's expected verdict follows from its category and is
 * checked against the CLI's answer.
 *
 * Targets (issue 15): N lines from each run, peak RSS of the whole CLI process tree < 1 GB (sampled from /proc
 * every 100 ms; worker threads live inside the process), and files/s with `--jobs 2` ≥ 1.7× `--jobs 1`.
 * Exits 1 when a target is missed.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import sharp from 'sharp';
import { openSqliteRepository } from '../src/repository/sqlite.js';
import { createPemSigner, generateDevCredentials, protect } from '../src/sign/index.js';
import { photoLike } from '../test/helpers/photo.js';
import { argValue, hasFlag, numberArg, printTable } from './util.js';

const FILES = numberArg('--files', 10_000);
const SOURCES = numberArg('--sources', 10);
const CLI = argValue('--cli') ?? 'src';
const ROOT = resolve(import.meta.dirname, '..');
const CATEGORIES = ['protected', 'stripped', 'tampered', 'plain'] as const;
type Category = (typeof CATEGORIES)[number];
const EXPECTED: Record<Category, string> = {
  protected: 'verified',
  stripped: 'recovered',
  tampered: 'tampered',
  plain: 'no-provenance',
};

interface RunResult {
  readonly jobs: number;
  readonly seconds: number;
  readonly lines: number;
  readonly peakRssMb: number;
  readonly verdicts: Map<string, number>;
  readonly wrong: number;
  readonly code: number | null;
}

async function generate(dir: string): Promise<{ files: string; db: string; ca: string }> {
  const t0 = performance.now();
  const files = join(dir, 'files');
  await mkdir(files, { recursive: true });
  const creds = await generateDevCredentials({ alg: 'ed25519' });
  const ca = join(dir, 'ca.pem');
  await writeFile(ca, creds.caCertPem);
  const signer = await createPemSigner({ key: creds.signerKeyPem, certificate: creds.chainPem });
  const db = join(dir, 'repo.db');
  const repository = await openSqliteRepository({ path: db });
  const sources: Record<Category, Uint8Array[]> = { protected: [], stripped: [], tampered: [], plain: [] };
  try {
    for (let s = 0; s < SOURCES; s++) {
      // 1152 × 864 ≈ 1.0 MP
      const original = await photoLike(1152, 864, 100 + s);
      const p = await protect(original, { signer, repository, manifest: { title: `bench ${s}` } });
      sources.protected.push(p.bytes);
      sources.stripped.push(await sharp(p.bytes).jpeg({ quality: 88 }).toBuffer());
      sources.tampered.push(p.bytes);
      sources.plain.push(await photoLike(1152, 864, 500 + s));
    }
  } finally {
    await repository.close();
  }
  const tGen = performance.now();
  for (let i = 0; i < FILES; i++) {
    const category = CATEGORIES[i % 4]!;
    const src = sources[category][Math.floor(i / 4) % SOURCES]!;
    const name = join(files, `${category}-${String(i).padStart(6, '0')}.jpg`);
    if (category === 'tampered') {
      // A different scan-data byte in each copy (from 300 bytes before the end, the entropy-coded data).
      const bytes = Buffer.from(src);
      const at = bytes.length - 300 - (Math.floor(i / 4) % 20_000) * 3;
      bytes[at] = bytes[at]! ^ 0x08;
      await writeFile(name, bytes);
    } else if (i < 4 * SOURCES) await writeFile(name, src);
    else await copyFile(join(files, `${category}-${String(i % (4 * SOURCES)).padStart(6, '0')}.jpg`), name);
  }
  console.log(
    `generated ${FILES} files in ${((performance.now() - t0) / 1000).toFixed(1)} s ` +
      `(${SOURCES} sources per category: ${((tGen - t0) / 1000).toFixed(1)} s; copies ${((performance.now() - tGen) / 1000).toFixed(1)} s)`,
  );
  return { files, db, ca };
}

/**
 * RSS in kB of `pid` and all its descendants, from /proc (worker threads share their process's RSS; children are
 * followed through /proc/PID/task/TID/children, so the sampler reads a few files, not every process's status).
 */
async function treeRssKb(pid: number): Promise<number> {
  let total = 0;
  const pending = [pid];
  while (pending.length) {
    const p = pending.pop()!;
    try {
      total += Number(/^VmRSS:\s+(\d+)/m.exec(await readFile(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
      for (const tid of await readdir(`/proc/${p}/task`)) {
        const kids = await readFile(`/proc/${p}/task/${tid}/children`, 'utf8').catch(() => '');
        for (const k of kids.split(/\s+/)) if (k) pending.push(Number(k));
      }
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

async function runInspect(files: string, db: string, ca: string, jobs: number): Promise<RunResult> {
  const args =
    CLI === 'dist' ? [join(ROOT, 'dist/cli/main.js')] : ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [...args, 'inspect', files, '--json', '--jobs', String(jobs), '--db', `sqlite:${db}`, '--trust', ca],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PROVMARK_HOME: join(files, '..', 'home') },
    },
  );
  let peak = 0;
  const sampler = setInterval(() => {
    void treeRssKb(child.pid!).then((kb) => (peak = Math.max(peak, kb)));
  }, 100);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const verdicts = new Map<string, number>();
  let lines = 0;
  let wrong = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    if (!line.trim()) continue;
    lines++;
    const o = JSON.parse(line) as { file: string; verdict?: string; error?: { code: string } };
    const verdict = o.verdict ?? `error ${o.error?.code}`;
    verdicts.set(verdict, (verdicts.get(verdict) ?? 0) + 1);
    const category = /\/(protected|stripped|tampered|plain)-\d+\.jpg$/.exec(o.file)?.[1] as
      Category | undefined;
    if (!category || EXPECTED[category] !== verdict) {
      if (wrong < 3) console.log(`  unexpected: ${o.file} → ${verdict}`);
      wrong++;
    }
  }
  const code = await new Promise<number | null>((r) => child.on('close', r));
  clearInterval(sampler);
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 1 && code !== 0)
    console.log(`  exit ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  console.log(`  ${stderr.trim().split('\n').pop() ?? ''}`);
  return { jobs, seconds, lines, peakRssMb: peak / 1024, verdicts, wrong, code };
}

async function main(): Promise<void> {
  if (!Number.isInteger(FILES) || FILES < 4)
    throw new RangeError(`Expected integer ≥ 4 for --files but received ${FILES}`);
  const dir = await mkdtemp(join(tmpdir(), 'provmark-bench-batch-'));
  try {
    const { files, db, ca } = await generate(dir);
    const results: RunResult[] = [];
    for (const jobs of [1, 2]) {
      console.log(
        `inspect --jobs ${jobs} over ${FILES} files (${CLI === 'dist' ? 'node dist/cli/main.js' : 'source CLI through tsx'})…`,
      );
      results.push(await runInspect(files, db, ca, jobs));
    }
    const [one, two] = results as [RunResult, RunResult];
    const rate = (r: RunResult): number => r.lines / r.seconds;
    const ratio = rate(two) / rate(one);
    printTable(
      ['run', 'lines', 'seconds', 'files/s', 'peak RSS MB', 'wrong verdicts', 'verdicts'],
      results.map((r) => [
        `--jobs ${r.jobs}`,
        r.lines,
        r.seconds.toFixed(1),
        rate(r).toFixed(1),
        r.peakRssMb.toFixed(0),
        r.wrong,
        [...r.verdicts].map(([v, n]) => `${v} ${n}`).join(', '),
      ]),
    );
    const checks: [string, boolean][] = [
      [`${FILES} lines from each run`, results.every((r) => r.lines === FILES)],
      [
        `peak RSS < 1 GB (max ${Math.max(...results.map((r) => r.peakRssMb)).toFixed(0)} MB)`,
        results.every((r) => r.peakRssMb < 1024),
      ],
      [`--jobs 2 ≥ 1.7× --jobs 1 files/s (${ratio.toFixed(2)}×)`, ratio >= 1.7],
    ];
    for (const [what, ok] of checks) console.log(`${ok ? 'met   ' : 'MISSED'} ${what}`);
    const wrong = results.reduce((n, r) => n + r.wrong, 0);
    if (wrong) console.log(`NOTE: ${wrong} files got a verdict other than their category's (listed above)`);
    process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
  } finally {
    if (!hasFlag('--keep')) await rm(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

await main();
