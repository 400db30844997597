import 'aws-sdk-client-mock-vitest/extend';
import {
  ConcurrentModificationException,
  CreatePolicyCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  IAMClient,
  LimitExceededException,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  ListServiceSpecificCredentialsCommand,
  ListSigningCertificatesCommand,
  ListSSHPublicKeysCommand,
  ListUserPoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  DeleteAccountAssignmentCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  DescribePermissionSetProvisioningStatusCommand,
  ProvisionPermissionSetCommand,
  PutInlinePolicyToPermissionSetCommand,
  SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AwsIamGateway,
  IamLimitExceededError,
  IdentityCenterChangeError,
} from '../../../../lib/aws/iam-gateway.ts';
import { ActionTargetMissingError } from '../../../../lib/domain/revocation/actions.ts';

const iam = mockClient(IAMClient);
const sso = mockClient(SSOAdminClient);
const ACCOUNT = '111122223333';
const TRUST =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}';
const DENY =
  '{"Version":"2012-10-17","Statement":[{"Sid":"RevokerDenyAll","Effect":"Deny","Action":"*","Resource":"*"}]}';
const missing = (what: string) =>
  new NoSuchEntityException({ message: `The ${what} cannot be found.`, $metadata: {} });

function gateway(jitters: number[] = []) {
  const sleeps: number[] = [];
  const adapter = new AwsIamGateway(new IAMClient({}), new SSOAdminClient({}), {
    identityCenterInstanceArn: 'arn:aws:sso:::instance/ssoins-1',
    jitter: () => jitters.shift() ?? 0,
    sleep: async (millis) => void sleeps.push(millis),
    now: () => sleeps.reduce((total, millis) => total + millis, 0),
  });
  return { adapter, sleeps };
}
const scope = {
  accountId: ACCOUNT,
  roles: [] as string[],
  users: [] as string[],
  managedPolicies: [] as string[],
  identityCenter: false,
};

beforeEach(() => {
  iam.reset();
  sso.reset();
});

describe('AwsIamGateway.readState', () => {
  it('reads a role: trust policy and inline policies URL-decoded, every page, attached policies, instance profiles', async () => {
    iam.on(GetRoleCommand, { RoleName: 'app-server' }).resolves({
      Role: {
        RoleName: 'app-server',
        RoleId: 'AROAEXAMPLE',
        Arn: `arn:aws:iam::${ACCOUNT}:role/service/app-server`,
        Path: '/service/',
        CreateDate: new Date(0),
        AssumeRolePolicyDocument: encodeURIComponent(TRUST),
        Tags: [{ Key: 'team', Value: 'orders' }],
      },
    });
    iam
      .on(ListRolePoliciesCommand, { RoleName: 'app-server', Marker: undefined })
      .resolves({ PolicyNames: ['read-orders'], IsTruncated: true, Marker: 'next' })
      .on(ListRolePoliciesCommand, { RoleName: 'app-server', Marker: 'next' })
      .resolves({ PolicyNames: ['revoker-revocation'], IsTruncated: false });
    iam.on(GetRolePolicyCommand).callsFake((input: { PolicyName: string }) => ({
      RoleName: 'app-server',
      PolicyName: input.PolicyName,
      PolicyDocument: encodeURIComponent(
        input.PolicyName === 'revoker-revocation' ? DENY : '{"Statement":[]}',
      ),
    }));
    iam.on(ListAttachedRolePoliciesCommand).resolves({
      AttachedPolicies: [
        { PolicyName: 'SSM', PolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore' },
      ],
    });
    iam.on(ListInstanceProfilesForRoleCommand).resolves({
      InstanceProfiles: [
        {
          InstanceProfileName: 'app-server',
          InstanceProfileId: 'AIPA',
          Arn: 'x',
          Path: '/',
          Roles: [],
          CreateDate: new Date(0),
        },
      ],
    });
    iam.on(GetPolicyCommand).rejects(missing('policy'));
    const ownPolicy = `arn:aws:iam::${ACCOUNT}:policy/revoker/revoker-revocation-role-app-server`;

    const state = await gateway().adapter.readState({
      ...scope,
      roles: ['app-server'],
      managedPolicies: [ownPolicy],
    });

    expect(state.roles['app-server']).toEqual({
      arn: `arn:aws:iam::${ACCOUNT}:role/service/app-server`,
      path: '/service/',
      tags: { team: 'orders' },
      trustPolicy: TRUST,
      inlinePolicies: { 'read-orders': '{"Statement":[]}', 'revoker-revocation': DENY },
      attachedPolicies: ['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore'],
      instanceProfiles: ['app-server'],
    });
    expect(state.managedPolicies).toEqual({});
    expect(iam).toHaveReceivedCommandTimes(ListRolePoliciesCommand, 2);
    expect(iam).toHaveReceivedCommandWith(GetPolicyCommand, { PolicyArn: ownPolicy });
  });

  it('reads a user’s keys, certificates, SSH keys and service credentials; no login profile is not an error', async () => {
    iam.on(GetUserCommand).resolves({
      User: {
        UserName: 'alice',
        UserId: 'AIDA',
        Arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
        Path: '/',
        CreateDate: new Date(0),
      },
    });
    iam.on(ListUserPoliciesCommand).resolves({ PolicyNames: [] });
    iam.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [] });
    iam.on(ListAccessKeysCommand).resolves({
      AccessKeyMetadata: [
        { AccessKeyId: 'AKIAEXAMPLEALICE0001', Status: 'Active' },
        { AccessKeyId: 'AKIAEXAMPLEALICE0002', Status: 'Inactive' },
      ],
    });
    iam.on(ListSigningCertificatesCommand).resolves({ Certificates: [] });
    iam.on(ListSSHPublicKeysCommand).resolves({
      SSHPublicKeys: [
        { UserName: 'alice', SSHPublicKeyId: 'APKAEXAMPLE0001', Status: 'Active', UploadDate: new Date(0) },
      ],
    });
    iam.on(ListServiceSpecificCredentialsCommand).resolves({ ServiceSpecificCredentials: [] });
    iam.on(GetLoginProfileCommand).rejects(missing('login profile'));

    const state = await gateway().adapter.readState({ ...scope, users: ['alice'] });

    expect(state.users.alice).toMatchObject({
      accessKeys: [
        { accessKeyId: 'AKIAEXAMPLEALICE0001', status: 'Active' },
        { accessKeyId: 'AKIAEXAMPLEALICE0002', status: 'Inactive' },
      ],
      sshPublicKeys: [{ sshPublicKeyId: 'APKAEXAMPLE0001', status: 'Active' }],
      hasLoginProfile: false,
    });
  });

  it('leaves out a role deleted meanwhile, so the plan can say so', async () => {
    iam.on(GetRoleCommand).rejects(missing('role with name app-server'));

    expect((await gateway().adapter.readState({ ...scope, roles: ['app-server'] })).roles).toEqual({});
  });
});

