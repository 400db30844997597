import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { UserIdentity } from '../../../../lib/domain/cloudtrail.ts';
import { CloudTrailRecordSchema } from '../../../../lib/domain/cloudtrail.ts';
import { partitionOfRegion, resolvePrincipal } from '../../../../lib/domain/principal.ts';
import { shared } from '../../../fixtures/paths.ts';

function stratusRecords(technique: string): { userIdentity: UserIdentity; eventName: string }[] {
  return JSON.parse(readFileSync(shared('stratus-red-team', `aws.${technique}.json`), 'utf8'));
}

describe('resolvePrincipal', () => {
  it('takes the role ARN with its path from the session issuer, not the STS ARN', () => {
    const record = stratusRecords('credential-access.ec2-steal-instance-credentials').find(
      (candidate) => candidate.userIdentity?.type === 'AssumedRole',
    );

    const resolution = resolvePrincipal(record!.userIdentity);

    expect(resolution).toMatchObject({
      ok: true,
      principal: {
        kind: 'assumed-role',
        roleName: 'stratus-red-team-ec2-steal-credentials-role',
        rolePathKnown: true,
      },
    });
  });

  it('derives the role from the STS ARN when there is no session context, marking the path unknown', () => {
    const resolution = resolvePrincipal({
      type: 'AssumedRole',
      arn: 'arn:aws:sts::111122223333:assumed-role/Admin/alice',
      accountId: '111122223333',
    });

    expect(resolution).toMatchObject({
      ok: true,
      principal: {
        roleArn: 'arn:aws:iam::111122223333:role/Admin',
        rolePathKnown: false,
        sessionName: 'alice',
      },
    });
  });

  it('flags service-linked and Identity Center roles, which IAM cannot edit', () => {
    const issuer = (arn: string) => ({
      type: 'AssumedRole',
      arn: `arn:aws:sts::111122223333:assumed-role/${arn.split('/').pop()}/s`,
      sessionContext: { sessionIssuer: { arn } },
    });

    const linked = resolvePrincipal(
      issuer('arn:aws:iam::111122223333:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS'),
    );
    const sso = resolvePrincipal(
      issuer('arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123'),
    );

    expect(linked).toMatchObject({
      ok: true,
      principal: { serviceLinked: true, managedByIdentityCenter: false },
    });
    expect(sso).toMatchObject({
      ok: true,
      principal: { serviceLinked: false, managedByIdentityCenter: true },
    });
  });

  it('resolves service events that carry only accountId and invokedBy', () => {
    expect(
      resolvePrincipal({ accountId: '111122223333', invokedBy: 'cloudtrail.amazonaws.com' }),
    ).toMatchObject({
      ok: true,
      principal: { kind: 'aws-service', service: 'cloudtrail.amazonaws.com' },
    });
  });

  it('builds an IAM user ARN from the account and user name when CloudTrail gives no arn', () => {
    // The User Guide's console sign-in by an IAM user: userName and accountId, no arn.
    const line = readFileSync(
      shared('aws-docs', 'cloudtrail_user_guide_2023_json_examples.jsonl'),
      'utf8',
    ).split('\n')[2]!;
    const record = CloudTrailRecordSchema.parse((JSON.parse(line) as { json: unknown }).json);
    expect(record.userIdentity?.arn).toBeUndefined();

    expect(resolvePrincipal(record.userIdentity, record)).toEqual({
      ok: true,
      principal: {
        kind: 'iam-user',
        arn: 'arn:aws:iam::111122223333:user/anaya',
        userName: 'anaya',
        accountId: '111122223333',
        accessKeyId: null,
      },
    });
  });

  it('takes the account from recipientAccountId and the partition from the region when it must', () => {
    const resolution = resolvePrincipal(
      { type: 'IAMUser', userName: 'alice' },
      { recipientAccountId: '111122223333', awsRegion: 'us-gov-west-1' },
    );

    expect(resolution).toMatchObject({
      ok: true,
      principal: { arn: 'arn:aws-us-gov:iam::111122223333:user/alice', accountId: '111122223333' },
    });
    expect(
      ['cn-north-1', 'us-iso-east-1', 'us-isob-east-1', 'eu-west-1', null].map(partitionOfRegion),
    ).toEqual(['aws-cn', 'aws-iso', 'aws-iso-b', 'aws', 'aws']);
  });

  it('builds no ARN without a 12-digit account or from a name IAM would not accept', () => {
    for (const [identity, context] of [
      [{ type: 'IAMUser', userName: 'alice' }, {}],
      [{ type: 'IAMUser', userName: 'alice', accountId: 'recipientAccountId4' }, {}],
      [{ type: 'IAMUser', userName: 'a/../b', accountId: '111122223333' }, {}],
    ] as const)
      expect(resolvePrincipal(identity, context)).toMatchObject({
        ok: false,
        reason: expect.stringContaining('IAMUser without an arn'),
      });
  });

  it('names the reason when it cannot resolve', () => {
    expect(resolvePrincipal(undefined)).toEqual({ ok: false, reason: 'userIdentity is missing' });
    expect(resolvePrincipal({ type: 'IdentityCenterUser', arn: '' })).toEqual({
      ok: false,
      reason: 'IdentityCenterUser without onBehalfOf.userId',
    });
    expect(resolvePrincipal({ type: 'Martian' })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('Martian'),
    });
  });

  it('resolves Identity Center users through onBehalfOf', () => {
    const resolution = resolvePrincipal({
      type: 'IdentityCenterUser',
      accountId: '111122223333',
      onBehalfOf: {
        userId: '544894e8-80c1-707f-60e3-3ba6510dfac1',
        identityStoreArn: 'arn:aws:identitystore::111122223333:identitystore/d-9067642ac7',
      },
      credentialId: 'EXAMPLEVHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE',
    });

    expect(resolution).toMatchObject({
      ok: true,
      principal: { kind: 'identity-center-user', userId: '544894e8-80c1-707f-60e3-3ba6510dfac1' },
    });
  });
});
