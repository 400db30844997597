import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entriesOf } from '../../../../lib/domain/case.ts';
import { envelopeFor } from '../../../../lib/domain/envelope.ts';
import { credentialIdOf, type Trigger } from '../../../../lib/domain/trigger.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { DuckDbQueryEngine } from '../../../../lib/local/duckdb-engine.ts';
import { generate } from '../../../../lib/local/generator/generate.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { readRecordFiles } from '../../../../lib/local/record-files.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { type ConfirmDependencies, confirm } from '../../../../lib/usecases/confirm.ts';
import { detect } from '../../../../lib/usecases/detect.ts';
import { openTestCase } from '../../../fixtures/cases.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { roleTarget } from '../../../fixtures/records.ts';
import { RecordingDeadLetters, RecordingWorkflow } from '../../../fixtures/workflow.ts';

const end = new Date('2026-01-15T12:00:00Z');

describe('confirm, on generated logs with the attack in them', () => {
  let deps: ConfirmDependencies;
  let engine: DuckDbQueryEngine;
  let trigger: Trigger;
  /** The case detect opened for the attack's credential. */
  let caseId: string;

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
    // The trigger is what detect makes of the attack's first IAM grant; detect opens its case.
    const workflow = new RecordingWorkflow();
    const cases = new FileCaseStore(mkdtempSync(join(tmpdir(), 'revoker-confirm-cases-')));
    const clock = new SimulatedClock(end);
    for await (const entry of readRecordFiles([logs])) {
      if (entry.kind === 'parsed' && entry.record.eventName === 'AttachRolePolicy') {
        await detect(envelopeFor(entry.record, 'attack'), {
          cases,
          clock,
          workflow,
          config: await shippedConfig(),
          deadLetters: new RecordingDeadLetters(),
        });
      }
    }
    ({ caseId, trigger } = [...workflow.started.values()][0] as { caseId: string; trigger: Trigger });
    engine = await DuckDbQueryEngine.open(logs);
    deps = { engine, runbooks: loadRunbooks(), config: await shippedConfig(), clock, cases };
  });
  afterAll(() => engine.close());

  it('confirms the stolen session from the role history, with the evidence and a recorded decision', async () => {
    const confirmation = await confirm({ caseId, trigger }, deps);

    expect(confirmation).toMatchObject({ verdict: 'confirmed', decision: 'revoke', score: 100 });
    // The execution goes on with the case as it stands: its opening call, at revision 0.
    expect(confirmation).toMatchObject({ trigger, revision: 0, settings: expect.any(Object) });
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
    const record = (await deps.cases.get(caseId))!;
    expect(record.entries[0]).toMatchObject({ step: 'opened', detail: { eventName: 'AttachRolePolicy' } });
    expect(entriesOf(record, 'confirm')).toEqual([
      expect.objectContaining({ id: 'confirm:r0', summary: expect.stringContaining('confirmed') }),
    ]);
  });

  it('asks its three runbooks at once (Athena runs them side by side), keeping their evidence in order', async () => {
    let inFlight = 0;
    let most = 0;
    const overlapping = {
      ...deps,
      engine: {
        run: async (request: Parameters<typeof deps.engine.run>[0]) => {
          most = Math.max(most, ++inFlight);
          await new Promise((resolve) => setTimeout(resolve, 20));
          try {
            return await deps.engine.run(request);
          } finally {
            inFlight--;
          }
        },
      },
    };
    await openTestCase(
      deps.cases,
      { ...trigger, credentialId: credentialIdOf('at once') },
      { caseId: 'case-at-once' },
    );

    const confirmation = await confirm({ caseId: 'case-at-once', trigger }, overlapping);

    expect(most).toBe(3);
    expect(confirmation.evidence.map((entry) => entry.runbook)).toEqual([
      'first-seen',
      'error-burst',
      'persistence-created',
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

    // Confirm judges the call its case stands on: a case opened by this routine call, made with
    // the role's own credentials (not the stolen session's).
    const call: Trigger = {
      ...trigger,
      credentialId: credentialIdOf('the instance’s own session'),
      eventTime: String(routine.eventtime),
      sourceIp: String(routine.sourceipaddress),
      userAgent: String(routine.useragent),
      eventSource: String(routine.eventsource),
      eventName: String(routine.eventname),
    };
    await openTestCase(deps.cases, call, { caseId: 'case-2' });

    const confirmation = await confirm({ caseId: 'case-2', trigger: call }, deps);

    expect(confirmation).toMatchObject({ verdict: 'benign', decision: 'close', score: 0 });
  });

  it('hands a call without an IP address to a human without querying', async () => {
    const call: Trigger = {
      ...trigger,
      credentialId: credentialIdOf('a service’s session'),
      sourceIp: 'ec2.amazonaws.com',
    };
    await openTestCase(deps.cases, call, { caseId: 'case-3' });

    const confirmation = await confirm({ caseId: 'case-3', trigger: call }, deps);

    expect(confirmation).toMatchObject({ verdict: 'ambiguous', decision: 'escalate', evidence: [] });
  });

  /** The same call, as a GuardDuty finding that observed it (findings.ts builds such triggers). */
  function asFinding(call: Trigger, credential: string): Trigger {
    return {
      ...call,
      credentialId: credentialIdOf(credential),
      ruleId: 'guardduty:UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
      finding: {
        product: 'guardduty',
        id: '9cb0be64df8ba1df249c45eb8a0bf584',
        type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
        severity: '8',
        level: 'high',
        title: null,
      },
    };
  }
  const findingRanking = {
    ruleId: 'guardduty:UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
    severity: 'high' as const,
    response: 'auto-revoke' as const,
  };

  it('revokes on a finding only when the history confirms it too, with every runbook run', async () => {
    const finding = asFinding(trigger, 'the stolen session, as GuardDuty names it');
    await openTestCase(deps.cases, finding, { caseId: 'case-4', ranking: findingRanking });

    const confirmation = await confirm({ caseId: 'case-4', trigger: finding }, deps);

    expect(confirmation).toMatchObject({ verdict: 'confirmed', decision: 'revoke' });
    expect(confirmation.evidence.map((entry) => entry.runbook)).toEqual([
      'first-seen',
      'error-burst',
      'persistence-created',
    ]);
    expect(confirmation.explanation).toMatch(/^GuardDuty finding .* Its history agrees: /);
  });

  it('hands a finding its history does not bear out to a human, never closing it', async () => {
    const routine = (
      await deps.engine.run({
        name: 'a routine call',
        sql: `SELECT eventtime, sourceipaddress, useragent, eventsource, eventname FROM cloudtrail_logs
              WHERE account = ? AND useridentity.sessioncontext.sessionissuer.arn = ? AND eventtime < ?
              ORDER BY eventtime DESC LIMIT 1`,
        parameters: [trigger.target.accountId, roleTarget(trigger).roleArn, '2026-01-15T06:00:00Z'],
      })
    ).rows[0]!;
    const finding = asFinding(
      {
        ...trigger,
        eventTime: String(routine.eventtime),
        sourceIp: String(routine.sourceipaddress),
        userAgent: String(routine.useragent),
        eventSource: String(routine.eventsource),
        eventName: String(routine.eventname),
      },
      'the instance’s own session, as a finding names it',
    );
    await openTestCase(deps.cases, finding, { caseId: 'case-5', ranking: findingRanking });

    const confirmation = await confirm({ caseId: 'case-5', trigger: finding }, deps);

    expect(confirmation).toMatchObject({ verdict: 'ambiguous', decision: 'escalate' });
    expect(confirmation.explanation).toContain('Its history does not confirm it (benign)');
  });
});
