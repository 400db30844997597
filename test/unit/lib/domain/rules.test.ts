import { describe, expect, it } from 'vitest';
import { resolvePrincipal } from '../../../../lib/domain/principal.ts';
import { instanceCredentialsIamEscalation, matchingRules } from '../../../../lib/domain/rules.ts';
import { readRecordFiles } from '../../../../lib/local/record-files.ts';
import { SHARED_CLOUDTRAIL } from '../../../fixtures/paths.ts';
import { stolenInstanceCredentialsGrant, stratusRoleRecord } from '../../../fixtures/records.ts';

function principalOf(record: ReturnType<typeof stolenInstanceCredentialsGrant>) {
  const resolution = resolvePrincipal(record.userIdentity);
  if (!resolution.ok) throw new Error(resolution.reason);
  return resolution.principal;
}

describe('instance-credentials-iam-escalation', () => {
  it('fires when stolen instance credentials grant IAM access', () => {
    const record = stolenInstanceCredentialsGrant();

    expect(instanceCredentialsIamEscalation.matches(record, principalOf(record))).toBe(true);
  });

  it('stays quiet when the grant was refused, or the call grants nothing', () => {
    const denied = stolenInstanceCredentialsGrant({ errorCode: 'AccessDenied' });
    const recon = stratusRoleRecord('credential-access.ec2-steal-instance-credentials');

    expect(instanceCredentialsIamEscalation.matches(denied, principalOf(denied))).toBe(false);
    expect(instanceCredentialsIamEscalation.matches(recon, principalOf(recon))).toBe(false);
  });

  it('stays quiet when the role session is not an instance', () => {
    const record = stolenInstanceCredentialsGrant();
    const person = {
      ...record,
      userIdentity: {
        ...record.userIdentity,
        arn: 'arn:aws:sts::017622104382:assumed-role/stratus-red-team-ec2-steal-credentials-role/alice',
        sessionContext: { ...record.userIdentity?.sessionContext, ec2RoleDelivery: null },
      },
    };

    expect(instanceCredentialsIamEscalation.matches(person, principalOf(person))).toBe(false);
  });

  it('fires on none of the real shared records, none of which is an IAM grant by an instance', async () => {
    const fired: string[] = [];
    for await (const entry of readRecordFiles([SHARED_CLOUDTRAIL])) {
      if (entry.kind !== 'parsed' || !entry.principal.ok) continue;
      if (matchingRules(entry.record, entry.principal.principal).length > 0)
        fired.push(`${entry.file}#${entry.index}`);
    }

    expect(fired).toEqual([]);
  });
});
