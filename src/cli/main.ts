#!/usr/bin/env node
import { CommanderError } from 'commander';
import { EXIT, printError } from './io.js';
import { buildProgram } from './program.js';

async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; everything else commander rejects is a usage error.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    printError(err);
    process.exitCode = EXIT.usage;
  }
}

void main(process.argv);
