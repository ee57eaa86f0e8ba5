/**
 * A one-line progress bar on stderr for long video/audio work: done/total, rate, ETA.
 * Drawn only on a TTY and never with --json, so pipes and machine output stay clean.
 */
export interface ProgressBar {
  update(progress: {
    readonly unit: 'frames' | 'seconds';
    readonly done: number;
    readonly total?: number;
  }): void;
  done(): void;
}

const NOOP: ProgressBar = { update: () => undefined, done: () => undefined };

export function createProgressBar(
  label: string,
  enabled: boolean,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressBar {
  if (!enabled || !stream.isTTY) return NOOP;
  const start = performance.now();
  let last = 0;
  let drawn = false;
  return {
    update({ unit, done, total }) {
      const now = performance.now();
      if (now - last < 100 && (total === undefined || done < total)) return; // at most 10 redraws a second
      last = now;
      const elapsed = (now - start) / 1000;
      const rate = elapsed > 0 ? done / elapsed : 0;
      const width = 24;
      const frac = total ? Math.min(1, done / total) : 0;
      const bar = total ? `[${'#'.repeat(Math.round(frac * width)).padEnd(width, '.')}] ` : '';
      const amount =
        unit === 'frames'
          ? `${done}${total ? `/${total}` : ''} frames`
          : `${done.toFixed(1)}${total ? `/${total.toFixed(1)}` : ''} s`;
      const speed = unit === 'frames' ? `${rate.toFixed(1)} fps` : `${rate.toFixed(1)}× real time`;
      const eta = total && rate > 0 ? ` ETA ${Math.max(0, (total - done) / rate).toFixed(0)}s` : '';
      stream.write(`\r${label} ${bar}${amount} ${speed}${eta}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}

/** Progress of a batch over many files: done (of total once the paths are all listed), files/s, ETA. */
export interface BatchProgress {
  /** False when nothing is drawn (not a terminal, or turned off). */
  readonly enabled: boolean;
  /** One more file done; `total` once the walk has finished. */
  tick(done: number, total: number | undefined): void;
  /** Erase the bar before a line goes to the same terminal (it is redrawn on the next tick). */
  clear(): void;
  done(): void;
}

export function createBatchProgress(
  label: string,
  enabled: boolean,
  stream: NodeJS.WriteStream = process.stderr,
): BatchProgress {
  if (!enabled || !stream.isTTY)
    return { enabled: false, tick: () => undefined, clear: () => undefined, done: () => undefined };
  const start = performance.now();
  let last = 0;
  let drawn = false;
  return {
    enabled: true,
    tick(done, total) {
      const now = performance.now();
      if (now - last < 100) return; // at most 10 redraws a second
      last = now;
      const elapsed = (now - start) / 1000;
      const rate = elapsed > 0 ? done / elapsed : 0;
      const width = 24;
      const bar = total
        ? `[${'#'.repeat(Math.round(Math.min(1, done / total) * width)).padEnd(width, '.')}] `
        : '';
      const eta = total && rate > 0 ? ` ETA ${Math.max(0, (total - done) / rate).toFixed(0)}s` : '';
      stream.write(
        `\r${label} ${bar}${done}${total ? `/${total}` : ''} files ${rate.toFixed(1)} files/s${eta}\x1b[K`,
      );
      drawn = true;
    },
    clear() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
