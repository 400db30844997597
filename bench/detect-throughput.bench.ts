// Detect throughput: every generated record delivered as an EventBridge envelope through the
// detect use case (parse, resolve the principal, match 27 rules, build triggers, start or join
// a case), against the raw cost of reading the same files (gunzip + JSON.parse).
import { gunzipSync } from 'node:zlib';
import type { CloudTrailRecord } from '../lib/domain/cloudtrail.ts';
import { envelopeFor } from '../lib/domain/envelope.ts';
import { loadConfigFile } from '../lib/local/config-file.ts';
import type { WorkflowStarter } from '../lib/ports.ts';
import { detect } from '../lib/usecases/detect.ts';
import { generatedLogs } from './generated-logs.ts';

/** Starts nothing: remembers execution names, as Step Functions does for 90 days. */
class NameRegistry implements WorkflowStarter {
  readonly names = new Set<string>();
  async start(name: string): Promise<'started' | 'already-open'> {
    if (this.names.has(name)) return 'already-open';
    this.names.add(name);
    return 'started';
  }
}

export async function run(): Promise<void> {
  const { compressed } = await generatedLogs();
  const config = await loadConfigFile('revoker.config.yaml');

  const baselineStart = performance.now();
  let records = 0;
  for (const bytes of compressed)
    records += (JSON.parse(gunzipSync(bytes).toString('utf8')) as { Records: unknown[] }).Records.length;
  const baselineSeconds = (performance.now() - baselineStart) / 1000;

  const workflow = new NameRegistry();
  // Rejected events are counted below; the bench keeps no dead letters.
  const deadLetters = { send: async () => undefined };
  const outcomes = { started: 0, 'already-open': 0, 'no-match': 0, rejected: 0 };
  const detectStart = performance.now();
  for (const bytes of compressed) {
    const { Records } = JSON.parse(gunzipSync(bytes).toString('utf8')) as { Records: CloudTrailRecord[] };
    for (const record of Records) {
      for (const outcome of await detect(envelopeFor(record, 'bench'), { workflow, config, deadLetters }))
        outcomes[outcome.status] += 1;
    }
  }
  const detectSeconds = (performance.now() - detectStart) / 1000;

  const rate = (count: number, seconds: number) =>
    `${Math.round(count / seconds).toLocaleString('en-US')} events/s`;
  console.log(`detect-throughput: ${records.toLocaleString('en-US')} events as EventBridge envelopes`);
  console.log(
    `  baseline  gunzip + JSON.parse          ${rate(records, baselineSeconds)} (${baselineSeconds.toFixed(2)} s)`,
  );
  console.log(
    `  measured  + detect (27 rules)          ${rate(records, detectSeconds)} (${detectSeconds.toFixed(2)} s)`,
  );
  console.log(`  ratio     ${(detectSeconds / baselineSeconds).toFixed(2)}x the baseline's time`);
  console.log(
    `  outcomes  ${outcomes.started} started, ${outcomes['already-open']} joined, ${outcomes['no-match']} no match, ${outcomes.rejected} rejected`,
  );
}
