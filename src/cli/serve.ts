import type { Command } from 'commander';
import { openRepository } from '../repository/open.js';
import { defaultRepositoryPath } from '../repository/sqlite.js';
import { DEFAULT_BODY_LIMIT } from '../server/options.js';
import { createWatermarkExtractor } from '../server/extract.js';
import { startServer } from '../server/start.js';
import { EXIT, runCommand } from './io.js';
import { addTrustFlags, trustFromFlags } from './verify.js';

interface ServeOptions {
  db?: string;
  port: string;
  host: string;
  token: string[];
  bodyLimit: string;
  rateLimit: string;
  privateReads?: boolean;
  logLevel: string;
  trustProxy?: boolean;
  watermarkKey?: string;
  page: boolean;
  trust?: string[];
  allowed?: string[];
  eku?: string[];
  official?: boolean;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function integer(value: string, flag: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new RangeError(`Expected integer between ${min} and ${max} for ${flag} but received ${value}`);
  }
  return Number(value);
}

/** Tokens from --token (repeatable) plus PROVMARK_TOKENS (comma or whitespace separated). */
function collectTokens(flags: readonly string[]): string[] {
  const env = (process.env.PROVMARK_TOKENS ?? '').split(/[\s,]+/).filter((t) => t.length > 0);
  return [...new Set([...flags, ...env])];
}

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description(
      'Run the C2PA Soft Binding Resolution API over a manifest repository, and the verify page at /',
    )
    .option(
      '--db <url>',
      `repository: sqlite:PATH, a path, or postgres://… (default ${defaultRepositoryPath()})`,
    )
    .option('--port <n>', 'TCP port (0 picks a free one)', '8080')
    .option('--host <addr>', 'address to listen on (0.0.0.0 for all interfaces)', '127.0.0.1')
    .option(
      '--token <token>',
      'bearer token allowed to register manifests (repeatable; also PROVMARK_TOKENS)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--body-limit <bytes>', 'largest request body; larger ones get 413', String(DEFAULT_BODY_LIMIT))
    .option('--rate-limit <n>', 'requests per minute per client address (0 turns it off)', '600')
    .option('--private-reads', 'require a token for lookups too')
    .option('--log-level <level>', `log level: ${LEVELS.join(', ')}`, 'info')
    .option('--trust-proxy', 'take the client address from X-Forwarded-For (behind a reverse proxy)')
    .option('--watermark-key <key>', 'key of private watermarks for POST /matches/byContent')
    .option('--no-page', 'do not serve the verify page (/) and POST /inspect');
  addTrustFlags(cmd)
    .addHelpText(
      'after',
      '\nLogs are JSON lines (pino) on stdout. Stop with Ctrl-C or SIGTERM; in-flight requests finish first.',
    )
    .action((opts: ServeOptions) =>
      runCommand(async () => {
        const port = integer(opts.port, '--port', 0, 65535);
        const bodyLimit = integer(opts.bodyLimit, '--body-limit', 1024, 2 ** 31 - 1);
        const perMinute = integer(opts.rateLimit, '--rate-limit', 0, 1_000_000_000);
        if (!(LEVELS as readonly string[]).includes(opts.logLevel)) {
          throw new RangeError(
            `Expected one of ${LEVELS.join(', ')} for --log-level but received ${opts.logLevel}`,
          );
        }
        const tokens = collectTokens(opts.token);
        const repository = await openRepository(opts.db);
        let server;
        try {
          server = await startServer({
            repository,
            port,
            host: opts.host,
            tokens,
            bodyLimit,
            rateLimit: perMinute === 0 ? false : { max: perMinute, timeWindowMs: 60_000 },
            publicReads: opts.privateReads !== true,
            logLevel: opts.logLevel as (typeof LEVELS)[number],
            trustProxy: opts.trustProxy === true,
            extractBindings: createWatermarkExtractor(
              opts.watermarkKey === undefined ? {} : { key: opts.watermarkKey },
            ),
            page: opts.page
              ? {
                  ...(trustFromFlags(opts) ? { trust: trustFromFlags(opts) } : {}),
                  ...(opts.watermarkKey === undefined ? {} : { watermarkKey: opts.watermarkKey }),
                }
              : false,
            // POST /likeness/check trusts the same anchors as the page (an authorised signer must chain to one).
            likeness: trustFromFlags(opts) ? { trust: trustFromFlags(opts)! } : true,
          });
        } catch (err) {
          await repository.close();
          throw err;
        }
        process.stderr.write(
          `provmark serve: listening on ${server.url} (${tokens.length} write token${tokens.length === 1 ? '' : 's'}${tokens.length === 0 ? ': read-only' : ''})\n`,
        );
        const running = server;
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            resolve();
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        await running.close();
        await repository.close();
        return EXIT.ok;
      }),
    );
}
