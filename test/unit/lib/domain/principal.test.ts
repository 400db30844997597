import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { UserIdentity } from '../../../../lib/domain/cloudtrail.ts';
import { resolvePrincipal } from '../../../../lib/domain/principal.ts';
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
