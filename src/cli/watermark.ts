import type { Command } from 'commander';
import { open } from 'node:fs/promises';
import { FileError } from '../errors.js';
import { readMediaInput, writeFileAtomic } from '../media/io.js';
import { sniffFormat, type FormatInfo } from '../media/sniff.js';
import { EXIT, printError, printJson, runCommand } from './io.js';
import { createProgressBar } from './progress.js';

/** The format of a file from its first bytes (video files can be large: never read whole here). */
async function sniffFile(path: string): Promise<FormatInfo> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileError(
      code === 'ENOENT' ? 'ERR_FILE_NOT_FOUND' : 'ERR_FILE_IO',
      `Cannot read ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  try {
    const head = new Uint8Array(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return sniffFormat(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

interface EmbedFlags {
  readonly output: string;
  readonly payload: string;
  readonly strength?: string;
  readonly quality?: string;
  readonly key?: string;
}

interface DetectFlags {
  readonly json?: boolean;
  readonly key?: string;
}

function parseNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new RangeError(`Expected a number for ${name} but received ${JSON.stringify(value)}`);
  return n;
}

/**
 * `provmark watermark embed IN -o OUT --payload HEX16 [--strength S] [--quality Q] [--key K]` and
 * `provmark watermark detect FILE… [--json] [--key K]`. Detect exits 0 when every file carries a
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
    .option('--key <key>', 'secret key for a private mark (default: the public key)')
    .action(async (input: string, flags: EmbedFlags) => {
      await runCommand(async () => {
        const strength = parseNumber(flags.strength, 'strength');
        const quality = parseNumber(flags.quality, 'quality');
        const format = await sniffFile(input);
        const { embedMediaWatermark } = await import('../watermark/media.js');
        const bar = createProgressBar('watermarking', true);
        const bytes = await embedMediaWatermark(await readMediaInput(input), format, {
          payload: flags.payload,
          ...(strength === undefined ? {} : { strength }),
          ...(quality === undefined ? {} : { quality }),
          ...(flags.key === undefined ? {} : { key: flags.key }),
          onProgress: (p) => bar.update(p),
        }).finally(() => bar.done());
        await writeFileAtomic(flags.output, bytes);
        return EXIT.ok;
      });
    });

  wm.command('detect')
    .description('Look for a watermark in each file')
    .argument('<files...>', 'image, video or audio files')
    .option('--json', 'print one JSON object per file: { file, found, payload, confidence, ... }')
    .option('--key <key>', 'key the mark was made with (default: the public key)')
    .action(async (files: string[], flags: DetectFlags) => {
      await runCommand(async () => {
        const { detectImageWatermark } = await import('../watermark/image.js');
        const { detectMediaWatermark } = await import('../watermark/media.js');
        let status: number = EXIT.ok;
        for (const file of files) {
          let r: Awaited<ReturnType<typeof detectImageWatermark>>;
          try {
            // Unrecognised bytes are a verdict (found:false with the reason), not an input error.
            const format = await sniffFile(file).catch((err: unknown) => {
              if (err instanceof FileError) throw err;
              return undefined;
            });
            const key = flags.key === undefined ? {} : { key: flags.key };
            // Images report their geometry and bit errors; video and audio go through the dispatcher.
            r =
              format === undefined
                ? await detectImageWatermark(file, key)
                : format.kind === 'image'
                  ? await detectImageWatermark(file, key)
                  : await detectMediaWatermark(await readMediaInput(file), format, key);
          } catch (err) {
            // An unreadable path must not hide the results for the other files.
            printError(err);
            status = EXIT.usage;
            continue;
          }
          if (!r.found && status === EXIT.ok) status = EXIT.absent;
          if (flags.json) {
            printJson({
              file,
              found: r.found,
              payload: r.payload ?? null,
              confidence: r.confidence,
              ...(r.bitErrors === undefined ? {} : { bitErrors: r.bitErrors }),
              ...(r.reason ? { reason: r.reason } : {}),
              ...(r.geometry ? { geometry: r.geometry } : {}),
            });
          } else {
            process.stdout.write(
              r.found
                ? `${file}: watermark ${r.payload} (confidence ${r.confidence.toFixed(3)})\n`
                : `${file}: no watermark (${r.reason ?? 'not found'})\n`,
            );
          }
        }
        return status;
      });
    });
}
