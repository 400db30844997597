// Findings as triggers: GuardDuty and Security Hub finding events open (or join) the case of the
// credential they name, routed by the template's rules; anything else claiming to be a finding
// is dead-lettered with the reason. Fixtures: test/fixtures/findings.ts (constructed from
// documented fields, said there) and the documented samples themselves.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envelopeFor } from '../../../../lib/domain/envelope.ts';
import { matchesEventPattern } from '../../../../lib/domain/event-pattern.ts';
import { guardDutyTypeOf } from '../../../../lib/domain/findings.ts';
import { eventBridgeEvents, forwardingPatterns } from '../../../../lib/domain/rules.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { requireCase } from '../../../../lib/usecases/cases.ts';
import { type DetectOutcome, detect } from '../../../../lib/usecases/detect.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import {
  documented,
  guardDutyExfiltrationEvent,
  SHARED_FINDINGS,
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
      level: 'high',
      title: exfiltration.detail.title,
    });
    // The call GuardDuty saw is the trigger's call, for confirm to weigh against the history.
    expect(record.header.trigger).toMatchObject({
      eventSource: 's3.amazonaws.com',
      eventName: 'ListBuckets',
      sourceIp: '198.51.100.7',
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
    expect(record.header.trigger.finding).toMatchObject({
      product: 'securityhub',
      severity: 'HIGH',
      type: 'guardduty:UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
    });
    // GuardDuty's type, read back from the ASFF type: the same response as the GuardDuty event.
    expect(record.header.standing).toMatchObject({ severity: 'high', response: 'auto-revoke' });
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
    const ec2 = securityHubAccessKeyEvent('111122223333', 'alice', 'AKIAIOSFODNN7EXAMPLE', {
      resources: documented('securityhub', 'asff-guardduty-ec2-ssh-bruteforce.json').Resources as unknown[],
    });
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

describe('detect: whose findings it trusts, and for whom', () => {
  const exfiltrationType = 'guardduty:UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS';

  it('takes the same GuardDuty finding, arriving also through Security Hub, into its case once', async () => {
    const deps = detectParts();
    const direct = guardDutyExfiltrationEvent({
      accountId: '111122223333',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      userName: 'alice',
      userType: 'IAMUser',
      principalId: 'AIDACKCEVSQ6C2EXAMPLE',
    });
    const throughHub = securityHubAccessKeyEvent('111122223333', 'alice', 'AKIAIOSFODNN7EXAMPLE');
    const [asff] = throughHub.detail.findings as Record<string, unknown>[];
    asff!.UpdatedAt = '2026-01-15T11:58:00.000Z';
    asff!.Id = `arn:aws:guardduty:us-east-1:111122223333:detector/d4b040365221be2b54a6264dc9a4bc64/finding/${(direct.detail as unknown as { id: string }).id}`;

    const [first] = await detect(direct, deps);
    const [second] = await detect(throughHub, deps);

    expect(first).toMatchObject({ status: 'opened' });
    expect(second).toMatchObject({ status: 'duplicate', caseId: caseOf([first!]) });
    expect(deps.workflow.started.size).toBe(1);
  });

  it('acts on no other product’s finding, whatever type, generator and severity it claims', async () => {
    const deps = detectParts();
    // A custom integration: anyone allowed securityhub:BatchImportFindings can import one.
    const custom = securityHubAccessKeyEvent('111122223333', 'bob', 'AKIAI44QH8DHBEXAMPLE', {
      product: 'arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default',
      label: 'CRITICAL',
    });
    const [finding] = custom.detail.findings as Record<string, unknown>[];
    finding!.GeneratorId = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS';

    const outcomes = await detect(custom, deps);

    expect(outcomes).toEqual([{ status: 'no-match', reason: expect.stringContaining('not an AWS service') }]);
    expect(deps.workflow.started.size).toBe(0);
    expect(deps.deadLetters.letters).toEqual([]);
  });

  it('lets a type anyone may edit ask a human, never revoke alone', async () => {
    const deps = detectParts();
    // No FindingProviderFields: the top-level Types say exfiltration, but BatchUpdateFindings can write them.
    const edited = securityHubAccessKeyEvent('111122223333', 'alice', 'AKIAIOSFODNN7EXAMPLE', {
      providerType: null,
      types: [
        'Effects/Data Exfiltration/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration.OutsideAWS',
      ],
    });

    const outcomes = await detect(edited, deps);

    const record = await requireCase(deps.cases, caseOf(outcomes));
    expect(record.header.standing).toMatchObject({ ruleId: exfiltrationType, response: 'escalate' });
  });

  it('leaves a posture finding alone unless its type is configured', async () => {
    const posture = securityHubAccessKeyEvent('111122223333', 'alice', 'AKIAIOSFODNN7EXAMPLE', {
      product: 'securityhub',
      providerType:
        'Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices',
      label: 'CRITICAL',
    });
    const quiet = detectParts();
    const key =
      'securityhub:Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices';
    const asked = {
      ...detectParts(),
      config: { ...config, findings: { responses: { [key]: 'escalate' as const } } },
    };

    expect(await detect(posture, quiet)).toEqual([
      { status: 'no-match', reason: expect.stringContaining('describes posture') },
    ]);
    expect(quiet.workflow.started.size).toBe(0);
    const [opened] = await detect(posture, asked);
    expect((await requireCase(asked.cases, caseOf([opened!]))).header.standing).toMatchObject({
      ruleId: key,
      severity: 'critical',
      response: 'escalate',
    });
  });

  it('refuses a finding about an account other than the one it came from, unless enrolled', async () => {
    const stray = detectParts();
    const event = securityHubAccessKeyEvent('444455556666', 'alice', 'AKIAIOSFODNN7EXAMPLE', {
      from: '111122223333',
    });

    expect(await detect(event, stray)).toEqual([
      { status: 'rejected', reason: expect.stringContaining('444455556666 is not enrolled') },
    ]);

    const enrolled = {
      ...detectParts(),
      config: {
        ...config,
        accounts: {
          memberRoleName: 'revoker-member',
          enrolled: [{ id: '444455556666' }, { id: '111122223333' }],
        },
      },
    };
    expect(await detect(event, enrolled)).toEqual([expect.objectContaining({ status: 'opened' })]);
  });

  it('refuses a finding whose resources name a principal in another account', async () => {
    const deps = detectParts();
    const event = securityHubAccessKeyEvent('111122223333', 'alice', 'AKIAIOSFODNN7EXAMPLE', {
      resources: [{ Type: 'AwsIamRole', Id: 'arn:aws:iam::999988887777:role/Admin', Partition: 'aws' }],
    });

    expect(await detect(event, deps)).toEqual([
      {
        status: 'rejected',
        reason: expect.stringContaining("in account 999988887777, not the finding's 111122223333"),
      },
    ]);
    const key = securityHubAccessKeyEvent('111122223333', 'alice', 'AKIAIOSFODNN7EXAMPLE');
    const details = (
      key.detail.findings[0] as { Resources: { Details: { AwsIamAccessKey: Record<string, unknown> } }[] }
    ).Resources[0]!.Details.AwsIamAccessKey;
    details.AccountId = '999988887777';
    expect(await detect(key, deps)).toEqual([
      { status: 'rejected', reason: expect.stringContaining('its access key is in account 999988887777') },
    ]);
    expect(deps.workflow.started.size).toBe(0);
  });

  it('applies an enrolled account’s own finding responses there, and only there', async () => {
    const settings = {
      ...config,
      accounts: {
        memberRoleName: 'revoker-member',
        enrolled: [
          { id: '111122223333', findings: { responses: { [exfiltrationType]: 'notify' as const } } },
          { id: '444455556666' },
        ],
      },
    };
    const principal = {
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      userName: 'alice',
      userType: 'IAMUser' as const,
      principalId: 'AIDAEXAMPLE',
    };
    const deps = { ...detectParts(), config: settings };

    const [quiet] = await detect(
      guardDutyExfiltrationEvent({ ...principal, accountId: '111122223333' }),
      deps,
    );
    const [loud] = await detect(
      guardDutyExfiltrationEvent({
        ...principal,
        accountId: '444455556666',
        accessKeyId: 'AKIAI44QH8DHBEXAMPLE',
      }),
      deps,
    );

    expect((await requireCase(deps.cases, caseOf([quiet!]))).header.standing.response).toBe('notify');
    expect((await requireCase(deps.cases, caseOf([loud!]))).header.standing.response).toBe('auto-revoke');
  });

  it('judges each finding of an event on its own: one unreadable finding does not stop the rest', async () => {
    const deps = detectParts();
    const event = securityHubAccessKeyEvent('111122223333', 'alice', 'AKIAIOSFODNN7EXAMPLE');
    const mixed = { ...event, detail: { findings: [null, { Id: 'constructor' }, ...event.detail.findings] } };

    const outcomes = await detect(mixed, deps);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'opened']);
    expect(deps.deadLetters.letters).toHaveLength(2);
  });

  it('reads GuardDuty’s own type back from every ASFF type its documentation maps', () => {
    const rows = readFileSync(join(SHARED_FINDINGS, 'guardduty', 'securityhub-asff-type-mapping.tsv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split('\t') as [string, string]);
    const differing = rows.filter(([type, asff]) => guardDutyTypeOf(asff) !== type).map(([type]) => type);

    expect(rows.length).toBeGreaterThan(70);
    // The table itself writes three S3 types with `-` for `/`, and one ASFF type adds `!DNS`.
    expect(differing).toEqual([
      'Discovery:S3-MaliciousIPCaller',
      'Exfiltration:S3-MaliciousIPCaller',
      'Impact:S3-MaliciousIPCaller',
      'Trojan:EC2/DNSDataExfiltration',
    ]);
  });
});
