import type { Command } from 'commander';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { generateDevCredentials, type DevKeyAlgorithm } from '../sign/credentials.js';
import { writeFileAtomic } from '../media/io.js';
import { FileError } from '../errors.js';
import { EXIT, runCommand } from './io.js';

const FILES = {
  caCertPem: 'ca.cert.pem',
  caKeyPem: 'ca.key.pem',
  signerCertPem: 'signer.cert.pem',
  signerKeyPem: 'signer.key.pem',
  chainPem: 'chain.pem',
} as const;

const NOTICE = `These credentials were made by \`provmark keygen\` for DEVELOPMENT AND TESTING ONLY.
They are NOT FOR PRODUCTION: no validator trusts this CA unless you add ca.cert.pem as a trust anchor.
Production signers need a certificate from a CA on the C2PA trust list.

  signer.key.pem   private key of the signer (keep secret)
  chain.pem        signer certificate + CA certificate: give to --cert
  ca.cert.pem      trust anchor for verification: give to --trust
  ca.key.pem       private key of the development CA (keep secret)
`;

/** An OS failure on `path` as ERR_FILE_IO with the path and the OS reason (EEXIST, ENOTDIR, EACCES…). */
function osFileError(path: string, what: string, err: unknown): FileError {
  const e = err as NodeJS.ErrnoException;
  const reason = e.code === 'EEXIST' ? `${path} exists and is not a folder (EEXIST)` : e.message;
  return new FileError('ERR_FILE_IO', `${what} ${path}: ${reason}`, {
    hint: 'Give --out a folder you can write to (it is created when missing).',
    details: { path, ...(e.code ? { reason: e.code } : {}) },
    cause: err,
  });
}

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('Create a development CA and C2PA signer certificate (NOT FOR PRODUCTION)')
    .requiredOption('--out <dir>', 'directory to write the PEM files into')
    .option('--alg <alg>', 'key algorithm: ed25519 or es256', 'ed25519')
    .option('--cn <name>', 'signer common name', 'provmark development signer')
    .option('--force', 'overwrite existing files')
    .action((opts: { out: string; alg: string; cn: string; force?: boolean }) =>
      runCommand(async () => {
        if (opts.alg !== 'ed25519' && opts.alg !== 'es256')
          throw new RangeError(`Expected ed25519 or es256 for --alg but received ${opts.alg}`);
        await mkdir(opts.out, { recursive: true }).catch((err: unknown) => {
          throw osFileError(opts.out, 'Cannot create the folder', err);
        });
        if (!opts.force) {
          for (const f of Object.values(FILES)) {
            const exists = await stat(join(opts.out, f)).then(
              () => true,
              () => false,
            );
            if (exists)
              throw new FileError('ERR_FILE_IO', `${join(opts.out, f)} already exists`, {
                hint: 'Use --force to overwrite it, or another --out directory.',
              });
          }
        }
        const creds = await generateDevCredentials({ alg: opts.alg as DevKeyAlgorithm, commonName: opts.cn });
        for (const [key, file] of Object.entries(FILES) as [keyof typeof FILES, string][]) {
          const path = join(opts.out, file);
          await writeFileAtomic(path, new TextEncoder().encode(creds[key]));
          if (file.includes('key'))
            await chmod(path, 0o600).catch((err: unknown) => {
              throw osFileError(path, 'Cannot make the key private', err);
            });
        }
        await writeFileAtomic(join(opts.out, 'README.txt'), new TextEncoder().encode(NOTICE));
        process.stdout.write(
          `Wrote development credentials (${opts.alg}, NOT FOR PRODUCTION) to ${opts.out}:\n` +
            `  sign with:   --key ${join(opts.out, FILES.signerKeyPem)} --cert ${join(opts.out, FILES.chainPem)}\n` +
            `  verify with: --trust ${join(opts.out, FILES.caCertPem)}\n`,
        );
        return EXIT.ok;
      }),
    );
}
