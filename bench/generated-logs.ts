// The benchmarks' shared data set: BENCH_EVENTS (default 1,000,000) generated events over 7
// days and 3 accounts, written once into .local/bench/ and reused by later runs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '../lib/local/generator/generate.ts';
import { listFiles } from '../lib/local/record-files.ts';

export const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);

/** The gzipped log files and their bytes, generating them first if this size was never made. */
export async function generatedLogs(): Promise<{ files: string[]; compressed: Buffer[] }> {
  const directory = join('.local', 'bench', `generated-${EVENTS}`);
  if (!existsSync(join(directory, 'revoker-scenarios.json'))) {
    console.log(
      `generating ${EVENTS.toLocaleString('en-US')} events into ${directory} (once; reused by later runs)...`,
    );
    generate({
      out: directory,
      days: 7,
      events: EVENTS,
      accounts: 3,
      seed: 'bench',
      scenarios: ['compromised-role-session'],
      end: new Date('2026-01-15T12:00:00Z'),
    });
  }
  const files = (await listFiles([directory])).filter((file) => file.endsWith('.json.gz'));
  return { files, compressed: files.map((file) => readFileSync(file)) };
}
