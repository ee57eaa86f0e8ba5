import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../media/io.js';
import { SigningError } from '../errors.js';
import type { ManifestInput } from '../sign/manifest.js';
import { sign } from '../flows/sign.js';
import { createPemSigner } from '../sign/signers.js';
import { EXIT, printJson, runCommand } from './io.js';
import { likenessFromFlags } from './likeness.js';

export interface SignCliOptions {
  output: string;
  key: string;
  cert: string;
  manifest?: string;
  title?: string;
  author?: string;
  sourceType?: string;
  parent?: string;
  thumbnail: boolean;
  sidecar?: boolean;
  remoteUrl?: string;
  sidecarAsset?: string;
  trust?: string[];
  tsa?: string;
  json?: boolean;
  depicts?: string[];
  consentRef?: string;
}

export async function readManifestFile(path: string): Promise<ManifestInput> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SigningError(
      'ERR_INVALID_MANIFEST',
      `Cannot read the manifest file ${path}: ${(err as Error).message}`,
    );
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('expected a JSON object');
    return parsed as ManifestInput;
  } catch (err) {
    throw new SigningError(
      'ERR_INVALID_MANIFEST',
      `The manifest file ${path} is not valid JSON: ${(err as Error).message}`,
      {
        hint: 'See README "Manifest JSON" for the accepted fields (title, digitalSourceType, author, actions, assertions).',
      },
    );
  }
}

/** The manifest of `sign`/`protect`: the --manifest JSON file, overridden by --title/--author/--source-type. */
export async function manifestFromFlags(opts: {
  manifest?: string;
  title?: string;
  author?: string;
  sourceType?: string;
}): Promise<ManifestInput> {
  const fromFile = opts.manifest ? await readManifestFile(opts.manifest) : {};
  return {
    ...fromFile,
    ...(opts.title !== undefined ? { title: opts.title } : {}),
    ...(opts.author !== undefined ? { author: opts.author } : {}),
    ...(opts.sourceType !== undefined ? { digitalSourceType: opts.sourceType } : {}),
  };
}

export function registerSign(program: Command): void {
  program
    .command('sign')
    .description('Sign a media file with a C2PA manifest')
    .argument('<input>', 'media file to sign')
    .requiredOption('-o, --output <file>', 'where to write the signed file (written atomically)')
    .requiredOption('--key <pem>', 'signer private key (PEM)')
    .requiredOption('--cert <pem>', 'signer certificate chain (PEM, signer first)')
    .option(
      '--manifest <json>',
      'manifest definition JSON file (title, digitalSourceType, author, actions, assertions)',
    )
    .option('--title <title>', 'manifest title')
    .option('--author <name>', 'author name')
    .option('--source-type <type>', 'IPTC digital source type, e.g. digitalCapture, trainedAlgorithmicMedia')
    .option('--parent <file>', 'earlier version of this asset, recorded as the parentOf ingredient')
    .option('--no-thumbnail', 'do not embed a thumbnail')
    .option('--sidecar', 'write the manifest store to OUTPUT (a .c2pa sidecar) and leave the asset unchanged')
    .option(
      '--remote-url <url>',
      'with --sidecar: write a link to where the .c2pa will be published into the asset (XMP)',
    )
    .option(
      '--sidecar-asset <file>',
      'with --sidecar and --remote-url: where to write the asset carrying the link',
    )
    .option('--trust <pem...>', 'trust anchors used to validate the parent ingredient')
    .option('--tsa <url>', 'time-stamp the signature with this RFC 3161 time-stamp authority')
    .option(
      '--depicts <id...>',
      'registered people (likeness registry ids) the asset depicts, declared in the assertion org.provmark.likeness',
    )
    .option('--consent-ref <ref>', 'where the consent of the people depicted is recorded (with --depicts)')
    .option('--json', 'print the result as JSON')
    .action((input: string, opts: SignCliOptions) =>
      runCommand(async () => {
        if (opts.remoteUrl && !opts.sidecar)
          throw new RangeError('--remote-url needs --sidecar (the manifest is published elsewhere)');
        const signer = await createPemSigner({ key: opts.key, certificate: opts.cert });
        const manifest = await manifestFromFlags(opts);
        const result = await sign(input, {
          signer,
          manifest,
          thumbnail: opts.thumbnail,
          ...(opts.parent ? { parent: opts.parent } : {}),
          ...(opts.trust ? { trust: { anchors: opts.trust } } : {}),
          ...(opts.sidecar ? { sidecar: true } : {}),
          ...(opts.remoteUrl ? { remoteUrl: opts.remoteUrl } : {}),
          ...(opts.tsa ? { timestamp: { url: opts.tsa } } : {}),
          ...likenessFromFlags(opts),
        });
        if (opts.sidecarAsset) await writeFileAtomic(opts.sidecarAsset, result.bytes);
        await writeFileAtomic(opts.output, opts.sidecar ? result.manifestStore : result.bytes);
        if (opts.json) {
          printJson({
            file: input,
            output: opts.output,
            manifestId: result.manifestId,
            format: result.format,
            state: result.report.state,
          });
        } else {
          process.stdout.write(
            `Signed ${input} -> ${opts.output} (${result.format}, manifest ${result.manifestId})\n`,
          );
        }
        return EXIT.ok;
      }),
    );
}
