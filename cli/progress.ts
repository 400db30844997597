// Progress for long work, on stderr and on a terminal only: pipes, files and tests stay clean.

export interface Progress {
  /** Count one more (or `by` more) of what is being done. */
  tick(by?: number): void;
  /** Clear the line; nothing more is written. */
  done(): void;
}

/** What a progress line writes to: stderr, or a stand-in in tests. */
export type ProgressStream = Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean };

const REDRAW_MILLIS = 250;

/**
 * `reading logs: 12,345 records (3s)` redrawn in place, from the start (work that blocks the
 * event loop still shows what it is doing). Without `unit`, only the time goes up.
 */
export function progress(label: string, unit?: string, stream: ProgressStream = process.stderr): Progress {
  if (!stream.isTTY) return { tick: () => undefined, done: () => undefined };
  const started = performance.now();
  let count = 0;
  const draw = () => {
    const seconds = Math.floor((performance.now() - started) / 1000);
    const counted = unit ? `: ${count.toLocaleString('en-US')} ${unit}` : '…';
    stream.write(`\r\u001b[K${label}${counted} (${seconds}s)`);
  };
  draw();
  const timer = setInterval(draw, REDRAW_MILLIS);
  timer.unref();
  return {
    tick: (by = 1) => {
      count += by;
    },
    done: () => {
      clearInterval(timer);
      stream.write('\r\u001b[K');
    },
  };
}

/** The entries, counted on `shown` as they pass. */
export async function* counted<T>(entries: AsyncIterable<T>, shown: Progress): AsyncGenerator<T> {
  for await (const entry of entries) {
    shown.tick();
    yield entry;
  }
}
