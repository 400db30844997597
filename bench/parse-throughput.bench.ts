// Parse + principal resolution throughput on 1,000,000 generated records, against the raw
// cost of reading the same files (gunzip + JSON.parse), as a ratio measured in the same run.
import { gunzipSync } from 'node:zlib';
import { readDocument } from '../lib/domain/documents.ts';
import { generatedLogs } from './generated-logs.ts';

export async function run(): Promise<void> {
  const { files, compressed } = await generatedLogs();

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