describe('AwsIamGateway.perform', () => {
  const put = {
    action: 'put-role-policy',
    input: { roleName: 'app-server', policyName: 'revoker-revocation', policyDocument: DENY },
  } as const;

  it('sends exactly the catalog’s change, retrying concurrent modification with jittered waits', async () => {
    iam
      .on(PutRolePolicyCommand)
      .rejectsOnce(new ConcurrentModificationException({ message: 'busy', $metadata: {} }))
      .rejectsOnce(new ConcurrentModificationException({ message: 'busy', $metadata: {} }))
      .resolves({});
    const { adapter, sleeps } = gateway([0, 0.5]);

    await adapter.perform(ACCOUNT, put);

    expect(iam).toHaveReceivedCommandTimes(PutRolePolicyCommand, 3);
    expect(iam).toHaveReceivedCommandWith(PutRolePolicyCommand, {
      RoleName: 'app-server',
      PolicyName: 'revoker-revocation',
      PolicyDocument: DENY,
    });
    // Each wait in the upper half of its doubling step: 200–400 ms, then 400–800 ms.
    expect(sleeps).toEqual([200, 600]);
  });

  it('leaves throttling to the SDK’s retry strategy: no call is retried twice over', async () => {
    iam.on(PutRolePolicyCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));

    await expect(gateway().adapter.perform(ACCOUNT, put)).rejects.toThrow('Rate exceeded');
    expect(iam).toHaveReceivedCommandTimes(PutRolePolicyCommand, 1);
  });

  it('refuses a change in an account its credentials are not for', async () => {
    const adapter = new AwsIamGateway(new IAMClient({}), null, { accountId: ACCOUNT });
    await expect(adapter.perform('999999999999', put)).rejects.toThrow(
      'account 999999999999 is not enrolled',
    );
    expect(iam).toHaveReceivedCommandTimes(PutRolePolicyCommand, 0);
  });

  it('names a principal deleted meanwhile, and a full quota, without retrying', async () => {
    iam.on(PutRolePolicyCommand).rejects(missing('role with name app-server'));
    await expect(gateway().adapter.perform(ACCOUNT, put)).rejects.toThrow(ActionTargetMissingError);

    iam.reset();
    iam
      .on(PutRolePolicyCommand)
      .rejects(
        new LimitExceededException({ message: 'Maximum policy size of 10240 bytes exceeded', $metadata: {} }),
      );
    await expect(gateway().adapter.perform(ACCOUNT, put)).rejects.toThrow(IamLimitExceededError);
    expect(iam).toHaveReceivedCommandTimes(PutRolePolicyCommand, 1);
  });

  it('deactivates an access key, never deletes it', async () => {
    iam.on(UpdateAccessKeyCommand).resolves({});

    await gateway().adapter.perform(ACCOUNT, {
      action: 'update-access-key',
      input: { userName: 'alice', accessKeyId: 'AKIAEXAMPLEALICE0001', status: 'Inactive' },
    });

    expect(iam).toHaveReceivedCommandExactlyOnceWith(UpdateAccessKeyCommand, {
      UserName: 'alice',
      AccessKeyId: 'AKIAEXAMPLEALICE0001',
      Status: 'Inactive',
    });
  });

  it('creates its managed policy under /revoker/ and deletes it with its old versions', async () => {
    const policyArn = `arn:aws:iam::${ACCOUNT}:policy/revoker/revoker-revocation-role-app-server`;
    iam.on(CreatePolicyCommand).resolves({});
    iam.on(ListPolicyVersionsCommand).resolves({
      Versions: [
        { VersionId: 'v2', IsDefaultVersion: true },
        { VersionId: 'v1', IsDefaultVersion: false },
      ],
    });
    iam.on(DeletePolicyVersionCommand).resolves({});
    iam.on(DeletePolicyCommand).resolves({});
    const { adapter } = gateway();

    await adapter.perform(ACCOUNT, {
      action: 'create-policy',
      input: { policyArn, policyName: 'revoker-revocation-role-app-server', policyDocument: DENY },
    });
    await adapter.perform(ACCOUNT, { action: 'delete-policy', input: { policyArn } });

    expect(iam).toHaveReceivedCommandWith(CreatePolicyCommand, {
      PolicyName: 'revoker-revocation-role-app-server',
      Path: '/revoker/',
      PolicyDocument: DENY,
    });
    expect(iam).toHaveReceivedCommandExactlyOnceWith(DeletePolicyVersionCommand, {
      PolicyArn: policyArn,
      VersionId: 'v1',
    });
    expect(iam).toHaveReceivedCommandExactlyOnceWith(DeletePolicyCommand, { PolicyArn: policyArn });
  });

  it('writes a permission set’s policy, provisions it, and waits until provisioning succeeds', async () => {
    sso.on(PutInlinePolicyToPermissionSetCommand).resolves({});
    sso
      .on(ProvisionPermissionSetCommand)
      .resolves({ PermissionSetProvisioningStatus: { RequestId: 'req-1', Status: 'IN_PROGRESS' } });
    sso
      .on(DescribePermissionSetProvisioningStatusCommand)
      .resolvesOnce({ PermissionSetProvisioningStatus: { Status: 'IN_PROGRESS' } })
      .resolves({ PermissionSetProvisioningStatus: { Status: 'SUCCEEDED' } });
    const { adapter, sleeps } = gateway();
    const input = {
      instanceArn: 'arn:aws:sso:::instance/ssoins-1',
      permissionSetArn: 'arn:aws:sso:::permissionSet/ssoins-1/ps-admin',
      inlinePolicy: DENY,
    };

    await adapter.perform(ACCOUNT, { action: 'put-permission-set-policy', input });

    expect(sso).toHaveReceivedCommandWith(PutInlinePolicyToPermissionSetCommand, {
      InstanceArn: input.instanceArn,
      PermissionSetArn: input.permissionSetArn,
      InlinePolicy: DENY,
    });
    expect(sso).toHaveReceivedCommandWith(ProvisionPermissionSetCommand, {
      InstanceArn: input.instanceArn,
      PermissionSetArn: input.permissionSetArn,
      TargetType: 'ALL_PROVISIONED_ACCOUNTS',
    });
    expect(sso).toHaveReceivedCommandWith(DescribePermissionSetProvisioningStatusCommand, {
      ProvisionPermissionSetRequestId: 'req-1',
    });
    expect(sleeps).toEqual([500]);
  });

  it('reports an assignment deletion Identity Center says FAILED', async () => {
    sso
      .on(DeleteAccountAssignmentCommand)
      .resolves({ AccountAssignmentDeletionStatus: { RequestId: 'req-2', Status: 'IN_PROGRESS' } });
    sso.on(DescribeAccountAssignmentDeletionStatusCommand).resolves({
      AccountAssignmentDeletionStatus: {
        Status: 'FAILED',
        FailureReason: 'Received a 404 status error: Not supported',
      },
    });

    await expect(
      gateway().adapter.perform(ACCOUNT, {
        action: 'delete-account-assignment',
        input: {
          instanceArn: 'arn:aws:sso:::instance/ssoins-1',
          accountId: ACCOUNT,
          permissionSetArn: 'arn:aws:sso:::permissionSet/ssoins-1/ps-admin',
          principalType: 'USER',
          principalId: 'user-1',
        },
      }),
    ).rejects.toThrow(
      new IdentityCenterChangeError(
        'Identity Center assignment deletion failed: Received a 404 status error: Not supported',
      ),
    );
    expect(sso).toHaveReceivedCommandWith(DeleteAccountAssignmentCommand, {
      TargetId: ACCOUNT,
      TargetType: 'AWS_ACCOUNT',
      PrincipalType: 'USER',
      PrincipalId: 'user-1',
    });
  });
});
