import type { Command } from 'commander';
import type { DetectReport } from '../detect/types.js';
import { addBatchFlags, runBatchCommand, type BatchFlags, type BatchPresenter } from './batch.js';
import { detectExitCode } from './exit-codes.js';
import { runCommand } from './io.js';

const presenter: BatchPresenter<DetectReport> = {
  label: 'detecting',
  exitCode: detectExitCode,
  verdict: (r) => r.label,
  json: (file, index, r) => ({
    file,
    index,
    label: r.label,
    score: r.score,
    evidence: r.evidence,
    ...(r.reason ? { reason: r.reason } : {}),
    model: r.model,
  }),
  human: (file, r) => ({ text: formatReport(file, r) }),
};

/**
 * `provmark detect FILE|DIR|-… [--json]`: the offline detector on each file, one verdict per file. Exit 0 when
 * every file got a verdict, 2 when any file could not be read (missing, a folder walked empty is not an error).
 */
export function registerDetect(program: Command): void {
  addBatchFlags(
    program
      .command('detect')
      .description(
        'Judge whether images without provenance look generated (metadata, known watermarks, bundled model). ' +
          'Answers likely-synthetic, likely-camera or inconclusive; never "authentic". Directories are walked; ' +
          '"-" reads paths from stdin.',
      )
      .argument('<files...>', 'image files, directories, or - for a list of paths on stdin'),
  )
    .option('--json', 'print one JSON object per file: { file, index, label, score, evidence }')
    .action((files: string[], flags: BatchFlags) =>
      runCommand(() => runBatchCommand('detect', files, flags, {}, presenter)),
    );
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
