import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../../lib/domain/cloudtrail.ts';
import { resolvePrincipal } from '../../../../lib/domain/principal.ts';
import { generate } from '../../../../lib/local/generator/generate.ts';
import { replayEntries } from '../../../../lib/local/record-files.ts';
import { describeRaise, replay } from '../../../../lib/usecases/replay.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { shared } from '../../../fixtures/paths.ts';
import {
  identityCenterSession,
  stolenInstanceCredentialsGrant,
  stratusCall,
} from '../../../fixtures/records.ts';

const config = await shippedConfig();

async function* calls(records: CloudTrailRecord[]) {
  for (const record of records) {
    const resolution = resolvePrincipal(record.userIdentity);
    if (!resolution.ok) throw new Error(resolution.reason);
    yield { record, principal: resolution.principal, file: 'calls.json' };
  }
}

describe('replay', () => {
  it('opens one case per credential on real records, naming the rule and the calls that join it', async () => {
    const result = await replay(
      replayEntries([shared('otrf'), shared('aws-docs'), shared('cloud-custodian')]),
      config,
    );

    // In the order the cases opened; the aws-docs file holds one root ConsoleLogin twice, counted once.
    expect(result.cases.map((found) => [found.ruleId, found.principal, found.calls])).toEqual([
      ['root-user-activity', 'arn:aws:iam::619193117841:root', 2],
      ['console-login-without-mfa', 'arn:aws:iam::123456789012:user/Mary_Major', 1],
      [
        'instance-credentials-bucket-listing',
        'arn:aws:iam::123456789123:role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0',
        2,
      ],
      ['console-login-without-mfa', 'arn:aws:iam::111122223333:user/anaya', 1],
      ['root-user-activity', 'arn:aws:iam::111122223333:root', 3],
      ['root-user-activity', 'arn:aws:iam::111122223333:root', 1],
    ]);
    // The root user's password-only console sign-in joins the root case under both rules.
    expect(result.cases[4]!.rules).toEqual(['root-user-activity', 'console-login-without-mfa']);
    expect(result.refused).toEqual([]);
  });

  it('names why a matching call cannot open a case, and goes on with the rest', async () => {
    const result = await replay(
      replayEntries([shared('stratus-red-team', 'aws.defense-evasion.cloudtrail-stop.json')]),
      config,
    );

    expect(result.cases).toEqual([]);
    expect(result.refused).toEqual([
      {
        file: shared('stratus-red-team', 'aws.defense-evasion.cloudtrail-stop.json'),
        eventName: 'StopLogging',
        // Stratus anonymises regions (eu-west-2r): no case is opened on a region that cannot exist.
        reason:
          'rule cloudtrail-stopped-or-deleted matched, but the record cannot open a case: field region: a region such as us-east-1',
      },
    ]);
  });

  it('opens a case on an Identity Center person’s SSM command, naming the permission set’s role (issue 14)', async () => {
    // The shared data changes nowhere with people beyond IAM users: its one Identity Center
    // session makes no person-rule call. So a real SendCommand, made by that real session.
    const sendCommand = {
      ...stratusCall('execution.ssm-send-command', 'SendCommand'),
      awsRegion: 'us-east-1',
      userIdentity: identityCenterSession(),
    } as CloudTrailRecord;

    const result = await replay(calls([sendCommand]), config);

    expect(result.refused).toEqual([]);
    expect(result.cases.map((found) => [found.ruleId, found.principal])).toEqual([
      [
        'ssm-command-by-person',
        'arn:aws:iam::844015365555:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_account-admin_599c9e90e350d2ff',
      ],
    ]);
  });

  it('takes calls in time order, each once, and raises a case on a more severe call by its credential', async () => {
    const grant = stolenInstanceCredentialsGrant({ eventTime: '2024-08-02T08:30:00Z' });
    const stopLogging = stolenInstanceCredentialsGrant({
      eventSource: 'cloudtrail.amazonaws.com',
      eventName: 'StopLogging',
      eventID: 'stop-logging',
      eventTime: '2024-08-02T08:35:00Z',
      requestParameters: { name: 'management-events' },
    });

    // Delivered out of order, and the grant twice.
    const result = await replay(calls([stopLogging, grant, grant]), config);

    expect(result.cases).toHaveLength(1);
    expect(result.cases[0]).toMatchObject({
      ruleId: 'instance-credentials-iam-escalation',
      firstEvent: { eventTime: '2024-08-02T08:30:00Z', eventName: 'AttachRolePolicy' },
      calls: 2,
      rules: [
        'instance-credentials-iam-escalation',
        'admin-policy-attached',
        'cloudtrail-stopped-or-deleted',
      ],
      severity: 'critical',
      response: 'auto-revoke',
      standingRuleId: 'cloudtrail-stopped-or-deleted',
      raises: [
        {
          eventTime: '2024-08-02T08:35:00Z',
          eventName: 'StopLogging',
          from: { ruleId: 'instance-credentials-iam-escalation', severity: 'high', response: 'auto-revoke' },
          // Where the case stands after it: the call's severity, the grant's stronger response kept.
          to: { ruleId: 'cloudtrail-stopped-or-deleted', severity: 'critical', response: 'auto-revoke' },
        },
      ],
    });
    expect(describeRaise(result.cases[0]!.raises[0]!)).toBe(
      '2024-08-02T08:35:00Z StopLogging: instance-credentials-iam-escalation (high, auto-revoke) → cloudtrail-stopped-or-deleted (critical, auto-revoke)',
    );
  });

  it('opens the stolen instance credentials’ case at their first call from outside: GetCallerIdentity (issue 14)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'revoker-replay-'));
    const { scenarios } = generate({
      out,
      days: 1,
      events: 2000,
      accounts: 1,
      seed: 'stolen',
      scenarios: ['stolen-instance-credentials'],
      end: new Date('2026-01-15T12:00:00Z'),
    });
    const truth = scenarios[0]!;

    const result = await replay(replayEntries([out]), config);

    // The instances' own calls come through their VPC endpoints: only the attacker's open a case.
    expect(result.refused).toEqual([]);
    expect(result.cases).toHaveLength(1);
    expect(result.cases[0]).toMatchObject({
      ruleId: 'instance-credentials-outside-recon',
      principal: truth.roleArn,
      firstEvent: {
        eventTime: truth.startedAt.replace('.000', ''),
        eventName: 'GetCallerIdentity',
        sourceIp: truth.attackerIp,
      },
      // Every call of the attack, each matching a rule, on the one case; none raises it.
      calls: truth.calls.length,
      rules: ['instance-credentials-outside-recon', 'instance-credentials-bucket-listing'],
      severity: 'high',
      response: 'auto-revoke',
      raises: [],
    });
    expect(truth.triggerEventName).toBe('GetCallerIdentity');
    expect(truth.calls[0]).toMatchObject({
      eventName: 'GetCallerIdentity',
      rules: ['instance-credentials-outside-recon'],
    });
  });

  it('opens no case on an overprivileged workload’s S3 data events (issue 15)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'revoker-replay-'));
    const { scenarios } = generate({
      out,
      days: 1,
      events: 2000,
      accounts: 1,
      seed: 'workload',
      scenarios: ['overprivileged-workload'],
      end: new Date('2026-01-15T12:00:00Z'),
    });

    const result = await replay(replayEntries([out]), config);

    expect(scenarios[0]!.putObjectCalls).toBeGreaterThan(50);
    expect(result.records).toBe(2000);
    expect(result.refused).toEqual([]);
    expect(result.cases).toEqual([]);
  });
});
