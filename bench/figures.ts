// What every bench returns: figures for the one table `npm run bench` prints (goal, measured as a
// median and range over several runs, and whether the goal is met), and the helpers that take
// those samples honestly (several runs, measured and baseline alternating order).

/** One row of the table. `met` is undefined for a figure that has no goal (reported only). */
export interface Figure {
  bench: string;
  figure: string;
  goal: string;
  measured: string;
  met: boolean | undefined;
  /** The baseline measured in the same run, when the figure is a ratio against one. */
  baseline?: string;
  /** The data the figure was measured on, such as "1,000,000 events, 30 days, 2 regions". */
  data?: string;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export const RUNS = Math.max(3, Number(process.env.BENCH_RUNS ?? 3));

export function spread(samples: number[]): Spread {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, samples };
}

/** `median (min–max) unit`, with the given number of decimals. */
export function formatSpread(value: Spread, unit: string, decimals = 2): string {
  const f = (n: number) => n.toFixed(decimals);
  return `${f(value.median)} ${unit} (${f(value.min)}–${f(value.max)})`;
}

/** Seconds one call of `work` takes. */
export async function seconds(work: () => unknown | Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

/**
 * Times `measured` and `baseline` RUNS times each, alternating which goes first, so neither
 * always runs on a warm (or a cold) machine. Returns the seconds of each, and the per-run ratio
 * measured ÷ baseline (a ratio taken within one run pair, then summarised).
 */
export async function alternate(
  measured: () => unknown | Promise<unknown>,
  baseline: () => unknown | Promise<unknown>,
  runs = RUNS,
): Promise<{ measured: Spread; baseline: Spread; ratio: Spread }> {
  const m: number[] = [];
  const b: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    if (run % 2 === 0) {
      m.push(await seconds(measured));
      b.push(await seconds(baseline));
    } else {
      b.push(await seconds(baseline));
      m.push(await seconds(measured));
    }
  }
  return { measured: spread(m), baseline: spread(b), ratio: spread(m.map((v, i) => v / b[i]!)) };
}
