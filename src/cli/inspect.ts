import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { defaultRepositoryPath } from '../repository/sqlite.js';
import type { BatchTaskOptions } from '../batch/types.js';
import type { ProvenanceReport } from '../flows/inspect.js';
import { addBatchFlags, runBatchCommand, type BatchFlags, type BatchPresenter } from './batch.js';
import { inspectExitCode } from './exit-codes.js';
import { dbFromFlags } from './protect.js';
import { runCommand } from './io.js';
import { addTrustFlags, trustFromFlags } from './verify.js';

export { inspectExitCode } from './exit-codes.js';

interface InspectCliOptions extends BatchFlags {
  trust?: string[];
  allowed?: string[];
  eku?: string[];
  official?: boolean;
  db?: string;
  resolver?: string;
  detector: boolean;
  requireTrusted?: boolean;
  watermarkKey?: string;
}

function presenter(requireTrusted: boolean): BatchPresenter<ProvenanceReport> {
  return {
    label: 'inspecting',
    exitCode: (r) => inspectExitCode(r, requireTrusted),
    verdict: (r) => (r.error ? `error ${r.error.code}` : r.verdict),
    json(file, index, r) {
      const { verdict, manifestId, softBindingId, summary, ...rest } = r;
      return {
        file,
        index,
        verdict,
        manifestId: manifestId ?? null,
        softBindingId: softBindingId ?? null,
        summary,
        ...rest,
      };
    },
    human: (file, r) =>
      r.error
        ? { text: `provmark: ${r.error.code}: ${file}: ${r.error.message}\n`, toStderr: true }
        : { text: `${file}: ${r.verdict.toUpperCase()}\n  ${r.summary}\n` },
  };
}

export function registerInspect(program: Command): void {
  addBatchFlags(
    addTrustFlags(
      program
        .command('inspect')
        .description(
          'Say what is known about files: embedded credentials, watermark recovery, or the offline detector. ' +
            'Directories are walked; "-" reads paths from stdin.',
        )
        .argument('<files...>', 'files, directories, or - for a list of paths on stdin'),
    ),
  )
    .option(
      '--db <url>',
      'repository to recover manifests from (default $PROVMARK_DB or ~/.provmark/repository.db)',
    )
    .option('--resolver <url>', 'a Soft Binding Resolution API to ask after the local repository')
    .option('--no-detector', 'do not run the offline detector on files without provenance')
    .option('--watermark-key <key>', 'watermark key of private marks (default: the public key)')
    .option('--require-trusted', 'exit 1 unless the signer is trusted')
    .option('--json', 'print one JSON object per file (NDJSON), as each file completes')
    .action((files: string[], opts: InspectCliOptions) =>
      runCommand(async () => {
        const trust = trustFromFlags(opts);
        const db = dbFromFlags(opts.db);
        // Without --db, use the embedded repository only if it exists: inspecting must not create one.
        const repository: Pick<BatchTaskOptions['inspect'], 'repository' | 'readonlyRepository'> =
          db !== undefined
            ? { repository: db }
            : existsSync(defaultRepositoryPath())
              ? { repository: defaultRepositoryPath(), readonlyRepository: true }
              : {};
        return runBatchCommand(
          'inspect',
          files,
          opts,
          {
            ...(trust ? { trust } : {}),
            ...repository,
            ...(opts.resolver ? { resolver: opts.resolver } : {}),
            detector: opts.detector,
            ...(opts.watermarkKey !== undefined ? { watermarkKey: opts.watermarkKey } : {}),
          },
          presenter(opts.requireTrusted ?? false),
        );
      }),
    );
}
