import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { createHttpRepository } from '../repository/http.js';
import { openRepository } from '../repository/open.js';
import { defaultRepositoryPath } from '../repository/sqlite.js';
import type { ManifestRepository } from '../repository/types.js';
import { inspect, type ProvenanceReport } from '../verify/inspect.js';
import { dbFromFlags } from './protect.js';
import { EXIT, printJson, reportFileError, runCommand } from './io.js';
import { addTrustFlags, combineExitCodes, trustFromFlags } from './verify.js';

interface InspectCliOptions {
  trust?: string[];
  allowed?: string[];
  eku?: string[];
  official?: boolean;
  db?: string;
  resolver?: string;
  detector: boolean;
  json?: boolean;
  requireTrusted?: boolean;
}

/** Exit codes: 0 verified/recovered, 1 tampered or conflict, 3 no provenance, 2 input error. */
export function inspectExitCode(r: ProvenanceReport, requireTrusted: boolean): number {
  if (r.error) return EXIT.usage;
  switch (r.verdict) {
    case 'verified':
      return EXIT.ok;
    case 'recovered':
      return requireTrusted && r.recovered?.state !== 'trusted' ? EXIT.failed : EXIT.ok;
    case 'untrusted-signer':
      return requireTrusted ? EXIT.failed : EXIT.ok;
    case 'tampered':
    case 'conflict':
      return EXIT.failed;
    case 'no-provenance':
      return EXIT.absent;
  }
}

export function registerInspect(program: Command): void {
  addTrustFlags(
    program
      .command('inspect')
      .description(
        'Say what is known about files: embedded credentials, watermark recovery, or the offline detector',
      )
      .argument('<files...>', 'files to inspect'),
  )
    .option(
      '--db <url>',
      'repository to recover manifests from (default $PROVMARK_DB or ~/.provmark/repository.db)',
    )
    .option('--resolver <url>', 'a Soft Binding Resolution API to ask after the local repository')
    .option('--no-detector', 'do not run the offline detector on files without provenance')
    .option('--require-trusted', 'exit 1 unless the signer is trusted')
    .option('--json', 'print one JSON object per file')
    .action((files: string[], opts: InspectCliOptions) =>
      runCommand(async () => {
        const trust = trustFromFlags(opts);
        const db = dbFromFlags(opts.db);
        // Without --db, use the embedded repository only if it exists: inspecting must not create one.
        const repository: ManifestRepository | undefined =
          db !== undefined
            ? await openRepository(db)
            : existsSync(defaultRepositoryPath())
              ? await openRepository(undefined, { readonly: true })
              : undefined;
        const resolver = opts.resolver ? createHttpRepository({ url: opts.resolver }) : undefined;
        const codes: number[] = [];
        try {
          for (const file of files) {
            let r: ProvenanceReport;
            try {
              r = await inspect(file, {
                ...(trust ? { trust } : {}),
                ...(repository ? { repository } : {}),
                ...(resolver ? { resolver } : {}),
                detector: opts.detector,
              });
            } catch (err) {
              codes.push(reportFileError(file, err, opts.json));
              continue;
            }
            const code = inspectExitCode(r, opts.requireTrusted ?? false);
            codes.push(code);
            if (opts.json) {
              const { verdict, manifestId, softBindingId, summary, ...rest } = r;
              printJson({
                file,
                verdict,
                manifestId: manifestId ?? null,
                softBindingId: softBindingId ?? null,
                summary,
                ...rest,
              });
            } else if (r.error) {
              process.stderr.write(`provmark: ${r.error.code}: ${file}: ${r.error.message}\n`);
            } else {
              process.stdout.write(`${file}: ${r.verdict.toUpperCase()}\n  ${r.summary}\n`);
            }
          }
        } finally {
          await repository?.close();
          await resolver?.close();
        }
        return combineExitCodes(codes);
      }),
    );
}
