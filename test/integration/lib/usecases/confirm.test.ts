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
import { roleTarget } from '../../../fixtures/records.ts';
import { RecordingDeadLetters, RecordingWorkflow } from '../../../fixtures/workflow.ts';

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
        await detect(envelopeFor(entry.record, 'attack'), {
          workflow,
          config: await shippedConfig(),
          deadLetters: new RecordingDeadLetters(),
        });
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

    expect(confirmation).toMatchObject({ verdict: 'confirmed', decision: 'revoke', score: 100 });
    expect(confirmation.evidence.map((entry) => entry.runbook)).toEqual([
      'first-seen',
      'error-burst',
      'persistence-created',
    ]);
    const [baseline] = confirmation.evidence[0]!.rows;
    expect(baseline!.baseline_events).toBeGreaterThan(100);
    expect(baseline!.from_source_ip).toBe(0);
    // The attack's probes: ListAccounts, ListDetectors, DescribeTrails and
    // GetAccountAuthorizationDetails, denied within six minutes.
    expect(confirmation.evidence[1]!.rows).toEqual([
      expect.objectContaining({ denied: 4, distinct_actions: 4 }),
    ]);
    expect(confirmation.explanation).toContain('3 other footholds created around it (CreateUser svc-backup');
    const record = await deps.cases.get('case-1');
    expect(record?.audit).toEqual([
      expect.objectContaining({ step: 'confirm', summary: expect.stringContaining('confirmed') }),
    ]);
  });

  it('clears a routine call by the role, from its instance, before the attack', async () => {
    const routine = (
      await deps.engine.run({
        name: 'a routine call',
        sql: `SELECT eventtime, sourceipaddress, useragent, eventsource, eventname FROM cloudtrail_logs
              WHERE account = ? AND useridentity.sessioncontext.sessionissuer.arn = ? AND eventtime < ?
              ORDER BY eventtime DESC LIMIT 1`,
        parameters: [trigger.target.accountId, roleTarget(trigger).roleArn, '2026-01-15T06:00:00Z'],
      })
    ).rows[0]!;

    const confirmation = await confirm(
      {
        caseId: 'case-2',
        trigger: {
          ...trigger,
          eventTime: String(routine.eventtime),
          sourceIp: String(routine.sourceipaddress),
          userAgent: String(routine.useragent),
          eventSource: String(routine.eventsource),
          eventName: String(routine.eventname),
        },
      },
      deps,
    );

    expect(confirmation).toMatchObject({ verdict: 'benign', decision: 'close', score: 0 });
  });

  it('hands a call without an IP address to a human without querying', async () => {
    const confirmation = await confirm(
      { caseId: 'case-3', trigger: { ...trigger, sourceIp: 'ec2.amazonaws.com' } },
      deps,
    );

    expect(confirmation).toMatchObject({ verdict: 'ambiguous', decision: 'escalate', evidence: [] });
  });
});
