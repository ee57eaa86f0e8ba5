import type { Command } from 'commander';
import type { TrustOptions } from '../verify/trust.js';
import { fetchTrustLists } from '../verify/trust.js';
import type { VerifyReport } from '../verify/types.js';
import { verify } from '../verify/verify.js';
import { EXIT, formatError, printJson, reportFileError, runCommand } from './io.js';

interface VerifyCliOptions {
  trust?: string[];
  allowed?: string[];
  eku?: string[];
  official?: boolean;
  sidecar?: string;
  json?: boolean;
  requireTrusted?: boolean;
}

/** Trust flags shared by verify and inspect. */
export function trustFromFlags(opts: {
  trust?: string[];
  allowed?: string[];
  eku?: string[];
  official?: boolean;
}): TrustOptions | undefined {
  if (!opts.trust && !opts.allowed && !opts.eku && !opts.official) return undefined;
  return {
    ...(opts.trust ? { anchors: opts.trust } : {}),
    ...(opts.allowed ? { allowedList: opts.allowed } : {}),
    ...(opts.eku ? { ekus: opts.eku } : {}),
    ...(opts.official ? { official: true } : {}),
  };
}

export function addTrustFlags(cmd: Command): Command {
  return cmd
    .option('--trust <pem...>', 'trust anchor PEM files (or PEM URLs)')
    .option('--allowed <pem...>', 'allowed-list PEM files: end-entity certificates trusted as they are')
    .option('--eku <oid...>', 'allowed signer EKU OIDs (default: the engine list)')
    .option('--official', 'also trust the official C2PA trust list cached by `provmark trust fetch`');
}

/** Exit code for one report (README "Exit codes"). */
export function exitCodeOf(report: VerifyReport, requireTrusted: boolean): number {
  if (report.state === 'absent') return 'error' in report && report.error ? EXIT.usage : EXIT.absent;
  if (report.state === 'remote') return EXIT.absent;
  if (report.state === 'invalid') return EXIT.failed;
  if (report.state === 'valid' && requireTrusted) return EXIT.failed;
  return EXIT.ok;
}

/** Several files: input errors win, then failures, then "absent". */
export function combineExitCodes(codes: number[]): number {
  for (const c of [EXIT.usage, EXIT.failed, EXIT.absent]) if (codes.includes(c)) return c;
  return EXIT.ok;
}

function describe(file: string, r: VerifyReport): string {
  if (r.state === 'absent')
    return r.error
      ? formatError(Object.assign(new Error(r.error.message), { code: r.error.code }))
      : `${file}: ABSENT — no C2PA manifest`;
  if (r.state === 'remote')
    return `${file}: REMOTE — the manifest is only referenced at ${r.remoteManifestUrl} (not fetched)`;
  const m = r.activeManifest;
  const lines = [`${file}: ${r.state.toUpperCase()}${r.sidecar ? ' (sidecar)' : ''}`];
  if (m) {
    const s = m.signer;
    lines.push(
      `  signer: ${s.commonName ?? '?'} (issuer ${s.issuer ?? '?'}, ${s.algorithm ?? '?'})${s.time ? `, signed ${s.time}` : ''}`,
    );
    if (m.title) lines.push(`  title: ${m.title}`);
    if (m.claimGenerator) lines.push(`  claim generator: ${m.claimGenerator}`);
    for (const a of m.actions)
      lines.push(
        `  action: ${a.action}${a.digitalSourceType ? ` (${a.digitalSourceType.split('/').pop()})` : ''}`,
      );
    for (const i of m.ingredients)
      lines.push(
        `  ingredient: ${i.title ?? '?'} [${i.relationship ?? '?'}]${i.manifestId ? ` manifest ${i.manifestId}` : ''}`,
      );
    for (const b of m.softBindings)
      lines.push(`  soft binding: ${b.alg}${b.softBindingId ? ` id ${b.softBindingId}` : ''}`);
  }
  for (const st of r.statuses.filter((x) => x.kind === 'failure'))
    lines.push(`  ✗ ${st.code}: ${st.explanation}`);
  return lines.join('\n');
}

export function registerVerify(program: Command): void {
  addTrustFlags(
    program
      .command('verify')
      .description('Verify the C2PA manifest of media files')
      .argument('<files...>', 'files to verify'),
  )
    .option('--sidecar <c2pa>', 'a sidecar manifest store (.c2pa) for the (single) file')
    .option('--require-trusted', 'exit 1 when the signature is valid but the signer is not trusted')
    .option('--json', 'print one JSON object per file')
    .action((files: string[], opts: VerifyCliOptions) =>
      runCommand(async () => {
        if (opts.sidecar && files.length !== 1)
          throw new RangeError('Expected exactly one file with --sidecar');
        const trust = trustFromFlags(opts);
        const codes: number[] = [];
        for (const file of files) {
          let report: VerifyReport;
          try {
            report = await verify(file, {
              ...(trust ? { trust } : {}),
              ...(opts.sidecar ? { sidecar: opts.sidecar } : {}),
            });
          } catch (err) {
            codes.push(reportFileError(file, err, opts.json));
            continue;
          }
          const code = exitCodeOf(report, opts.requireTrusted ?? false);
          codes.push(code);
          if (opts.json) printJson({ file, ...report });
          else if (code === EXIT.usage) process.stderr.write(`${describe(file, report)}\n`);
          else process.stdout.write(`${describe(file, report)}\n`);
        }
        return combineExitCodes(codes);
      }),
    );

  program
    .command('trust')
    .description('Manage trust lists')
    .command('fetch')
    .description('Download the official C2PA trust list and TSA trust list into the cache (network)')
    .option('--dir <dir>', 'cache directory (default ~/.provmark/trust)')
    .action((opts: { dir?: string }) =>
      runCommand(async () => {
        const r = await fetchTrustLists(opts.dir ? { cacheDir: opts.dir } : {});
        process.stdout.write(`Saved ${r.certificates} certificates to ${r.dir}\n`);
        return EXIT.ok;
      }),
    );
}
