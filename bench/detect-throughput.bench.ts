// Detect throughput on the shared data set (1M events, 30 days, 2 regions): every record
// delivered as an EventBridge envelope through the detect use case (parse, resolve the
// principal, match the rules, build triggers, start or join a case in a file-backed case store)
// on one core; and `revoker replay` (the same matching over the files) on every core. Each
// against the raw cost of reading the same files (gunzip + JSON.parse on one thread), as a speed
// ratio taken in each run.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadConfigFile } from '../lib/config-file.ts';
import type { CloudTrailRecord } from '../lib/domain/cloudtrail.ts';
import { envelopeFor } from '../lib/domain/envelope.ts';
import { RULES } from '../lib/domain/rules.ts';
import { FileCaseStore } from '../lib/local/case-store.ts';
import { replayFiles } from '../lib/local/record-files.ts';
import { workerCount } from '../lib/local/worker-pool.ts';
import type { WorkflowStarter } from '../lib/ports.ts';
import { detect } from '../lib/usecases/detect.ts';
import type { Figure } from './figures.ts';
import { againstRawRead, generatedLogs, readRaw } from './generated-logs.ts';

const GOAL = 0.5;

/** Starts nothing: remembers execution names, as Step Functions does for 90 days. */
class NameRegistry implements WorkflowStarter {
  readonly names = new Set<string>();
  async start(name: string): Promise<'started' | 'already-started'> {
    if (this.names.has(name)) return 'already-started';
    this.names.add(name);
    return 'started';
  }
}

export async function run(): Promise<Figure[]> {
  const { directory, files, compressed } = await generatedLogs();
  const config = await loadConfigFile('revoker.config.yaml');
  const records = readRaw(compressed);
  const workers = workerCount();

  const detectAll = async () => {
    // A fresh store each run: every run opens the same cases, none finds them already open.
    const deps = {
      cases: new FileCaseStore(mkdtempSync(join(tmpdir(), 'revoker-bench-cases-'))),
      workflow: new NameRegistry(),
      clock: { now: () => new Date() },
      config,
      // Rejected events are counted below; the bench keeps no dead letters.
      deadLetters: { send: async () => undefined },
    };
    let seen = 0;
    let opened = 0;
    for (const bytes of compressed) {
      const { Records } = JSON.parse(gunzipSync(bytes).toString('utf8')) as { Records: CloudTrailRecord[] };
      for (const record of Records)
        for (const outcome of await detect(envelopeFor(record, 'bench'), deps)) {
          seen += 1;
          if (outcome.status === 'opened') opened += 1;
        }
    }
    if (seen !== records || opened === 0)
      throw new Error(`detect saw ${seen} of ${records}, opened ${opened}`);
  };
  const replayAll = async () => {
    const result = await replayFiles([directory], config, { workers });
    if (result.records !== records || result.cases.length === 0)
      throw new Error(`replay read ${result.records} of ${records}, found ${result.cases.length} cases`);
  };

  const label = `${records.toLocaleString('en-US')} events in ${files.length} files, ${RULES.length} rules`;
  const figure = (name: string, work: () => unknown): Promise<Figure> =>
    againstRawRead(
      { bench: 'detect-throughput', figure: `${name} (${label})`, goal: GOAL },
      compressed,
      work,
    );
  return [
    await figure('detect, each event as an EventBridge envelope, 1 core', detectAll),
    await figure(
      `revoker replay (the same rules over the files), all cores (${workers > 1 ? `${workers} workers` : 'one core here'})`,
      replayAll,
    ),
  ];
}
