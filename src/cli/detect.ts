import type { Command } from 'commander';
import type { DetectReport } from '../detect/types.js';
import { EXIT, printError, printJson, runCommand } from './io.js';

interface DetectFlags {
  readonly json?: boolean;
}

/** `provmark detect FILE… [--json]`: the offline detector on each file, one verdict per file. */
export function registerDetect(program: Command): void {
  program
    .command('detect')
    .description(
      'Judge whether images without provenance look generated (metadata, known watermarks, bundled model). ' +
        'Answers likely-synthetic, likely-camera or inconclusive; never "authentic".',
    )
    .argument('<files...>', 'image files')
    .option('--json', 'print one JSON object per file: { file, label, score, evidence }')
    .action(async (files: string[], flags: DetectFlags) => {
      await runCommand(async () => {
        // Loaded here so other commands never pay for the detector's imports.
        const { detect } = await import('../detect/index.js');
        let status: number = EXIT.ok;
        for (const file of files) {
          let report: DetectReport;
          try {
            report = await detect(file);
          } catch (err) {
            // A missing file or broken install for one file must not hide the verdicts on the others.
            printError(err);
            status = EXIT.failed;
            continue;
          }
          if (flags.json) {
            printJson({
              file,
              label: report.label,
              score: report.score,
              evidence: report.evidence,
              ...(report.reason ? { reason: report.reason } : {}),
              model: report.model,
            });
          } else {
            process.stdout.write(formatReport(file, report));
          }
        }
        return status;
      });
    });
}

function formatReport(file: string, r: DetectReport): string {
  const score = r.score === null ? 'no model score' : `score ${r.score.toFixed(3)}`;
  const lines = [`${file}: ${r.label} (${score}${r.reason ? `, ${r.reason}` : ''})`];
  if (r.explanation) lines.push(`  ${r.explanation}`);
  for (const e of r.evidence) {
    if (e.kind === 'model') continue;
    lines.push(`  [${e.strength}] ${e.source}: ${e.value.replace(/\s+/g, ' ').slice(0, 100)}`);
  }
  return `${lines.join('\n')}\n`;
}
