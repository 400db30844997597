// Findings as triggers: GuardDuty and Security Hub finding events open (or join) the case of the
// credential they name, routed by the template's rules; anything else claiming to be a finding
// is dead-lettered with the reason. Fixtures: test/fixtures/findings.ts (constructed from
// documented fields, said there) and the documented samples themselves.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envelopeFor } from '../../../../lib/domain/envelope.ts';
import { matchesEventPattern } from '../../../../lib/domain/event-pattern.ts';
import { eventBridgeEvents, forwardingPatterns } from '../../../../lib/domain/rules.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { requireCase } from '../../../../lib/usecases/cases.ts';
import { type DetectOutcome, detect } from '../../../../lib/usecases/detect.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import {
  documented,
  guardDutyExfiltrationEvent,
  securityHubAccessKeyEvent,
} from '../../../fixtures/findings.ts';
import { stolenInstanceCredentialsGrant } from '../../../fixtures/records.ts';
import { RecordingDeadLetters, RecordingWorkflow } from '../../../fixtures/workflow.ts';

const config = await shippedConfig();

function detectParts() {
  return {
    cases: new FileCaseStore(mkdtempSync(join(tmpdir(), 'revoker-findings-'))),
    workflow: new RecordingWorkflow(),
    clock: new SimulatedClock(new Date('2026-01-15T12:00:00Z')),
    config,
    deadLetters: new RecordingDeadLetters(),
  };
}

function caseOf(outcomes: DetectOutcome[]): string {
  const [outcome] = outcomes;
  if (!outcome || !('caseId' in outcome) || !outcome.caseId)
    throw new Error(`no case in ${JSON.stringify(outcomes)}`);
  return outcome.caseId;
}

const detectPatterns = () =>
  Object.values(eventBridgeEvents()).map(
    (rule) => rule.Properties.Pattern as Parameters<typeof matchesEventPattern>[0],
  );

const exfiltration = guardDutyExfiltrationEvent({
  accountId: '111122223333',
  accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
  userName: 'web-server',
  userType: 'AssumedRole',
  principalId: 'AROAEXAMPLEID:i-0123456789abcdef0',
});

describe('detect: GuardDuty findings', () => {
  it('opens an auto-revoke case for the role session an InstanceCredentialExfiltration finding names', async () => {
    const deps = detectParts();

    const outcomes = await detect(exfiltration, deps);

    expect(outcomes).toEqual([
      expect.objectContaining({
        status: 'opened',
        ruleId: 'guardduty:UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
      }),
    ]);
    const record = await requireCase(deps.cases, caseOf(outcomes));
    expect(record.header.trigger.target).toEqual({
      kind: 'assumed-role',
      accountId: '111122223333',
      roleArn: 'arn:aws:iam::111122223333:role/web-server',
      roleName: 'web-server',
      sessionName: 'i-0123456789abcdef0',
      accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
      sessionIssuedAt: null,
      sessionUserId: 'AROAEXAMPLEID:i-0123456789abcdef0',
      sourceIdentity: null,
    });
    expect(record.header.trigger.finding).toEqual({
      product: 'guardduty',
      id: '9cb0be64df8ba1df249c45eb8a0bf584',
      type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
      severity: '8',
      title: exfiltration.detail.title,
    });
    expect(record.header.standing).toMatchObject({
      ruleId: 'guardduty:UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
      severity: 'high',
      response: 'auto-revoke',
    });
    expect(deps.workflow.started.size).toBe(1);
    expect(deps.deadLetters.letters).toEqual([]);
  });

  it('joins the open case of the access key a CloudTrail rule already caught', async () => {
    const deps = detectParts();
    const call = stolenInstanceCredentialsGrant();
    const [first] = await detect(envelopeFor(call, 'e1'), deps);
    if (!first || !('trigger' in first)) throw new Error(JSON.stringify(first));
    const target = first.trigger.target as {
      accountId: string;
      accessKeyId: string;
      roleName: string;
      sessionName: string;
    };

    const outcomes = await detect(
      guardDutyExfiltrationEvent({
        accountId: target.accountId,
        accessKeyId: target.accessKeyId,
        userName: target.roleName,
        userType: 'AssumedRole',
        principalId: `AROAEXAMPLEID:${target.sessionName}`,
      }),
      deps,
    );

    expect(outcomes).toEqual([expect.objectContaining({ status: 'joined', caseId: first.caseId })]);
  });

  it('escalates a finding type with no configured response, ranked by its severity band', async () => {
    const deps = detectParts();
    const event = guardDutyExfiltrationEvent(
      {
        accountId: '111122223333',
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        userName: 'alice',
        userType: 'IAMUser',
        principalId: 'AIDAEXAMPLE',
      },
      'UnauthorizedAccess:IAMUser/MaliciousIPCaller',
    );

    const outcomes = await detect(event, deps);

    const record = await requireCase(deps.cases, caseOf(outcomes));
    expect(record.header.trigger.target).toMatchObject({
      kind: 'iam-user',
      userArn: 'arn:aws:iam::111122223333:user/alice',
    });
    expect(record.header.standing).toMatchObject({ severity: 'high', response: 'escalate' });
  });

  it('is routed by the template’s detect rules and forwarded from every account', () => {
    expect(detectPatterns().some((pattern) => matchesEventPattern(pattern, exfiltration))).toBe(true);
    expect(forwardingPatterns().some((pattern) => matchesEventPattern(pattern, exfiltration))).toBe(true);
    // The documented EC2 finding names no credential: it is not routed.
    const ec2 = {
      ...documented('guardduty', 'eventbridge-envelope.json'),
      detail: (
        documented('guardduty', 'getfindings-response-ec2-rdp-bruteforce.json').findings as unknown[]
      )[0],
    };
    expect(detectPatterns().some((pattern) => matchesEventPattern(pattern, ec2))).toBe(false);
  });
});

