/**
 * Brand workflow: enrol the people the brand represents with the agency certificate allowed to publish
 * them, then check a folder of ads (images and videos) for their faces and provenance, and print what
 * to do with each.
 *
 *   npx tsx examples/brand-check.ts --db sqlite:./brand.db \
 *     --enroll ambassador-1 --photos a1.jpg,a2.jpg,a3.jpg --signer agency-cert.pem \
 *     --trust agency-ca.pem ads/
 *
 * --enroll/--photos/--signer may be left out once the person is in the registry. Face descriptors are
 * biometric data: they stay in the database given with --db (remove with `provmark likeness remove`).
 * In an application, import from 'provmark/likeness' instead of '../src/likeness/index.js'.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkLikenessMany, enrollLikeness, openLikenessRegistry } from '../src/likeness/index.js';
import { openRepository } from '../src/repository/open.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    db: { type: 'string' },
    enroll: { type: 'string' },
    name: { type: 'string' },
    photos: { type: 'string' },
    signer: { type: 'string', multiple: true },
    trust: { type: 'string', multiple: true },
  },
});

const MEDIA = new Set([
  '.jpg',
  '.jpeg',
  '.png',
  '.webp',
  '.avif',
  '.tif',
  '.tiff',
  '.mp4',
  '.mov',
  '.webm',
  '.mkv',
]);

/** Files given, and the media files directly inside folders given. */
async function adsFrom(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if ((await stat(p)).isDirectory()) {
      for (const f of (await readdir(p)).sort())
        if (MEDIA.has(extname(f).toLowerCase())) out.push(join(p, f));
    } else out.push(p);
  }
  return out;
}

const repository = await openRepository(values.db);
const registry = await openLikenessRegistry(repository as Parameters<typeof openLikenessRegistry>[0]);
try {
  // 1. Enrol (or add photos and signers to) a person.
  if (values.enroll !== undefined) {
    const r = await enrollLikeness({
      registry,
      person: values.enroll,
      ...(values.name === undefined ? {} : { name: values.name }),
      images: (values.photos ?? '').split(',').filter(Boolean),
      authorizedSigners: await Promise.all((values.signer ?? []).map((f) => readFile(f, 'utf8'))),
    });
    console.log(
      `enrolled ${r.person.person}: ${r.person.descriptors} descriptor(s), ${r.person.signers.length} signer(s)`,
    );
  }
  console.log(
    `registry: ${(await registry.list()).map((p) => p.name ?? p.person).join(', ') || '(empty)'}\n`,
  );

  // 2. Check every ad; the index is loaded once for the whole folder.
  const trust = values.trust
    ? { anchors: await Promise.all(values.trust.map((f) => readFile(f, 'utf8'))) }
    : undefined;
  const counts = { authorized: 0, unauthorized: 0, 'no-registered-person': 0, error: 0 };
  for await (const r of checkLikenessMany(await adsFrom(positionals), {
    registry,
    repository, // recovers credentials stripped from a protected ad through its watermark
    ...(trust ? { trust } : {}),
  })) {
    if ('error' in r) {
      counts.error++;
      console.log(`${r.file}: could not be checked (${r.error.code}: ${r.error.message})`);
      continue;
    }
    counts[r.decision]++;
    // 3. The decision: publish, take down, or nothing to do.
    const action =
      r.decision === 'unauthorized'
        ? 'TAKE DOWN / ESCALATE: shows our people without our credentials'
        : r.decision === 'authorized'
          ? 'ok: published by an authorised signer'
          : 'no action: none of our people appear';
    console.log(`${r.file}: ${r.decision.toUpperCase()}  -> ${action}`);
    console.log(`  ${r.summary}`);
    if (r.declared && (r.declared.missing.length > 0 || r.declared.undeclared.length > 0)) {
      console.log('  check the declaration: it does not match who is shown');
    }
  }
  console.log(
    `\n${counts.authorized} authorised, ${counts.unauthorized} unauthorised, ${counts['no-registered-person']} without our people, ${counts.error} unreadable`,
  );
  process.exitCode = counts.unauthorized > 0 ? 1 : 0;
} finally {
  await registry.close();
  await repository.close();
}
