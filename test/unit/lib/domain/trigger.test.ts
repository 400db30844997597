import { describe, expect, it } from 'vitest';
import { caseIdFor, executionNameOf } from '../../../../lib/domain/case.ts';
import { resolvePrincipal } from '../../../../lib/domain/principal.ts';
import { instanceCredentialsIamEscalation } from '../../../../lib/domain/rules.ts';
import { buildTrigger, InvalidTriggerError } from '../../../../lib/domain/trigger.ts';
import { stolenInstanceCredentialsGrant } from '../../../fixtures/records.ts';

function triggerFor(record: ReturnType<typeof stolenInstanceCredentialsGrant>) {
  const resolution = resolvePrincipal(record.userIdentity);
  if (!resolution.ok) throw new Error(resolution.reason);
  return buildTrigger(instanceCredentialsIamEscalation, record, resolution.principal);
}

describe('buildTrigger', () => {
  it('gives every call by the same credentials the same credential, whose case has a valid execution name', () => {
    const attach = triggerFor(stolenInstanceCredentialsGrant());
    const createUser = triggerFor(
      stolenInstanceCredentialsGrant({ eventName: 'CreateUser', eventID: 'other' }),
    );

    expect(createUser.credentialId).toBe(attach.credentialId);
    expect(executionNameOf(caseIdFor(attach.credentialId, attach.eventId!))).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('gives other credentials another case', () => {
    const record = stolenInstanceCredentialsGrant();
    const other = triggerFor({
      ...record,
      userIdentity: { ...record.userIdentity, accessKeyId: 'ASIAOTHERKEY00000000' },
    });

    expect(other.credentialId).not.toBe(triggerFor(record).credentialId);
  });

  it('carries the role, the session and where the call came from', () => {
    expect(triggerFor(stolenInstanceCredentialsGrant())).toMatchObject({
      region: 'us-east-1',
      sourceIp: '18.236.253.47',
      target: {
        accountId: '017622104382',
        roleArn: 'arn:aws:iam::017622104382:role/stratus-red-team-ec2-steal-credentials-role',
        sessionName: 'i-786a3A8B5C0d92eF4',
        sessionIssuedAt: '2024-08-02T08:20:52Z',
      },
    });
  });

  it('rejects, with the field, a record that cannot open a case', () => {
    // Stratus anonymises regions; a case must not guess which region's logs to verify.
    const anonymised = stolenInstanceCredentialsGrant({ awsRegion: 'us-north-2r' });

    expect(() => triggerFor(anonymised)).toThrow(InvalidTriggerError);
    expect(() => triggerFor(anonymised)).toThrow(/field region: a region such as us-east-1/);
    expect(() => triggerFor(stolenInstanceCredentialsGrant({ awsRegion: null }))).toThrow(/field region/);
  });

  it('opens no case for a call by an AWS service: there is no principal of ours to revoke', () => {
    const byService = stolenInstanceCredentialsGrant({
      userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' },
    });

    expect(() => triggerFor(byService)).toThrow(
      `rule ${instanceCredentialsIamEscalation.id} matched a call by a principal of kind aws-service; revoker opens cases for role sessions, IAM users and root`,
    );
  });
});
