/**
 * `npm run bench:pipeline`: the repository and server numbers of issue 4.
 *
 *   npm run bench:pipeline                       all sections
 *   npm run bench:pipeline -- --only repo        one section (protect | repo | server)
 *   npm run bench:pipeline -- --bindings 100000  smaller repository (default 1,000,000)
 *
 * Targets: repository lookup p99 < 2 ms with 1,000,000 bindings (SQLite and PostgreSQL);
 * `GET /matches/byBinding` >= 5,000 requests/s on one core with p99 < 20 ms on loopback.
 * Baselines measured in the same run: the same lookup in a 1,000-binding repository, and the
 * server's static `GET /services/supportedAlgorithms` (framework cost without a lookup).
 *
 * PostgreSQL runs when PROVMARK_TEST_PG_URL is set (bash scripts/ci-postgres.sh prints one); its
 * data goes to the schema `provmark_bench`, dropped first. Data: synthetic manifests, each with
 * one binding of our algorithm (8-byte ids) and a 64-byte store (lookups never read the store).
 *
 * Each section is a function of {@link BenchContext}, so further sections (protect / inspect)
 * can be added to SECTIONS.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openPostgresRepository } from '../src/repository/postgres.js';
import { openSqliteRepository } from '../src/repository/sqlite.js';
import type { ManifestRepository } from '../src/repository/types.js';
import { startServer } from '../src/server/start.js';
import { benchProtect } from './pipeline-protect.js';
import { scorecard } from './util.js';
import { SOFT_BINDING_ALG } from '../src/watermark/softbinding.js';

interface BenchContext {
  readonly args: ReadonlyMap<string, string>;
  readonly dir: string;
  readonly bindings: number;
  /** SQLite repository files already loaded in this run, by binding count (shared by sections). */
  readonly sqliteFiles: Map<number, string>;
  /** Rows of the final table. */
  readonly rows: Array<Record<string, string>>;
}

const SECTIONS: Record<string, (ctx: BenchContext) => Promise<void>> = {
  protect: benchProtect,
  repo: benchRepository,
  server: benchServer,
};

// ---------------------------------------------------------------------------------------------
// Synthetic data: row i has a deterministic id, so lookups can pick existing rows at random.

const RUN_TAG = randomBytes(4).toString('hex');

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** The base64 binding value (8 bytes) of row i. */
function valueOf(i: number): string {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(mix32(2 * i + 1), 0);
  b.writeUInt32BE(mix32(2 * i + 2), 4);
  return b.toString('base64');
}

