// The member role's credentials: the exact AssumeRole, one at a time, kept until shortly before
// they expire, and a failure not kept.
import 'aws-sdk-client-mock-vitest/extend';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { assumedRoleCredentials, sessionNameFor } from '../../../../lib/aws/assumed-role.ts';

const sts = mockClient(STSClient);
const ROLE = 'arn:aws:iam::222222222222:role/revoker-member';
const T0 = Date.parse('2026-01-15T12:00:00Z');

function issued(expiresAt: number, key = 'ASIAMEMBER') {
  return {
    Credentials: {
      AccessKeyId: key,
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: new Date(expiresAt),
    },
  };
}

beforeEach(() => sts.reset());

describe('assumedRoleCredentials', () => {
  it('assumes the member role once for concurrent calls, exactly as configured', async () => {
    sts.on(AssumeRoleCommand).resolves(issued(T0 + 900_000));
    const credentials = assumedRoleCredentials(new STSClient({}), ROLE, 'revoker-RevokeFunction', () => T0);
    const [a, b] = await Promise.all([credentials(), credentials()]);
    expect(a).toEqual(b);
    expect(a.accessKeyId).toBe('ASIAMEMBER');
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: ROLE,
      RoleSessionName: 'revoker-RevokeFunction',
      DurationSeconds: 900,
    });
  });

  it('keeps them until two minutes before they expire, then assumes the role again', async () => {
    let now = T0;
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(issued(T0 + 900_000, 'FIRST'))
      .resolvesOnce(issued(T0 + 1_800_000, 'SECOND'));
    const credentials = assumedRoleCredentials(new STSClient({}), ROLE, 'revoker', () => now);
    expect((await credentials()).accessKeyId).toBe('FIRST');
    now = T0 + 770_000;
    expect((await credentials()).accessKeyId).toBe('FIRST');
    now = T0 + 781_000;
    expect((await credentials()).accessKeyId).toBe('SECOND');
  });

  it('does not keep a failure: the next call asks again', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(new Error('AccessDenied'))
      .resolves(issued(T0 + 900_000));
    const credentials = assumedRoleCredentials(new STSClient({}), ROLE, 'revoker', () => T0);
    await expect(credentials()).rejects.toThrow('AccessDenied');
    expect((await credentials()).accessKeyId).toBe('ASIAMEMBER');
  });

  it('names the session after the function, within STS’s characters', () => {
    expect(sessionNameFor('revoker-RevokeFunction-AbC123')).toBe('revoker-RevokeFunction-AbC123');
    expect(sessionNameFor('a b/c')).toBe('a-b-c');
    expect(sessionNameFor('x')).toBe('revoker');
    expect(sessionNameFor('f'.repeat(80))).toHaveLength(64);
  });
});