describe('detect: Security Hub findings', () => {
  const imported = securityHubAccessKeyEvent('111122223333', 'alice', 'AKIAIOSFODNN7EXAMPLE');

  it('opens a case for the IAM user whose access key an ASFF finding names', async () => {
    const deps = detectParts();

    const outcomes = await detect(imported, deps);

    const record = await requireCase(deps.cases, caseOf(outcomes));
    expect(record.header.trigger.target).toEqual({
      kind: 'iam-user',
      accountId: '111122223333',
      userArn: 'arn:aws:iam::111122223333:user/alice',
      userName: 'alice',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    });
    expect(record.header.trigger.finding).toMatchObject({ product: 'securityhub', severity: 'HIGH' });
    expect(record.header.standing).toMatchObject({ severity: 'high', response: 'escalate' });
  });

  it('is routed by the template’s detect rules; a finding about an EC2 instance is not', () => {
    expect(detectPatterns().some((pattern) => matchesEventPattern(pattern, imported))).toBe(true);
    expect(forwardingPatterns().some((pattern) => matchesEventPattern(pattern, imported))).toBe(true);
    const ec2 = {
      ...documented('securityhub', 'eventbridge-findings-imported.json'),
      detail: { findings: [documented('securityhub', 'asff-guardduty-ec2-ssh-bruteforce.json')] },
    };
    expect(detectPatterns().some((pattern) => matchesEventPattern(pattern, ec2))).toBe(false);
  });
});

describe('detect: findings it cannot use', () => {
  it('dead-letters the documented envelope with its finding left out, with the reason', async () => {
    const deps = detectParts();
    const empty = documented('guardduty', 'eventbridge-envelope.json');

    const outcomes = await detect(empty, deps);

    expect(outcomes).toEqual([
      {
        status: 'rejected',
        reason: expect.stringMatching(/^invalid GuardDuty finding event: field detail\.schemaVersion/),
      },
    ]);
    expect(deps.deadLetters.letters).toEqual([
      { event: empty, reason: (outcomes[0] as { reason: string }).reason },
    ]);
    expect(deps.workflow.started.size).toBe(0);
  });

  it('dead-letters a finding that names no credential, and one not put by AWS', async () => {
    const deps = detectParts();
    const ec2 = {
      ...documented('securityhub', 'eventbridge-findings-imported.json'),
      detail: { findings: [documented('securityhub', 'asff-guardduty-ec2-ssh-bruteforce.json')] },
    };
    const forged = { ...exfiltration, source: 'custom.guardduty' };

    const [noCredential] = await detect(ec2, deps);
    const [notAws] = await detect(forged, deps);

    expect(noCredential).toEqual({
      status: 'rejected',
      reason: expect.stringContaining('names no IAM credential (resources: AwsEc2Instance)'),
    });
    expect(notAws).toEqual({ status: 'rejected', reason: expect.stringContaining('source') });
    expect(deps.deadLetters.letters).toHaveLength(2);
    expect(deps.workflow.started.size).toBe(0);
  });
});
