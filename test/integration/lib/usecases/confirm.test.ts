import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeFor } from '../../../../lib/domain/envelope.ts';
import type { Trigger } from '../../../../lib/domain/trigger.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { DuckDbQueryEngine } from '../../../../lib/local/duckdb-engine.ts';
import { generate } from '../../../../lib/local/generator/generate.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { readRecordFiles } from '../../../../lib/local/record-files.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { type ConfirmDependencies, confirm } from '../../../../lib/usecases/confirm.ts';
import { detect } from '../../../../lib/usecases/detect.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { RecordingWorkflow } from '../../../fixtures/workflow.ts';

const end = new Date('2026-01-15T12:00:00Z');

describe('confirm, on generated logs with the attack in them', () => {
  let deps: ConfirmDependencies;
  let engine: DuckDbQueryEngine;
  let trigger: Trigger;

  beforeAll(async () => {
    const logs = mkdtempSync(join(tmpdir(), 'revoker-confirm-'));
    generate({
      out: logs,
      days: 3,
      events: 8000,
      accounts: 1,
      seed: 'confirm',
      scenarios: ['compromised-role-session'],
      end,
    });
    // The trigger is what detect makes of the attack's first IAM grant.
    const workflow = new RecordingWorkflow();
    for await (const entry of readRecordFiles([logs])) {
      if (entry.kind === 'parsed' && entry.record.eventName === 'AttachRolePolicy') {
        await detect(envelopeFor(entry.record, 'attack'), { workflow, config: await shippedConfig() });
      }
    }
    trigger = ([...workflow.started.values()][0] as { trigger: Trigger }).trigger;
    engine = await DuckDbQueryEngine.open(logs);
    deps = {
      engine,
      runbooks: loadRunbooks(),
      config: await shippedConfig(),
      clock: new SimulatedClock(end),
      cases: new FileCaseStore(join(logs, '..', `cases-${Date.now()}`)),
    };
  });
  afterAll(() => engine.close());

  it('confirms the stolen session from the role history, with the evidence and a recorded decision', async () => {
    const confirmation = await confirm({ caseId: 'case-1', trigger }, deps);

    expect(confirmation).toMatchObject({ verdict: 'confirmed', decision: 'revoke' });
    const [row] = confirmation.evidence!.rows;
    expect(Number(row!.baseline_events)).toBeGreaterThan(100);
    expect(row!.from_source_ip).toBe('0');
    const record = await deps.cases.get('case-1');
    expect(record?.audit).toEqual([
      expect.objectContaining({ step: 'confirm', summary: expect.stringContaining('confirmed') }),
    ]);
  });

  it('clears the same call from an address the role uses every day', async () => {
    const usual = (
      await deps.engine.run({
        name: 'usual address',
        sql: 'SELECT sourceipaddress FROM cloudtrail_logs WHERE account = ? AND useridentity.sessioncontext.sessionissuer.arn = ? LIMIT 1',
        parameters: [trigger.target.accountId, trigger.target.roleArn],
      })
    ).rows[0]!.sourceipaddress!;

    const confirmation = await confirm({ caseId: 'case-2', trigger: { ...trigger, sourceIp: usual } }, deps);

    expect(confirmation).toMatchObject({ verdict: 'benign', decision: 'close' });
  });

  it('hands a call without an IP address to a human without querying', async () => {
    const confirmation = await confirm(
      { caseId: 'case-3', trigger: { ...trigger, sourceIp: 'ec2.amazonaws.com' } },
      deps,
    );

    expect(confirmation).toMatchObject({ verdict: 'ambiguous', decision: 'escalate', evidence: null });
  });
});
