// Detect throughput: every generated record delivered as an EventBridge envelope through the
// detect use case (parse, resolve the principal, match every rule, build triggers, start or join
// a case in a file-backed case store), against the raw cost of reading the same files (gunzip + JSON.parse).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadConfigFile } from '../lib/config-file.ts';
import type { CloudTrailRecord } from '../lib/domain/cloudtrail.ts';
import { envelopeFor } from '../lib/domain/envelope.ts';
import { RULES } from '../lib/domain/rules.ts';
import { FileCaseStore } from '../lib/local/case-store.ts';
import type { WorkflowStarter } from '../lib/ports.ts';
import { detect } from '../lib/usecases/detect.ts';
import { generatedLogs } from './generated-logs.ts';

/** Starts nothing: remembers execution names, as Step Functions does for 90 days. */
class NameRegistry implements WorkflowStarter {
  readonly names = new Set<string>();
  async start(name: string): Promise<'started' | 'already-started'> {
    if (this.names.has(name)) return 'already-started';
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
  const cases = new FileCaseStore(mkdtempSync(join(tmpdir(), 'revoker-bench-cases-')));
  const clock = { now: () => new Date() };
  const outcomes = { opened: 0, joined: 0, raised: 0, duplicate: 0, 'no-match': 0, rejected: 0 };
  const detectStart = performance.now();
  for (const bytes of compressed) {
    const { Records } = JSON.parse(gunzipSync(bytes).toString('utf8')) as { Records: CloudTrailRecord[] };
    for (const record of Records) {
      for (const outcome of await detect(envelopeFor(record, 'bench'), {
        cases,
        workflow,
        clock,
        config,
        deadLetters,
      }))
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
    `  measured  + detect (${RULES.length} rules)          ${rate(records, detectSeconds)} (${detectSeconds.toFixed(2)} s)`,
  );
  console.log(`  ratio     ${(detectSeconds / baselineSeconds).toFixed(2)}x the baseline's time`);
  console.log(
    `  outcomes  ${outcomes.opened} opened, ${outcomes.joined} joined, ${outcomes.raised} raised, ${outcomes.duplicate} duplicates, ${outcomes['no-match']} no match, ${outcomes.rejected} rejected`,
  );
}
