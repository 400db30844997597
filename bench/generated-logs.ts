// The benchmarks' shared data set, as the throughput goals name it: BENCH_EVENTS (default
// 1,000,000) events over 30 days in one account's 2 regions, written as `revoker generate`
// writes them (its defaults otherwise), once, into .local/bench/, and reused by later runs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { generateInParallel, SCENARIO_MANIFEST } from '../lib/local/generator/generate.ts';
import { listFiles } from '../lib/local/record-files.ts';
import { alternate, type Figure, formatSpread, spread } from './figures.ts';

export const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
export const DAYS = 30;

/** `revoker generate --days 30 --events N --out <directory>` with its defaults. */
export const GENERATED_LOGS = join('.local', 'bench', `generated-${DAYS}d-${EVENTS}`);

/** The gzipped log files and their bytes, generating them first if this size was never made. */
export async function generatedLogs(): Promise<{ directory: string; files: string[]; compressed: Buffer[] }> {
  const directory = GENERATED_LOGS;
  if (!existsSync(join(directory, SCENARIO_MANIFEST))) {
    console.log(
      `generating ${EVENTS.toLocaleString('en-US')} events over ${DAYS} days into ${directory} (once; reused by later runs)...`,
    );
    await generateInParallel({
      out: directory,
      days: DAYS,
      events: EVENTS,
      accounts: 1,
      seed: 'revoker',
      scenarios: ['compromised-role-session'],
      end: new Date('2026-01-15T12:00:00Z'),
    });
  }
  const files = (await listFiles([directory])).filter((file) => file.endsWith('.json.gz'));
  return { directory, files, compressed: files.map((file) => readFileSync(file)) };
}

/** The raw cost every throughput figure is measured against: gunzip and JSON.parse, one thread. */
export function readRaw(compressed: readonly Buffer[]): number {
  let records = 0;
  for (const bytes of compressed)
    records += (JSON.parse(gunzipSync(bytes).toString('utf8')) as { Records: unknown[] }).Records.length;
  return records;
}

/**
 * A throughput figure: `work` against the raw read of the same files, alternating, as a speed
 * (raw time over ours: alternate's ratio is ours over raw).
 */
export async function againstRawRead(
  figure: { bench: string; figure: string; goal: number },
  compressed: readonly Buffer[],
  work: () => unknown,
): Promise<Figure> {
  const { baseline, ratio } = await alternate(work, () => readRaw(compressed));
  const speed = spread(ratio.samples.map((value) => 1 / value));
  return {
    bench: figure.bench,
    figure: `${figure.figure} vs gunzip + JSON.parse`,
    goal: `≥ ${figure.goal.toFixed(2)}×`,
    measured: formatSpread(speed, '×'),
    met: speed.median >= figure.goal,
    baseline: formatSpread(baseline, 's'),
  };
}