function manifestIdOf(i: number): string {
  return `urn:c2pa:${RUN_TAG}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

const STORE = randomBytes(64);
const STORE_SHA = createHash('sha256').update(STORE).digest('hex');

// ---------------------------------------------------------------------------------------------
// Timing helpers

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

interface LookupStats {
  p50: number;
  p99: number;
  max: number;
  perSecond: number;
}

/** Sequential lookups of random existing bindings through the repository API. */
async function measureLookups(repo: ManifestRepository, n: number, count: number): Promise<LookupStats> {
  const warm = Math.min(2000, count);
  for (let k = 0; k < warm; k++) await repo.findByBinding(SOFT_BINDING_ALG, valueOf((Math.random() * n) | 0));
  const times: number[] = [];
  const start = performance.now();
  for (let k = 0; k < count; k++) {
    const i = (Math.random() * n) | 0;
    const t = performance.now();
    const m = await repo.findByBinding(SOFT_BINDING_ALG, valueOf(i));
    times.push(performance.now() - t);
    if (m[0]?.manifestId !== manifestIdOf(i)) throw new Error(`lookup ${i} answered ${JSON.stringify(m)}`);
  }
  const total = performance.now() - start;
  times.sort((a, b) => a - b);
  return {
    p50: percentile(times, 0.5),
    p99: percentile(times, 0.99),
    max: times[times.length - 1]!,
    perSecond: (count / total) * 1000,
  };
}

const ms = (x: number) => x.toFixed(3);

// ---------------------------------------------------------------------------------------------
// Bulk loads (raw driver statements against the repository's own schema, created by opening it).

async function loadSqlite(ctx: BenchContext, n: number): Promise<string> {
  const cached = ctx.sqliteFiles.get(n);
  if (cached) return cached;
  const path = join(ctx.dir, `repo-${n}.db`);
  await (await openSqliteRepository({ path })).close();
  const t = performance.now();
  const db = new Database(path);
  db.pragma('synchronous = OFF'); // bulk load only; the repository itself runs FULL
  const insertM = db.prepare(
    'INSERT INTO provmark_manifests (seq, manifest_id, store, store_sha256, format, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const insertB = db.prepare('INSERT INTO provmark_bindings (alg, value, manifest_seq) VALUES (?, ?, ?)');
  const now = Date.now();
  const batch = 100_000;
  for (let s = 0; s < n; s += batch) {
    db.transaction(() => {
      for (let i = s; i < Math.min(n, s + batch); i++)
        insertM.run(i + 1, manifestIdOf(i), STORE, STORE_SHA, 'image/jpeg', now);
    })();
  }
  // Bindings in key order: appends to the (alg, value, seq) B-tree instead of random inserts.
  const order = Array.from({ length: n }, (_, i) => [valueOf(i), i] as const).sort((a, b) =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
  );
  for (let s = 0; s < n; s += batch) {
    db.transaction(() => {
      for (let k = s; k < Math.min(n, s + batch); k++)
        insertB.run(SOFT_BINDING_ALG, order[k]![0], order[k]![1] + 1);
    })();
  }
  db.exec('ANALYZE');
  db.close();
  console.error(
    `  sqlite: loaded ${n} manifests + bindings in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  ctx.sqliteFiles.set(n, path);
  return path;
}

