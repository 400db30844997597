// Attacks on findings as triggers, from an adversarial review: each failed on the first version
// (CloudTrail calls to GuardDuty taken for findings, updates swallowed, a role's path lost, an
// edited severity revoking on a page's timeout) and holds now.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../../lib/domain/cloudtrail.ts';
import { envelopeFor } from '../../../../lib/domain/envelope.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { requireCase } from '../../../../lib/usecases/cases.ts';
import { type DetectOutcome, detect } from '../../../../lib/usecases/detect.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { guardDutyExfiltrationEvent, securityHubAccessKeyEvent } from '../../../fixtures/findings.ts';
import { stratusRecord } from '../../../fixtures/records.ts';
import { RecordingDeadLetters, RecordingWorkflow } from '../../../fixtures/workflow.ts';

const config = await shippedConfig();

function parts(overrides: Record<string, unknown> = {}) {
  return {
    cases: new FileCaseStore(mkdtempSync(join(tmpdir(), 'revoker-adv-'))),
    workflow: new RecordingWorkflow(),
    clock: new SimulatedClock(new Date('2026-01-15T12:00:00Z')),
    config,
    deadLetters: new RecordingDeadLetters(),
    ...overrides,
  };
}

function caseOf(outcomes: DetectOutcome[]): string {
  const [outcome] = outcomes;
  if (!outcome || !('caseId' in outcome) || !outcome.caseId) throw new Error(JSON.stringify(outcomes));
  return outcome.caseId;
}

const mallory = {
  type: 'IAMUser',
  arn: 'arn:aws:iam::111122223333:user/mallory',
  userName: 'mallory',
  accountId: '111122223333',
  principalId: 'AIDAEXAMPLE',
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
};

describe('CloudTrail calls to GuardDuty and Security Hub stay calls', () => {
  it('still detects DeleteDetector (rule guardduty-disabled) arriving from EventBridge', async () => {
    const deps = parts();
    const record = {
      ...stratusRecord('persistence.iam-create-admin-user'),
      userIdentity: mallory,
      eventSource: 'guardduty.amazonaws.com',
      eventName: 'DeleteDetector',
      requestParameters: { detectorId: 'abc' },
      awsRegion: 'us-east-1',
      errorCode: null,
    } as unknown as CloudTrailRecord;
    const envelope = envelopeFor(record, 'evt-delete-detector');
    expect(envelope.source).toBe('aws.guardduty');

    const outcomes = await detect(envelope, deps);

    expect(outcomes).toEqual([expect.objectContaining({ status: 'opened', ruleId: 'guardduty-disabled' })]);
  });
});

describe('a finding updated after its first delivery', () => {
  const alice = {
    accountId: '111122223333',
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    userName: 'alice',
    userType: 'IAMUser' as const,
    principalId: 'AIDAEXAMPLE',
  };
  const later = (
    event: ReturnType<typeof guardDutyExfiltrationEvent>,
    updatedAt: string,
    severity?: number,
  ) => ({
    ...event,
    time: updatedAt,
    detail: { ...event.detail, updatedAt, ...(severity === undefined ? {} : { severity }) },
  });

  it('opens a new case when GuardDuty re-sends the finding (new occurrences) after the first case closed', async () => {
    const { closeCase } = await import('../../../../lib/usecases/cases.ts');
    const deps = parts();
    const first = guardDutyExfiltrationEvent(alice, 'UnauthorizedAccess:IAMUser/MaliciousIPCaller');
    const opened = await detect(first, deps);
    const caseId = caseOf(opened);
    await closeCase(deps.cases, caseId, 0, {
      outcome: 'benign',
      reason: 'a human judged it benign',
      summary: 'closed',
      at: '2026-01-15T12:30:00Z',
    });

    // Six hours later GuardDuty exports the same finding again: the attacker kept going.
    const again = await detect(later(first, '2026-01-15T18:00:00.000Z'), deps);

    // DESIGN.md: "A closed case never swallows a new detection: the next one opens a new case".
    expect(again).toEqual([expect.objectContaining({ status: 'opened' })]);
    expect(caseOf(again)).not.toBe(caseId);
  });

  it('raises the case when the same finding comes back more severe', async () => {
    const deps = parts();
    const first = guardDutyExfiltrationEvent(alice, 'UnauthorizedAccess:IAMUser/MaliciousIPCaller');
    const low = later(first, '2026-01-15T11:58:00.000Z', 5); // medium: notify
    const [opened] = await detect(low, deps);
    expect((await requireCase(deps.cases, caseOf([opened!]))).header.standing).toMatchObject({
      severity: 'medium',
      response: 'notify',
    });

    const [updated] = await detect(later(first, '2026-01-15T13:00:00.000Z', 8), deps); // high: escalate

    expect(updated).toMatchObject({ status: 'raised' });
    expect((await requireCase(deps.cases, caseOf([opened!]))).header.standing).toMatchObject({
      severity: 'high',
      response: 'escalate',
    });
  });
});

