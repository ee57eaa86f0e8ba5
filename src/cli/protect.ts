import type { Command } from 'commander';
import { openRepository } from '../repository/open.js';
import type { ManifestRepository } from '../repository/types.js';
import { protect } from '../flows/protect.js';
import { createPemSigner } from '../sign/signers.js';
import { manifestFromFlags } from './sign.js';
import { EXIT, printJson, runCommand } from './io.js';
import { likenessFromFlags } from './likeness.js';
import { createProgressBar } from './progress.js';

interface ProtectCliOptions {
  depicts?: string[];
  consentRef?: string;
  output: string;
  key: string;
  cert: string;
  db?: string;
  manifest?: string;
  title?: string;
  author?: string;
  sourceType?: string;
  strength?: string;
  quality?: string;
  watermarkKey?: string;
  tsa?: string;
  json?: boolean;
}

/** `--db` default: $PROVMARK_DB, else the embedded repository (~/.provmark/repository.db). */
export function dbFromFlags(db: string | undefined): string | undefined {
  return db ?? process.env.PROVMARK_DB ?? undefined;
}

export function registerProtect(program: Command): void {
  program
    .command('protect')
    .description(
      'Watermark, sign and register an image, video or audio file so its provenance survives metadata stripping',
    )
    .argument('<input>', 'image, video (MP4/MOV) or audio (WAV/MP3/M4A) to protect')
    .requiredOption('-o, --output <file>', 'where to write the protected file (written atomically)')
    .requiredOption('--key <pem>', 'signing key: the signer private key (PEM)')
    .requiredOption('--cert <pem>', 'signer certificate chain (PEM, signer first)')
    .option(
      '--db <url>',
      'repository: sqlite:PATH or postgres://… (default $PROVMARK_DB or ~/.provmark/repository.db)',
    )
    .option('--manifest <json>', 'manifest definition JSON file')
    .option('--title <title>', 'manifest title')
    .option('--author <name>', 'author name')
    .option('--source-type <type>', 'IPTC digital source type (default digitalCapture)')
    .option('--strength <s>', 'watermark strength multiplier (default 1)')
    .option('--quality <q>', 'output quality for lossy formats (default: the input quality)')
    .option(
      '--watermark-key <key>',
      'watermark key for a private mark, needed again to read it (default: the public key)',
    )
    .option('--tsa <url>', 'time-stamp the signature with this RFC 3161 time-stamp authority')
    .option(
      '--depicts <id...>',
      'registered people (likeness registry ids) the asset depicts, declared in the assertion org.provmark.likeness',
    )
    .option('--consent-ref <ref>', 'where the consent of the people depicted is recorded (with --depicts)')
    .option('--json', 'print the result as JSON')
    .action((input: string, opts: ProtectCliOptions) =>
      runCommand(async () => {
        const signer = await createPemSigner({ key: opts.key, certificate: opts.cert });
        const manifest = await manifestFromFlags(opts);
        const watermark = {
          ...(opts.strength !== undefined ? { strength: Number(opts.strength) } : {}),
          ...(opts.quality !== undefined ? { quality: Number(opts.quality) } : {}),
        };
        // Opened only when protect() has a row to commit: a failed call creates no database.
        let repository: ManifestRepository | undefined;
        try {
          const bar = createProgressBar('watermarking', !opts.json);
          const r = await protect(input, {
            signer,
            repository: async () => (repository = await openRepository(dbFromFlags(opts.db))),
            output: opts.output,
            manifest,
            watermark,
            ...(opts.watermarkKey !== undefined ? { watermarkKey: opts.watermarkKey } : {}),
            ...(opts.tsa ? { timestamp: { url: opts.tsa } } : {}),
            ...likenessFromFlags(opts),
            onProgress: (p) => bar.update(p),
          }).finally(() => bar.done());
          if (opts.json) {
            printJson({
              file: input,
              output: opts.output,
              manifestId: r.manifestId,
              softBindingId: r.softBindingId,
              format: r.format,
              stored: r.stored,
            });
          } else {
            process.stdout.write(
              `Protected ${input} -> ${opts.output}\n  manifest ${r.manifestId}\n  soft-binding id ${r.softBindingId} (${r.stored})\n`,
            );
          }
        } finally {
          await repository?.close();
        }
        return EXIT.ok;
      }),
    );
}