async function loadPostgres(url: string, schema: string, n: number): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await (await openPostgresRepository({ connectionString: url, schema })).close();
    const t = performance.now();
    const batch = 20_000;
    for (let s = 0; s < n; s += batch) {
      const ids: string[] = [];
      const values: string[] = [];
      for (let i = s; i < Math.min(n, s + batch); i++) {
        ids.push(manifestIdOf(i));
        values.push(valueOf(i));
      }
      await admin.query(
        `WITH m AS (
           INSERT INTO "${schema}".provmark_manifests (manifest_id, store, store_sha256, format)
           SELECT id, $2::bytea, $3, 'image/jpeg' FROM unnest($1::text[]) AS t(id)
           RETURNING seq, manifest_id)
         INSERT INTO "${schema}".provmark_bindings (alg, value, manifest_seq)
         SELECT $4, v.value, m.seq FROM m JOIN unnest($1::text[], $5::text[]) AS v(id, value) ON v.id = m.manifest_id`,
        [ids, STORE, STORE_SHA, SOFT_BINDING_ALG, values],
      );
    }
    // Measure the steady state, not the aftermath of a bulk load: VACUUM sets the hint bits and
    // visibility map now, instead of autovacuum and first readers doing it during the lookups.
    await admin.query(`VACUUM (ANALYZE) "${schema}".provmark_manifests`);
    await admin.query(`VACUUM (ANALYZE) "${schema}".provmark_bindings`);
    console.error(
      `  postgres: loaded ${n} manifests + bindings in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
  } finally {
    await admin.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Sections

async function benchRepository(ctx: BenchContext): Promise<void> {
  const n = ctx.bindings;
  const small = 1000;
  const lookups = Number(ctx.args.get('lookups') ?? 20_000);
  const add = (backend: string, rows: number, s: LookupStats, base?: LookupStats) =>
    ctx.rows.push({
      section: 'repo',
      case: `${backend} findByBinding, ${rows.toLocaleString('en')} bindings`,
      p50_ms: ms(s.p50),
      p99_ms: ms(s.p99),
      max_ms: ms(s.max),
      per_s: s.perSecond.toFixed(0),
      vs_baseline: base ? `p99 x${(s.p99 / base.p99).toFixed(2)}` : 'baseline',
      target: base
        ? `p99 < 2 ms: ${scorecard.target(`${backend} lookup p99 < 2 ms with ${rows} bindings (${ms(s.p99)} ms)`, s.p99 < 2)}`
        : '',
    });

  console.error('repo: SQLite');
  for (const rows of [small, n]) {
    const repo = await openSqliteRepository({ path: await loadSqlite(ctx, rows) });
    const stats = await measureLookups(repo, rows, lookups);
    await repo.close();
    add('sqlite', rows, stats, rows === small ? undefined : (ctx as { sqliteBase?: LookupStats }).sqliteBase);
    if (rows === small) (ctx as { sqliteBase?: LookupStats }).sqliteBase = stats;
  }

  const url = process.env.PROVMARK_TEST_PG_URL;
  if (!url) {
    console.error(
      'repo: PostgreSQL skipped (set PROVMARK_TEST_PG_URL; bash scripts/ci-postgres.sh prints one)',
    );
    return;
  }
  console.error('repo: PostgreSQL');
  let base: LookupStats | undefined;
  const pgLookups = Math.min(lookups, 10_000);
  for (const rows of [small, n]) {
    const schema = rows === small ? 'provmark_bench_small' : 'provmark_bench';
    await loadPostgres(url, schema, rows);
    const repo = await openPostgresRepository({ connectionString: url, schema, max: 2 });
    if (rows === small) {
      base = await measureLookups(repo, rows, pgLookups);
      add('postgres', rows, base);
    } else {
      // Right after the load: whatever the load and VACUUM left in shared buffers / the OS cache.
      add('postgres (after load)', rows, await measureLookups(repo, rows, pgLookups), base);
      // Warm: a resolver that has been running holds its working set in shared buffers.
      const how = await prewarmPostgres(url, schema);
      add(`postgres (prewarmed: ${how})`, rows, await measureLookups(repo, rows, pgLookups), base);
    }
    await repo.close();
  }
}

/** Load the repository's tables and indexes into shared buffers (pg_prewarm when installed). */
async function prewarmPostgres(url: string, schema: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const relations = ['provmark_bindings_pkey', 'provmark_manifests_pkey', 'provmark_manifests'];
    const has = await c.query("SELECT 1 FROM pg_proc WHERE proname = 'pg_prewarm'");
    if (has.rowCount) {
      for (const r of relations) await c.query('SELECT pg_prewarm($1::regclass)', [`"${schema}".${r}`]);
      return 'pg_prewarm';
    }
    // Without the extension: full index scans, which (unlike sequential scans) go through shared buffers.
    await c.query('SET enable_seqscan = off');
    await c.query(`SELECT count(*) FROM "${schema}".provmark_bindings WHERE alg = $1`, [SOFT_BINDING_ALG]);
    await c.query(`SELECT sum(length(manifest_id)) FROM "${schema}".provmark_manifests WHERE seq > 0`);
    return 'index scans';
  } finally {
    await c.end();
  }
}

interface CannonStats {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function cannon(
  url: string,
  duration: number,
  path: (i: number) => string,
  n: number,
): Promise<CannonStats> {
  const result = await autocannon({
    url,
    connections: 10,
    duration,
    requests: [{ setupRequest: (req) => ({ ...req, path: path((Math.random() * n) | 0) }) }],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

async function benchServer(ctx: BenchContext): Promise<void> {
  const n = ctx.bindings;
  const duration = Number(ctx.args.get('duration') ?? 10);
  const path = await loadSqlite(ctx, n);
  // The server runs in its own process, pinned to one core when taskset exists; autocannon runs
  // here, on another core.
  const self = fileURLToPath(import.meta.url);
  const pin = process.platform === 'linux' ? ['taskset', '-c', '1'] : [];
  const cmd = [...pin, process.execPath, '--import', 'tsx', self, '--serve-child', path];
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /^LISTENING (\S+)$/m.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`server child exited with ${code}`)));
    });
    console.error(`server: ${url} (pinned: ${pin.length > 0}), ${duration} s per case, 10 connections`);
    const byBinding = (i: number) =>
      `/matches/byBinding?alg=${SOFT_BINDING_ALG}&value=${encodeURIComponent(valueOf(i))}`;
    await cannon(url, 2, byBinding, n); // warm-up
    const base = await cannon(url, duration, () => '/services/supportedAlgorithms', 1);
    const hit = await cannon(url, duration, byBinding, n);
    for (const [name, s, b] of [
      ['GET /services/supportedAlgorithms (static)', base, undefined],
      [`GET /matches/byBinding, ${n.toLocaleString('en')} bindings`, hit, base],
    ] as const) {
      ctx.rows.push({
        section: 'server',
        case: name,
        p50_ms: String(s.p50),
        p99_ms: String(s.p99),
        max_ms: '',
        per_s: s.rps.toFixed(0),
        vs_baseline: b ? `req/s x${(s.rps / b.rps).toFixed(2)}` : 'baseline',
        // Errors and non-2xx answers are failed requests: the target needs none.
        target: b
          ? `>= 5000 req/s & p99 < 20 ms: ${scorecard.target(
              `${name}: >= 5000 req/s and p99 < 20 ms without errors (${s.rps.toFixed(0)} req/s, p99 ${s.p99} ms, ${s.errors} errors, ${s.non2xx} non-2xx)`,
              s.rps >= 5000 && s.p99 < 20 && s.errors + s.non2xx === 0,
            )}${s.errors + s.non2xx > 0 ? ` (${s.errors} errors, ${s.non2xx} non-2xx)` : ''}`
          : '',
      });
    }
  } finally {
    child.kill('SIGTERM');
  }
}

/** Child mode: serve the SQLite file with production settings (rate limiter on, generous limit). */
async function serveChild(path: string): Promise<void> {
  const repository = await openSqliteRepository({ path });
  const server = await startServer({
    repository,
    port: 0,
    logLevel: 'warn',
    rateLimit: { max: 1_000_000_000, timeWindowMs: 60_000 },
  });
  process.stdout.write(`LISTENING ${server.url}\n`);
  process.on(
    'SIGTERM',
    () =>
      void server
        .close()
        .then(() => repository.close())
        .then(() => process.exit(0)),
  );
}

// ---------------------------------------------------------------------------------------------

function parseArgs(argv: readonly string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    if (!a.startsWith('--')) throw new RangeError(`Unexpected argument ${a}`);
    const next = argv[k + 1];
    if (next !== undefined && !next.startsWith('--')) {
      args.set(a.slice(2), next);
      k++;
    } else args.set(a.slice(2), 'true');
  }
  return args;
}

function printTable(rows: ReadonlyArray<Record<string, string>>): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`;
  console.log(line(cols));
  console.log(`|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(cols.map((c) => r[c] ?? '')));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const child = args.get('serve-child');
  if (child !== undefined) return serveChild(child);
  const only = args.get('only');
  if (only !== undefined && !(only in SECTIONS)) {
    throw new RangeError(
      `Expected one of ${Object.keys(SECTIONS).join(', ')} for --only but received ${only}`,
    );
  }
  const bindings = Number(args.get('bindings') ?? 1_000_000);
  if (!Number.isInteger(bindings) || bindings < 1000)
    throw new RangeError('Expected an integer >= 1000 for --bindings');
  const dir = mkdtempSync(join(tmpdir(), 'provmark-bench-'));
  const ctx: BenchContext = { args, dir, bindings, sqliteFiles: new Map(), rows: [] };
  try {
    for (const [name, section] of Object.entries(SECTIONS)) {
      if (only === undefined || only === name) await section(ctx);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nbench:pipeline (node ${process.version}); ratios against the baseline rows of the same run`);
  printTable(ctx.rows);
  scorecard.finish('bench:pipeline');
}

await main();
