/**
 * Trust configuration: which certificate authorities make a valid signature "trusted".
 * Anchors come from PEM text, files, URLs, or the official C2PA trust list cached by
 * `provmark trust fetch`. Only that command and explicit URLs touch the network.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { NetworkError, TrustConfigError } from '../errors.js';
import type { EngineTrust } from '../c2pa/context.js';
import { writeFileAtomic } from '../media/io.js';
import { OFFICIAL_SIGNER_EKUS } from './ekus.js';

/** PEM text, a path to a PEM file, or an http(s) URL serving PEM. */
export type TrustSource = string;

export interface TrustOptions {
  /** Trust anchors (root or intermediate CAs). */
  readonly anchors?: readonly TrustSource[];
  /** End-entity certificates trusted as they are. */
  readonly allowedList?: readonly TrustSource[];
  /**
   * Time-stamp authority roots: RFC 3161 tokens that chain to one of these count as trusted, so a
   * signature made while its certificate was valid stays valid after the certificate expires.
   */
  readonly tsaAnchors?: readonly TrustSource[];
  /**
   * Allowed signer EKU OIDs. Default: the official C2PA list ({@link OFFICIAL_SIGNER_EKUS}:
   * emailProtection, documentSigning, timeStamping, OCSPSigning, Microsoft C2PA, C2PA claim signing).
   */
  readonly ekus?: readonly string[];
  /**
   * Add the official C2PA trust list (claim signers) and the official TSA trust list (time-stamp
   * authorities) from the cache (run `provmark trust fetch` first).
   */
  readonly official?: boolean;
  /** Cache directory for the official lists. Default `~/.provmark/trust`. */
  readonly cacheDir?: string;
}

/** Where the official lists are published (C2PA conformance program). Overridable in {@link fetchTrustLists}. */
export const OFFICIAL_TRUST_LIST_URLS = {
  trustList:
    'https://raw.githubusercontent.com/c2pa-org/conformance-public/main/trust-list/C2PA-TRUST-LIST.pem',
  tsaTrustList:
    'https://raw.githubusercontent.com/c2pa-org/conformance-public/main/trust-list/C2PA-TSA-TRUST-LIST.pem',
} as const;

const FILES = { trustList: 'C2PA-TRUST-LIST.pem', tsaTrustList: 'C2PA-TSA-TRUST-LIST.pem' } as const;
const OID = /^[0-2](\.\d+)+$/;

export function defaultTrustCacheDir(): string {
  return join(process.env.PROVMARK_HOME ?? join(homedir(), '.provmark'), 'trust');
}

async function loadSource(source: TrustSource, what: string): Promise<string> {
  if (typeof source !== 'string' || source.length === 0)
    throw new TypeError(`Expected PEM text, a path or a URL for ${what}`);
  if (source.includes('-----BEGIN CERTIFICATE-----')) return source;
  if (/^https?:\/\//.test(source)) return fetchText(source);
  try {
    return await readFile(source, 'utf8');
  } catch (err) {
    throw new TrustConfigError(`Cannot read ${what} ${source}: ${(err as Error).message}`, {
      hint: 'Give a PEM file path, PEM text or an https URL.',
      cause: err,
    });
  }
}

async function fetchText(url: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new NetworkError(`Cannot download ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) throw new NetworkError(`Download of ${url} failed with HTTP ${res.status}`);
  return res.text();
}

async function loadAll(sources: readonly TrustSource[] | undefined, what: string): Promise<string> {
  const pems = await Promise.all((sources ?? []).map((s) => loadSource(s, what)));
  for (const [i, pem] of pems.entries()) {
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new TrustConfigError(`The ${what} #${i + 1} holds no PEM certificate`, {
        hint: 'Trust material must be PEM ("-----BEGIN CERTIFICATE-----").',
      });
    }
  }
  return pems.join('\n');
}

/**
 * Resolve {@link TrustOptions} to the PEM bundles the engine takes. Without options, or without
 * `ekus`, the official C2PA EKU list applies: the same rule with or without anchors.
 */
export async function resolveTrust(options: TrustOptions | undefined): Promise<EngineTrust> {
  const ekuConfig = ekuConfigOf(options?.ekus);
  if (!options) return { ekuConfig };
  const anchors = await loadAll(options.anchors, 'trust anchor');
  let tsaAnchors = await loadAll(options.tsaAnchors, 'time-stamp authority anchor');
  let officialAnchors = '';
  if (options.official) {
    const dir = options.cacheDir ?? defaultTrustCacheDir();
    try {
      const [list, tsaList] = await Promise.all(
        [FILES.trustList, FILES.tsaTrustList].map((f) => readFile(join(dir, f), 'utf8')),
      );
      officialAnchors = list!;
      tsaAnchors = [tsaAnchors, tsaList].filter(Boolean).join('\n');
    } catch (err) {
      throw new TrustConfigError(`The official C2PA trust list is not in ${dir}`, {
        hint: 'Run `provmark trust fetch` once (it needs network access).',
        cause: err,
      });
    }
  }
  const allAnchors = [anchors, officialAnchors].filter(Boolean).join('\n');
  const allowedList = await loadAll(options.allowedList, 'allowed-list entry');
  return {
    ...(allAnchors ? { anchors: allAnchors } : {}),
    ...(tsaAnchors ? { tsaAnchors } : {}),
    ...(allowedList ? { allowedList } : {}),
    ekuConfig,
  };
}

/** The EKU list in the engine's `store.cfg` format (one OID a line). */
function ekuConfigOf(ekus: readonly string[] | undefined): string {
  if (ekus === undefined) return OFFICIAL_SIGNER_EKUS.join('\n');
  if (!Array.isArray(ekus)) throw new TypeError('Expected an array of OID strings for ekus');
  if (ekus.length === 0) throw new RangeError('Expected at least one OID in ekus but received none');
  const bad = ekus.find((e) => typeof e !== 'string' || !OID.test(e));
  if (bad !== undefined)
    throw new RangeError(`Expected dotted OIDs in ekus but received ${JSON.stringify(bad)}`);
  return ekus.join('\n');
}

export interface FetchTrustListsOptions {
  readonly cacheDir?: string;
  readonly urls?: Partial<Record<keyof typeof FILES, string>>;
}

/**
 * Download the official C2PA trust list and TSA trust list into the cache directory.
 * The only provmark function that goes to the network on its own.
 *
 * @example
 * ```ts
 * await fetchTrustLists(); // then verify(file, { trust: { official: true } })
 * ```
 */
export async function fetchTrustLists(
  options: FetchTrustListsOptions = {},
): Promise<{ dir: string; files: string[]; certificates: number }> {
  const dir = options.cacheDir ?? defaultTrustCacheDir();
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  let certificates = 0;
  for (const key of Object.keys(FILES) as (keyof typeof FILES)[]) {
    const url = options.urls?.[key] ?? OFFICIAL_TRUST_LIST_URLS[key];
    const text = await fetchText(url);
    const count = text.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
    if (count === 0) throw new TrustConfigError(`${url} did not return PEM certificates`);
    const path = join(dir, FILES[key]);
    await writeFileAtomic(path, new TextEncoder().encode(text));
    files.push(path);
    certificates += count;
  }
  return { dir, files, certificates };
}
