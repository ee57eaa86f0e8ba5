/**
 * Publisher: before running a picture, find out what is known about it.
 *   npx tsx examples/publisher-verification.ts FILE [RESOLVER_URL]
 * Trusts the official C2PA trust list (run `provmark trust fetch` once).
 * In an application, import from 'provmark' instead of '../src/index.js'.
 */
import { inspect } from '../src/index.js';
import { createHttpRepository } from '../src/repository/index.js';

const [file, resolverUrl] = process.argv.slice(2);
if (!file) {
  console.error('usage: publisher-verification.ts FILE [RESOLVER_URL]');
  process.exit(2);
}
const report = await inspect(file, {
  trust: { official: true },
  ...(resolverUrl ? { resolver: createHttpRepository({ url: resolverUrl }) } : {}),
});
console.log(`${report.verdict}: ${report.summary}`);
// Publish only what has verified or recovered credentials from a trusted signer.
const trusted =
  report.verdict === 'verified' || (report.verdict === 'recovered' && report.recovered?.state === 'trusted');
process.exit(trusted ? 0 : 1);
