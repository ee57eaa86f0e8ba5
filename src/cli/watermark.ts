import type { Command } from 'commander';
import { sniffFile } from '../batch/tasks.js';
import { readMediaInput, writeFileAtomic } from '../media/io.js';
import type { ImageWatermarkDetection } from '../watermark/image.js';
import { addBatchFlags, runBatchCommand, type BatchFlags, type BatchPresenter } from './batch.js';
import { watermarkExitCode } from './exit-codes.js';
import { EXIT, printJson, runCommand } from './io.js';
import { createProgressBar } from './progress.js';

interface EmbedFlags {
  readonly output: string;
  readonly payload: string;
  readonly strength?: string;
  readonly quality?: string;
  readonly watermarkKey?: string;
  /** Deprecated name of `--watermark-key` in these two commands. */
  readonly key?: string;
}

interface DetectFlags extends BatchFlags {
  readonly watermarkKey?: string;
  readonly key?: string;
}

/**
 * The watermark key from `--watermark-key`, or from `--key`, its older name in `watermark embed`
 * and `watermark detect` (elsewhere `--key` is the signing key), which still works with a warning.
 */
function watermarkKeyFromFlags(flags: { readonly watermarkKey?: string; readonly key?: string }): {
  key?: string;
} {
  if (flags.key === undefined) return flags.watermarkKey === undefined ? {} : { key: flags.watermarkKey };
  if (flags.watermarkKey !== undefined)
    throw new RangeError('Expected --watermark-key alone, but --key (its deprecated name) was given too');
  process.stderr.write(
    'provmark: warning: --key is deprecated for watermark commands; use --watermark-key (--key is the signing key in sign and protect)\n',
  );
  return { key: flags.key };
}

const detectPresenter: BatchPresenter<ImageWatermarkDetection> = {
  label: 'reading watermarks',
  exitCode: watermarkExitCode,
  verdict: (r) => (r.found ? 'found' : 'not-found'),
  json: (file, index, r) => ({
    file,
    index,
    found: r.found,
    payload: r.payload ?? null,
    confidence: r.confidence,
    ...(r.bitErrors === undefined ? {} : { bitErrors: r.bitErrors }),
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.geometry ? { geometry: r.geometry } : {}),
  }),
  human: (file, r) => ({
    text: r.found
      ? `${file}: watermark ${r.payload} (confidence ${r.confidence.toFixed(3)})\n`
      : `${file}: no watermark (${r.reason ?? 'not found'})\n`,
  }),
};

function parseNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new RangeError(`Expected a number for ${name} but received ${JSON.stringify(value)}`);
  return n;
}

/**
 * `provmark watermark embed IN -o OUT --payload HEX16 [--strength S] [--quality Q] [--watermark-key K]` and
 * `provmark watermark detect FILE… [--json] [--watermark-key K]`. Detect exits 0 when every file carries a
 * mark, 3 when at least one does not, 2 on usage or input errors.
 */
export function registerWatermark(program: Command): void {
  const wm = program
    .command('watermark')
    .description('Embed or read the invisible watermark (64-bit soft-binding id) in images, video and audio');

  wm.command('embed')
    .description(
      'Embed a 64-bit id (16 hex digits) into an image (same format, size, ICC, EXIF orientation), a video (luma + audio track) or audio',
    )
    .argument('<input>', 'image, video (MP4/MOV) or audio (WAV/MP3/M4A) file')
    .requiredOption('-o, --output <file>', 'where to write the marked image')
    .requiredOption('--payload <hex16>', 'the soft-binding id: 16 hex digits')
    .option('--strength <s>', 'amplitude multiplier, 0.25–4 (default 1)')
    .option('--quality <q>', 'output quality for lossy formats, 1–100 (default: the input JPEG quality)')
    .option('--watermark-key <key>', 'secret key for a private mark (default: the public key)')
    .option('--key <key>', 'deprecated name of --watermark-key')
    .action(async (input: string, flags: EmbedFlags) => {
      await runCommand(async () => {
        const key = watermarkKeyFromFlags(flags);
        const strength = parseNumber(flags.strength, 'strength');
        const quality = parseNumber(flags.quality, 'quality');
        const format = await sniffFile(input);
        const { embedMediaWatermark } = await import('../watermark/media.js');
        const bar = createProgressBar('watermarking', true);
        const bytes = await embedMediaWatermark(await readMediaInput(input), format, {
          payload: flags.payload,
          ...(strength === undefined ? {} : { strength }),
          ...(quality === undefined ? {} : { quality }),
          ...key,
          onProgress: (p) => bar.update(p),
        }).finally(() => bar.done());
        await writeFileAtomic(flags.output, bytes);
        return EXIT.ok;
      });
    });

  wm.command('schemes')
    .description('List the registered watermark schemes: identifier, medium, version, formats')
    .option('--json', 'print one JSON array')
    .action((flags: { json?: boolean }) =>
      runCommand(async () => {
        const { watermarkSchemes } = await import('../watermark/schemes/index.js');
        const rows = watermarkSchemes().map((s) => ({
          id: s.id,
          medium: s.medium,
          version: s.version,
          name: s.name,
          formats: s.formats,
          embeds: s.embed !== undefined,
          legacyIds: s.legacyIds ?? [],
        }));
        if (flags.json) printJson(rows);
        else {
          for (const r of rows) {
            const legacy = r.legacyIds.length > 0 ? `; also reads ${r.legacyIds.join(', ')}` : '';
            const use = r.embeds ? 'embeds and detects' : 'detects only';
            process.stdout.write(
              `${r.id}  ${r.medium} v${r.version}, ${use}: ${r.formats.join(', ')}${legacy}\n`,
            );
          }
        }
        return EXIT.ok;
      }),
    );

  addBatchFlags(
    wm
      .command('detect')
      .description('Look for a watermark in each file. Directories are walked; "-" reads paths from stdin.')
      .argument('<files...>', 'image, video or audio files, directories, or - for a list of paths on stdin'),
  )
    .option('--json', 'print one JSON object per file: { file, index, found, payload, confidence, ... }')
    .option('--watermark-key <key>', 'key the mark was made with (default: the public key)')
    .option('--key <key>', 'deprecated name of --watermark-key')
    .action((files: string[], flags: DetectFlags) =>
      runCommand(() =>
        runBatchCommand('watermark', files, flags, watermarkKeyFromFlags(flags), detectPresenter),
      ),
    );
}
