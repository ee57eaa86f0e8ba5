/** Helpers shared by the benchmark scripts: command-line values, a seeded generator, tables. */

const argv = process.argv.slice(2);

/** The value after `--name` on the command line, if given. */
export function argValue(name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** A numeric `--name N`, or `dflt`. */
export function numberArg(name: string, dflt: number): number {
  const v = argValue(name);
  return v === undefined ? dflt : Number(v);
}

/** True when the bare flag is on the command line. */
export function hasFlag(name: string): boolean {
  return argv.includes(name);
}

/** Xorshift32 in [0, 1): seeded, so a benchmark's inputs (payloads, offsets) repeat run to run. */
export function xorshift32(seed: number): () => number {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** A random 64-bit soft-binding id as 16 hex digits. */
export function randomPayload(rand: () => number): string {
  return Array.from({ length: 16 }, () => Math.floor(rand() * 16).toString(16)).join('');
}

/**
 * Print a plain-text table: a header, a rule, the rows. With `rightAlign`, every column but the
 * first is right-aligned (numbers).
 */
export function printTable(
  head: string[],
  rows: Array<Array<string | number>>,
  options: { rightAlign?: boolean } = {},
): void {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r.map((c, i) => (options.rightAlign && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}
