// IAM in each enrolled account: the stack's own credentials at home (when it acts there), the
// member role elsewhere (assumed on first use through STS, renewed before it expires); any
// other account is refused before a call is made (the case goes to a human with the reason).
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { assumedRoleCredentials, sessionNameFor } from '../../aws/assumed-role.ts';
import { AwsIamGateway } from '../../aws/iam-gateway.ts';
import { EnrolledIam } from '../../enrolled-iam.ts';
import { config, once, optionalSetting, setting } from './deployed.ts';
import { IAM_RETRIES, ssoAdmin } from './sso-admin.ts';

const stsClient = once(() => new STSClient({}));
const iamClient = once(() => new IAMClient(IAM_RETRIES));

export const iam = once(async (): Promise<EnrolledIam> => {
  const { accounts } = await config();
  const identityCenterInstanceArn = optionalSetting('IDENTITY_CENTER_INSTANCE_ARN');
  const home = { accountId: setting('REVOKER_ACCOUNT_ID'), partition: setting('REVOKER_PARTITION') };
  const sessionName = sessionNameFor(optionalSetting('AWS_LAMBDA_FUNCTION_NAME') ?? 'revoker');
  const assumed = (roleArn: string) =>
    new IAMClient({
      ...IAM_RETRIES,
      credentials: assumedRoleCredentials(stsClient(), roleArn, sessionName),
    });
  return new EnrolledIam(accounts, home, (accountId, enrolment) =>
    // Identity Center is administered from this stack's account (its delegated administrator).
    // In a member account, reads go through the reader role, changes through the member role
    // (assumed only when a change is made, and only functions that revoke may assume it).
    enrolment.kind === 'own'
      ? new AwsIamGateway(iamClient(), identityCenterInstanceArn ? ssoAdmin() : null, {
          accountId,
          ...(identityCenterInstanceArn ? { identityCenterInstanceArn } : {}),
        })
      : new AwsIamGateway(assumed(enrolment.readerRoleArn), identityCenterInstanceArn ? ssoAdmin() : null, {
          accountId,
          writer: assumed(enrolment.roleArn),
          ...(identityCenterInstanceArn ? { identityCenterInstanceArn } : {}),
        }),
  );
});
