// Parse + principal resolution throughput on 1,000,000 generated records, against the raw
// cost of reading the same files (gunzip + JSON.parse), as a ratio measured in the same run.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readDocument } from '../lib/domain/documents.ts';
import { generate } from '../lib/local/generator/generate.ts';
import { listFiles } from '../lib/local/record-files.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const directory = join('.local', 'bench', `generated-${EVENTS}`);

export async function run(): Promise<void> {
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
  const compressed = files.map((file) => readFileSync(file));

  const baselineStart = performance.now();
  let baselineRecords = 0;
  for (const bytes of compressed)
    baselineRecords += (JSON.parse(gunzipSync(bytes).toString('utf8')) as { Records: unknown[] }).Records
      .length;
  const baselineSeconds = (performance.now() - baselineStart) / 1000;

  const parseStart = performance.now();
  let parsed = 0;
  let resolved = 0;
  for (const [index, bytes] of compressed.entries()) {
    for (const entry of readDocument(JSON.parse(gunzipSync(bytes).toString('utf8')), files[index]!)) {
      if (entry.kind !== 'parsed') continue;
      parsed += 1;
      if (entry.principal.ok) resolved += 1;
    }
  }
  const parseSeconds = (performance.now() - parseStart) / 1000;

  if (parsed !== baselineRecords) throw new Error(`parsed ${parsed} of ${baselineRecords} records`);
  const rate = (records: number, seconds: number) =>
    `${Math.round(records / seconds).toLocaleString('en-US')} records/s`;
  console.log(
    `parse-throughput: ${baselineRecords.toLocaleString('en-US')} records in ${files.length} files`,
  );
  console.log(
    `  baseline  gunzip + JSON.parse                    ${rate(baselineRecords, baselineSeconds)} (${baselineSeconds.toFixed(2)} s)`,
  );
  console.log(
    `  measured  + schema validation + principal (${resolved === parsed ? 'all' : resolved} resolved) ${rate(parsed, parseSeconds)} (${parseSeconds.toFixed(2)} s)`,
  );
  console.log(`  ratio     ${(parseSeconds / baselineSeconds).toFixed(2)}x the baseline's time`);
}
