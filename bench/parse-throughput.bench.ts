// Parse + principal resolution on the shared data set (1M events, 30 days, 2 regions), against
// the raw cost of reading the same files (gunzip + JSON.parse on one thread), as a speed ratio
// taken in each run: on one core in process, on every core (worker threads), and as the
// `revoker parse` process a user runs.
import { execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { readDocument } from '../lib/domain/documents.ts';
import { summarizeFiles } from '../lib/local/record-files.ts';
import { workerCount } from '../lib/local/worker-pool.ts';
import type { Figure } from './figures.ts';
import { againstRawRead, generatedLogs, readRaw } from './generated-logs.ts';

const GOAL = 0.7;

export async function run(): Promise<Figure[]> {
  // The process figure is of the CLI as `npm ci` builds it, not the tsx fallback.
  execFileSync(process.execPath, ['scripts/build-cli.mjs'], { stdio: 'inherit' });
  const { directory, files, compressed } = await generatedLogs();
  const records = readRaw(compressed);
  const workers = workerCount();

  const singleCore = () => {
    let parsed = 0;
    for (const [index, bytes] of compressed.entries())
      for (const entry of readDocument(JSON.parse(gunzipSync(bytes).toString('utf8')), files[index]!))
        if (entry.kind === 'parsed' && entry.principal.ok) parsed += 1;
    if (parsed !== records) throw new Error(`parsed and resolved ${parsed} of ${records} records`);
  };
  const allCores = async () => {
    const summary = await summarizeFiles([directory], { workers });
    if (summary.parsed !== records) throw new Error(`parsed ${summary.parsed} of ${records} records`);
  };
  const asProcess = () => {
    execFileSync(process.execPath, ['bin/revoker.js', 'parse', directory], { stdio: 'ignore' });
  };

  const label = `${records.toLocaleString('en-US')} events in ${files.length} files`;
  const figure = (name: string, work: () => unknown): Promise<Figure> =>
    againstRawRead({ bench: 'parse-throughput', figure: `${name} (${label})`, goal: GOAL }, compressed, work);
  return [
    await figure('parse + principal, 1 core', singleCore),
    await figure(
      `parse + principal, all cores (${workers > 1 ? `${workers} workers` : 'one core here'})`,
      allCores,
    ),
    await figure('`revoker parse` as a process, all cores', asProcess),
  ];
}
