import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { FileError } from '../errors.js';
import type { LikenessReport } from '../likeness/check.js';
import { EXIT, printJson, reportFileError, runCommand } from './io.js';
import { addTrustFlags, trustFromFlags } from './verify.js';

interface DbFlags {
  db?: string;
}

async function readPem(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileError(
      code === 'ENOENT' ? 'ERR_FILE_NOT_FOUND' : 'ERR_FILE_IO',
      `Cannot read ${path}: ${(err as Error).message}`,
      {
        details: { path },
      },
    );
  }
}

function formatReport(r: LikenessReport): string {
  const head = `${r.file ?? '-'}: ${r.decision.toUpperCase()}`;
  const lines = [head, `  ${r.summary}`];
  for (const m of r.persons) {
    const boxes = m.appearances
      .map(
        (a) =>
          `${a.time === undefined ? '' : `${a.time}s:`}${a.box.width}x${a.box.height}@${a.box.x},${a.box.y}`,
      )
      .join(' ');
    lines.push(
      `  ${m.person}${m.name ? ` (${m.name})` : ''}: similarity ${m.similarity.toFixed(3)} (threshold ${m.threshold.toFixed(3)}), ${boxes}`,
    );
  }
  const s = r.provenance.signer;
  lines.push(`  provenance: ${r.provenance.verdict}${s?.commonName ? `, signed by ${s.commonName}` : ''}`);
  if (r.declared) {
    lines.push(
      `  declared: ${r.declared.persons.join(', ')}${r.declared.consentRef ? ` (consent: ${r.declared.consentRef})` : ''}` +
        `${r.declared.missing.length ? `; not seen: ${r.declared.missing.join(', ')}` : ''}` +
        `${r.declared.undeclared.length ? `; shown, not declared: ${r.declared.undeclared.join(', ')}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `--depicts ID…` and `--consent-ref REF` of `sign`/`protect`, as their `likeness` option. */
export function likenessFromFlags(opts: {
  depicts?: string[];
  consentRef?: string;
}): { likeness: { persons: string[]; consentRef?: string } } | Record<string, never> {
  if (opts.depicts === undefined) {
    if (opts.consentRef !== undefined) throw new RangeError('--consent-ref needs --depicts');
    return {};
  }
  return {
    likeness: {
      persons: opts.depicts,
      ...(opts.consentRef === undefined ? {} : { consentRef: opts.consentRef }),
    },
  };
}

/**
 * `provmark likeness enroll|list|remove|check`: the registry of people a brand represents and the
 * check of ads against it. Exit codes of `check`: 0 authorized or no registered person in every file,
 * 1 when any file is unauthorized, 2 usage or input errors.
 */
export function registerLikeness(program: Command): void {
  const cmd = program
    .command('likeness')
    .description(
      'Likeness protection: enrol the people a brand represents (face descriptors, never images: biometric data) ' +
        'with the signers authorised to publish them, and check ads for their faces and provenance.',
    );

  cmd
    .command('enroll')
    .description('Add a person (or more photos and authorised signers for one) to the registry')
    .argument('<images...>', 'photos of the person: their face alone or clearly the largest in each')
    .requiredOption('--person <id>', 'registry id: letters, digits, . _ : @ -')
    .option('--name <name>', 'display name')
    .option(
      '--authorized-signer <pem...>',
      'certificate PEM of a signer allowed to publish media showing the person',
    )
    .option(
      '--db <url>',
      'repository: sqlite:PATH, a path or postgres://… (default ~/.provmark/repository.db)',
    )
    .option('--json', 'print the enrolment as JSON')
    .action(
      (
        images: string[],
        opts: DbFlags & { person: string; name?: string; authorizedSigner?: string[]; json?: boolean },
      ) =>
        runCommand(async () => {
          const { enrollLikeness, openLikenessRegistry } = await import('../likeness/index.js');
          const signers = await Promise.all((opts.authorizedSigner ?? []).map(readPem));
          const registry = await openLikenessRegistry(opts.db);
          try {
            const r = await enrollLikeness({
              registry,
              person: opts.person,
              ...(opts.name === undefined ? {} : { name: opts.name }),
              images,
              authorizedSigners: signers,
            });
            const p = r.person;
            if (opts.json) {
              printJson({
                person: p.person,
                name: p.name,
                descriptors: p.descriptors,
                added: r.faces.length,
                faces: r.faces,
                signers: p.signers.map(({ certificatePem: _pem, ...s }) => s),
              });
            } else {
              process.stdout.write(
                `enrolled ${p.person}${p.name ? ` (${p.name})` : ''}: ${r.faces.length} face descriptor(s) added, ${p.descriptors} stored, ${p.signers.length} authorised signer(s)\n`,
              );
            }
            return EXIT.ok;
          } finally {
            await registry.close();
          }
        }),
    );

  cmd
    .command('list')
    .description(
      'List enrolled people: ids, names, descriptor counts and authorised signers (never descriptors)',
    )
    .option('--db <url>', 'repository (default ~/.provmark/repository.db)')
    .option('--json', 'one JSON object per person')
    .action((opts: DbFlags & { json?: boolean }) =>
      runCommand(async () => {
        const { openLikenessRegistry } = await import('../likeness/index.js');
        const registry = await openLikenessRegistry(opts.db);
        try {
          for (const p of await registry.list()) {
            const signers = p.signers.map(({ certificatePem: _pem, ...s }) => s);
            if (opts.json)
              printJson({
                person: p.person,
                name: p.name,
                descriptors: p.descriptors,
                signers,
                createdAt: p.createdAt.toISOString(),
              });
            else {
              const who = signers
                .map((s) => `${s.subject.replace(/\n/g, ', ')} [spki sha256 ${s.spkiSha256.slice(0, 16)}…]`)
                .join('; ');
              process.stdout.write(
                `${p.person}${p.name ? ` (${p.name})` : ''}: ${p.descriptors} descriptor(s); signers: ${who || 'none'}\n`,
              );
            }
          }
          return EXIT.ok;
        } finally {
          await registry.close();
        }
      }),
    );

  cmd
    .command('remove')
    .description('Delete a person with every stored descriptor and signer')
    .requiredOption('--person <id>', 'registry id')
    .option('--db <url>', 'repository (default ~/.provmark/repository.db)')
    .action((opts: DbFlags & { person: string }) =>
      runCommand(async () => {
        const { openLikenessRegistry } = await import('../likeness/index.js');
        const registry = await openLikenessRegistry(opts.db);
        try {
          const removed = await registry.remove(opts.person);
          process.stdout.write(
            removed
              ? `removed ${opts.person} and all their descriptors\n`
              : `${opts.person} was not enrolled\n`,
          );
          return removed ? EXIT.ok : EXIT.absent;
        } finally {
          await registry.close();
        }
      }),
    );

  addTrustFlags(
    cmd
      .command('check')
      .description(
        'Check images and videos for registered people and their provenance: authorized, unauthorized or ' +
          'no-registered-person (video: frames sampled twice a second and at scene changes)',
      )
      .argument('<files...>', 'images or videos to check'),
  )
    .option(
      '--db <url>',
      'repository holding the registry and the manifests to recover (default ~/.provmark/repository.db)',
    )
    .option(
      '--detector',
      'run the offline detector on files without provenance that show a registered person',
    )
    .option('--json', 'one JSON object per file: { file, decision, persons, provenance, detector? }')
    .action(
      (
        files: string[],
        opts: DbFlags & {
          json?: boolean;
          detector?: boolean;
          trust?: string[];
          allowed?: string[];
          eku?: string[];
          official?: boolean;
        },
      ) =>
        runCommand(async () => {
          const { checkLikeness, loadLikenessIndex, openLikenessRegistry } =
            await import('../likeness/index.js');
          const { openRepository } = await import('../repository/open.js');
          const trust = trustFromFlags(opts);
          const repository = await openRepository(opts.db);
          const registry = await openLikenessRegistry(
            repository as Parameters<typeof openLikenessRegistry>[0],
          );
          try {
            const index = await loadLikenessIndex(registry);
            let code: number = EXIT.ok;
            for (const file of files) {
              let r: LikenessReport;
              try {
                r = await checkLikeness(file, {
                  registry,
                  index,
                  repository,
                  ...(trust ? { trust } : {}),
                  detector: opts.detector === true,
                });
              } catch (err) {
                code = Math.max(code, reportFileError(file, err, opts.json));
                continue;
              }
              if (opts.json) {
                printJson({
                  file: r.file,
                  decision: r.decision,
                  summary: r.summary,
                  faces: r.faces,
                  persons: r.persons,
                  provenance: r.provenance,
                  ...(r.declared ? { declared: r.declared } : {}),
                  ...(r.video ? { video: r.video } : {}),
                  ...(r.detector ? { detector: { label: r.detector.label, score: r.detector.score } } : {}),
                });
              } else process.stdout.write(formatReport(r));
              if (r.decision === 'unauthorized') code = Math.max(code, EXIT.failed);
            }
            return code;
          } finally {
            await registry.close();
            await repository.close();
          }
        }),
    );
}
