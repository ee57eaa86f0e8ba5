import type { Command } from 'commander';
import type { TrustOptions } from '../verify/trust.js';
import { fetchTrustLists } from '../verify/trust.js';
import type { VerifyReport } from '../verify/types.js';
import { verify } from '../verify/verify.js';
import { addBatchFlags, runBatchCommand, type BatchFlags, type BatchPresenter } from './batch.js';
import { verifyExitCode } from './exit-codes.js';
import { EXIT, formatCoded, printJson, reportFileError, runCommand } from './io.js';

interface VerifyCliOptions extends BatchFlags {
  trust?: string[];
  allowed?: string[];
  eku?: string[];
  official?: boolean;
  sidecar?: string;
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
    .option('--eku <oid...>', 'allowed signer EKU OIDs (default: the official C2PA list)')
    .option('--official', 'also trust the official C2PA trust list cached by `provmark trust fetch`');
}

export { verifyExitCode as exitCodeOf, combineExitCodes } from './exit-codes.js';

function describe(file: string, r: VerifyReport): string {
  if (r.state === 'absent')
    return r.error ? formatCoded(r.error.code, r.error.message) : `${file}: ABSENT — no C2PA manifest`;
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
    for (const id of m.identities) {
      const who =
        id.signer?.commonName ??
        id.verifiedIdentities.map((v) => v.name ?? v.username ?? v.uri).find(Boolean) ??
        id.issuer ??
        '?';
      const how = id.validated
        ? id.state === 'trusted'
          ? 'validated, trusted'
          : 'validated, not trusted'
        : 'not validated';
      lines.push(`  identity: ${who} (${id.sigType ?? 'unknown signature type'}; ${how})`);
    }
  }
  for (const st of r.statuses.filter((x) => x.kind === 'failure'))
    lines.push(`  ✗ ${st.code}: ${st.explanation}`);
  return lines.join('\n');
}

function presenter(requireTrusted: boolean): BatchPresenter<VerifyReport> {
  return {
    label: 'verifying',
    exitCode: (r) => verifyExitCode(r, requireTrusted),
    verdict: (r) => (r.state === 'absent' && r.error ? `error ${r.error.code}` : r.state),
    json: (file, index, r) => ({ file, index, ...r }),
    human(file, r) {
      const toStderr = verifyExitCode(r, requireTrusted) === EXIT.usage;
      return { text: `${describe(file, r)}\n`, toStderr };
    },
  };
}

export function registerVerify(program: Command): void {
  addBatchFlags(
    addTrustFlags(
      program
        .command('verify')
        .description(
          'Verify the C2PA manifest of media files. Directories are walked; "-" reads paths from stdin.',
        )
        .argument('<files...>', 'files, directories, or - for a list of paths on stdin'),
    ),
  )
    .option('--sidecar <c2pa>', 'a sidecar manifest store (.c2pa) for the (single) file')
    .option('--require-trusted', 'exit 1 when the signature is valid but the signer is not trusted')
    .option('--json', 'print one JSON object per file (NDJSON), as each file completes')
    .action((files: string[], opts: VerifyCliOptions) =>
      runCommand(async () => {
        const trust = trustFromFlags(opts);
        const requireTrusted = opts.requireTrusted ?? false;
        if (!opts.sidecar)
          return runBatchCommand('verify', files, opts, trust ? { trust } : {}, presenter(requireTrusted));
        if (files.length !== 1 || files[0] === '-')
          throw new RangeError('Expected exactly one file with --sidecar');
        const file = files[0]!;
        let report: VerifyReport;
        try {
          report = await verify(file, { ...(trust ? { trust } : {}), sidecar: opts.sidecar });
        } catch (err) {
          return reportFileError(file, err, opts.json);
        }
        const code = verifyExitCode(report, requireTrusted);
        if (opts.json) printJson({ file, ...report });
        else if (code === EXIT.usage) process.stderr.write(`${describe(file, report)}\n`);
        else process.stdout.write(`${describe(file, report)}\n`);
        return code;
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
