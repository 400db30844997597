// A finding that raises a case's severity never replaces the call the case stands on: confirm
// still judges the call (an ASFF finding carries no source address), so a revocation the
// CloudTrail evidence confirms stays automatic. (Found by an adversarial review.)
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
import { requireCase } from '../../../../lib/usecases/cases.ts';
import { type ConfirmDependencies, confirm } from '../../../../lib/usecases/confirm.ts';
import { detect } from '../../../../lib/usecases/detect.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { securityHubAccessKeyEvent } from '../../../fixtures/findings.ts';
import { roleTarget } from '../../../fixtures/records.ts';
import { RecordingDeadLetters, RecordingWorkflow } from '../../../fixtures/workflow.ts';

const end = new Date('2026-01-15T12:00:00Z');

describe('a finding raising a confirmed CloudTrail case', () => {
  let deps: ConfirmDependencies;
  let engine: DuckDbQueryEngine;
  let trigger: Trigger;
  let caseId: string;
  let detectDeps: Parameters<typeof detect>[1];

  beforeAll(async () => {
    const logs = mkdtempSync(join(tmpdir(), 'revoker-adv-confirm-'));
    generate({
      out: logs,
      days: 3,
      events: 8000,
      accounts: 1,
      seed: 'confirm',
      scenarios: ['compromised-role-session'],
      end,
    });
    const workflow = new RecordingWorkflow();
    const cases = new FileCaseStore(mkdtempSync(join(tmpdir(), 'revoker-adv-confirm-cases-')));
    const clock = new SimulatedClock(end);
    detectDeps = {
      cases,
      clock,
      workflow,
      config: await shippedConfig(),
      deadLetters: new RecordingDeadLetters(),
    };
    for await (const entry of readRecordFiles([logs])) {
      if (entry.kind === 'parsed' && entry.record.eventName === 'AttachRolePolicy')
        await detect(envelopeFor(entry.record, 'attack'), detectDeps);
    }
    ({ caseId, trigger } = [...workflow.started.values()][0] as { caseId: string; trigger: Trigger });
    engine = await DuckDbQueryEngine.open(logs);
    deps = { engine, runbooks: loadRunbooks(), config: await shippedConfig(), clock, cases };
  });
  afterAll(() => engine.close());

  it('still revokes automatically after GuardDuty (through Security Hub) rates the same key critical', async () => {
    const role = roleTarget(trigger);
    const event = securityHubAccessKeyEvent(role.accountId, 'unused', role.accessKeyId!, {
      providerType: 'TTPs/UnauthorizedAccess:IAMUser-MaliciousIPCaller',
      label: 'CRITICAL',
    });
    const [finding] = event.detail.findings as {
      Resources: { Details: { AwsIamAccessKey: Record<string, unknown> } }[];
    }[];
    finding!.Resources[0]!.Details.AwsIamAccessKey = {
      AccessKeyId: role.accessKeyId,
      AccountId: role.accountId,
      PrincipalId: `AROAEXAMPLEID:${role.sessionName}`,
      PrincipalName: role.sessionName,
      PrincipalType: 'AssumedRole',
      SessionContext: { SessionIssuer: { Arn: role.roleArn } },
    };
    const [raised] = await detect(event, detectDeps);
    expect(raised).toMatchObject({ status: 'raised', caseId });
    const { header } = await requireCase(deps.cases, caseId);

    const confirmation = await confirm({ caseId, trigger: header.standing.trigger }, deps);

    // Without the finding the same case is confirmed and revoked (confirm.test.ts). A more
    // severe signal about the same credential should not make revoker less willing to act.
    expect(confirmation).toMatchObject({ decision: 'revoke' });
  });
});
