/**
 * Brand protection: check ad creatives for provenance, and send files without any to the detector.
 *   npx tsx examples/brand-check.ts ad1.jpg ad2.png …
 * The detector never says "authentic": likely-camera only means "looks like the photos it was
 * validated on". Route likely-synthetic and inconclusive files to a person.
 * In an application, import from 'provmark' instead of '../src/index.js'.
 */
import { inspect } from '../src/index.js';

for (const file of process.argv.slice(2)) {
  const r = await inspect(file, { trust: { official: true } });
  const detector = r.detection
    ? ` detector=${r.detection.label}${r.detection.score === null ? '' : ` (${r.detection.score.toFixed(2)})`}`
    : '';
  const review = r.verdict === 'no-provenance' && r.detection?.label !== 'likely-camera';
  console.log(`${file}: ${r.verdict}${detector}${review ? '  -> needs human review' : ''}`);
}
