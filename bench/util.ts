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

/**
 * The targets a benchmark states and the cases that failed to run. Each benchmark checks its
 * targets through {@link Scorecard.target} and ends with {@link Scorecard.finish}, which sets a
 * non-zero exit code when a target was missed or a case threw: a printed MISSED is not a pass.
 */
export class Scorecard {
  private readonly missed: string[] = [];
  private readonly failures: string[] = [];
  private checked = 0;

  /** Record target `what`; returns the word for the table ('met' or 'MISSED'). */
  target(what: string, ok: boolean): 'met' | 'MISSED' {
    this.checked++;
    if (!ok) this.missed.push(what);
    return ok ? 'met' : 'MISSED';
  }

  /** A case that threw instead of producing a result (counted as a failure where it belongs). */
  failed(what: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.failures.push(`${what}: ${message}`);
    console.error(`FAILED ${what}: ${message}`);
  }

  /** Print what was missed or failed, and set the exit code: 1 for any miss or failure. */
  finish(name: string): void {
    for (const m of this.missed) console.error(`${name}: target MISSED: ${m}`);
    for (const f of this.failures) console.error(`${name}: failed to run: ${f}`);
    const bad = this.missed.length + this.failures.length;
    console.error(
      bad === 0
        ? this.checked === 0
          ? `${name}: no target was checked in this run`
          : `${name}: all ${this.checked} stated targets met`
        : `${name}: ${this.missed.length} target(s) missed, ${this.failures.length} case(s) failed to run`,
    );
    if (bad > 0) process.exitCode = 1;
  }
}

/** The process's scorecard (one benchmark per process; sections in other modules share it). */
export const scorecard = new Scorecard();