describe('a finding names a role without its path: the plan judges IAM’s own ARN', () => {
  it('stops the plan for a role IAM shows under a protected path', async () => {
    const { normalizeAccountState } = await import('../../../../lib/domain/iam-state.ts');
    const { planRevocation, revocationTargetOf } = await import('../../../../lib/domain/revocation/plan.ts');
    const protecting = {
      ...config,
      guardRails: {
        ...config.guardRails,
        protectedPrincipals: [...config.guardRails.protectedPrincipals, 'arn:aws:iam::*:role/emergency/*'],
      },
    };
    const deps = parts({ config: protecting });
    const [opened] = await detect(
      guardDutyExfiltrationEvent({
        accountId: '111122223333',
        accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
        userName: 'ops-admin',
        userType: 'AssumedRole',
        principalId: 'AROAEXAMPLEID:i-0123456789abcdef0',
      }),
      deps,
    );
    const record = await requireCase(deps.cases, caseOf([opened!]));
    const state = normalizeAccountState({
      accountId: '111122223333',
      roles: {
        'ops-admin': {
          arn: 'arn:aws:iam::111122223333:role/emergency/ops-admin',
          path: '/emergency/',
          trustPolicy:
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
          inlinePolicies: {},
          attachedPolicies: ['arn:aws:iam::aws:policy/AdministratorAccess'],
          instanceProfiles: ['ops-admin'],
        },
      },
      users: {},
    });

    const plan = planRevocation(revocationTargetOf(record.header.trigger.target), {
      config: protecting,
      state,
      cutoff: '2026-01-15T12:00:00Z',
      recentRevocations: 0,
    });

    expect(plan.actions.length).toBeGreaterThan(0);
    expect(plan.requiresHuman).toEqual(expect.stringContaining('protected'));
  });

  it('stops, for good, the plan for a service-linked role a finding names by its name alone', async () => {
    const { normalizeAccountState } = await import('../../../../lib/domain/iam-state.ts');
    const { planRevocation, revocationTargetOf } = await import('../../../../lib/domain/revocation/plan.ts');
    const deps = parts();
    const [opened] = await detect(
      guardDutyExfiltrationEvent({
        accountId: '111122223333',
        accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
        userName: 'AWSServiceRoleForAutoScaling',
        userType: 'AssumedRole',
        principalId: 'AROAEXAMPLEID:AutoScaling',
      }),
      deps,
    );
    const record = await requireCase(deps.cases, caseOf([opened!]));
    const state = normalizeAccountState({
      accountId: '111122223333',
      roles: {
        AWSServiceRoleForAutoScaling: {
          arn: 'arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
          path: '/aws-service-role/autoscaling.amazonaws.com/',
        },
      },
    });

    const plan = planRevocation(revocationTargetOf(record.header.trigger.target), {
      config,
      state,
      cutoff: '2026-01-15T12:00:00Z',
      recentRevocations: 0,
      approvedBy: 'arn:aws:iam::111122223333:user/oncall',
    });

    // Not even an approval lifts it: service-linked roles are their service's.
    expect(plan.requiresHuman).toEqual(expect.stringContaining('is a service-linked role'));
  });
});

describe('"ask a human at most": an unanswered page on a finding alone never revokes', () => {
  it('never lets a finding whose type and severity anyone may edit revoke when the page times out', async () => {
    const deps = parts();
    // An AWS service's finding without FindingProviderFields: BatchUpdateFindings wrote Types and
    // Severity (CRITICAL). findings.ts caps the response at escalate...
    const edited = securityHubAccessKeyEvent('111122223333', 'victim', 'AKIAI44QH8DHBEXAMPLE', {
      providerType: null,
      types: ['TTPs/Initial Access/UnauthorizedAccess:IAMUser-MaliciousIPCaller'],
      label: 'CRITICAL',
    });

    const [opened] = await detect(edited, deps);

    const record = await requireCase(deps.cases, caseOf([opened!]));
    expect(record.header.standing).toMatchObject({ severity: 'critical', response: 'escalate' });
    // ...but the execution it starts carries escalation.onTimeout[critical] = revoke: nobody
    // answering within acknowledgeMinutes (15) revokes the victim, with no history confirming.
    const [input] = [...deps.workflow.started.values()] as { settings: { onApprovalTimeout: string } }[];
    expect(input!.settings.onApprovalTimeout).not.toBe('revoke');
  });
});
