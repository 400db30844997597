// Every action of the revocation catalog, walked through the AWS adapter with the catalog's own
// example: the exact command each sends. The table below is typed by the catalog, so an action
// added there does not compile here until its command is written down.
import 'aws-sdk-client-mock-vitest/extend';
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  DeletePolicyCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  IAMClient,
  ListPolicyVersionsCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  UpdateAccessKeyCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateServiceSpecificCredentialCommand,
  UpdateSigningCertificateCommand,
  UpdateSSHPublicKeyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateAccountAssignmentCommand,
  DeleteAccountAssignmentCommand,
  DeleteInlinePolicyFromPermissionSetCommand,
  DescribeAccountAssignmentCreationStatusCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  DescribePermissionSetProvisioningStatusCommand,
  ProvisionPermissionSetCommand,
  PutInlinePolicyToPermissionSetCommand,
  SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsIamGateway } from '../../../../lib/aws/iam-gateway.ts';
import {
  ACTIONS,
  type ActionName,
  type InputOf,
  type RevocationAction,
} from '../../../../lib/domain/revocation/actions.ts';
import { ACTION_EXAMPLES } from '../../../fixtures/revocation-actions.ts';

const iam = mockClient(IAMClient);
const sso = mockClient(SSOAdminClient);
const ACCOUNT = '111122223333';

// biome-ignore lint/suspicious/noExplicitAny: each entry names its own SDK command class.
type Sent = { client: 'iam' | 'sso'; command: new (input: any) => unknown; input: Record<string, unknown> };

const SENDS: { [K in ActionName]: (input: InputOf<K>) => Sent } = {
  'put-role-policy': (i) => ({
    client: 'iam',
    command: PutRolePolicyCommand,
    input: { RoleName: i.roleName, PolicyName: i.policyName, PolicyDocument: i.policyDocument },
  }),
  'delete-role-policy': (i) => ({
    client: 'iam',
    command: DeleteRolePolicyCommand,
    input: { RoleName: i.roleName, PolicyName: i.policyName },
  }),
  'attach-role-policy': (i) => ({
    client: 'iam',
    command: AttachRolePolicyCommand,
    input: { RoleName: i.roleName, PolicyArn: i.policyArn },
  }),
  'detach-role-policy': (i) => ({
    client: 'iam',
    command: DetachRolePolicyCommand,
    input: { RoleName: i.roleName, PolicyArn: i.policyArn },
  }),
  'put-user-policy': (i) => ({
    client: 'iam',
    command: PutUserPolicyCommand,
    input: { UserName: i.userName, PolicyName: i.policyName, PolicyDocument: i.policyDocument },
  }),
  'delete-user-policy': (i) => ({
    client: 'iam',
    command: DeleteUserPolicyCommand,
    input: { UserName: i.userName, PolicyName: i.policyName },
  }),
  'attach-user-policy': (i) => ({
    client: 'iam',
    command: AttachUserPolicyCommand,
    input: { UserName: i.userName, PolicyArn: i.policyArn },
  }),
  'detach-user-policy': (i) => ({
    client: 'iam',
    command: DetachUserPolicyCommand,
    input: { UserName: i.userName, PolicyArn: i.policyArn },
  }),
  'remove-role-from-instance-profile': (i) => ({
    client: 'iam',
    command: RemoveRoleFromInstanceProfileCommand,
    input: { RoleName: i.roleName, InstanceProfileName: i.instanceProfileName },
  }),
  'add-role-to-instance-profile': (i) => ({
    client: 'iam',
    command: AddRoleToInstanceProfileCommand,
    input: { RoleName: i.roleName, InstanceProfileName: i.instanceProfileName },
  }),
  'update-assume-role-policy': (i) => ({
    client: 'iam',
    command: UpdateAssumeRolePolicyCommand,
    input: { RoleName: i.roleName, PolicyDocument: i.policyDocument },
  }),
  'update-access-key': (i) => ({
    client: 'iam',
    command: UpdateAccessKeyCommand,
    input: { UserName: i.userName, AccessKeyId: i.accessKeyId, Status: i.status },
  }),
  'update-signing-certificate': (i) => ({
    client: 'iam',
    command: UpdateSigningCertificateCommand,
    input: { UserName: i.userName, CertificateId: i.certificateId, Status: i.status },
  }),
  'update-ssh-public-key': (i) => ({
    client: 'iam',
    command: UpdateSSHPublicKeyCommand,
    input: { UserName: i.userName, SSHPublicKeyId: i.sshPublicKeyId, Status: i.status },
  }),
  'update-service-specific-credential': (i) => ({
    client: 'iam',
    command: UpdateServiceSpecificCredentialCommand,
    input: {
      UserName: i.userName,
      ServiceSpecificCredentialId: i.serviceSpecificCredentialId,
      Status: i.status,
    },
  }),
  'create-policy': (i) => ({
    client: 'iam',
    command: CreatePolicyCommand,
    input: { PolicyName: i.policyName, Path: '/revoker/', PolicyDocument: i.policyDocument },
  }),
  'delete-policy': (i) => ({
    client: 'iam',
    command: DeletePolicyCommand,
    input: { PolicyArn: i.policyArn },
  }),
  'put-permission-set-policy': (i) => ({
    client: 'sso',
    command: PutInlinePolicyToPermissionSetCommand,
    input: { InstanceArn: i.instanceArn, PermissionSetArn: i.permissionSetArn, InlinePolicy: i.inlinePolicy },
  }),
  'delete-permission-set-policy': (i) => ({
    client: 'sso',
    command: DeleteInlinePolicyFromPermissionSetCommand,
    input: { InstanceArn: i.instanceArn, PermissionSetArn: i.permissionSetArn },
  }),
  'delete-account-assignment': (i) => ({
    client: 'sso',
    command: DeleteAccountAssignmentCommand,
    input: {
      InstanceArn: i.instanceArn,
      TargetId: i.accountId,
      TargetType: 'AWS_ACCOUNT',
      PermissionSetArn: i.permissionSetArn,
      PrincipalType: i.principalType,
      PrincipalId: i.principalId,
    },
  }),
  'create-account-assignment': (i) => ({
    client: 'sso',
    command: CreateAccountAssignmentCommand,
    input: {
      InstanceArn: i.instanceArn,
      TargetId: i.accountId,
      TargetType: 'AWS_ACCOUNT',
      PermissionSetArn: i.permissionSetArn,
      PrincipalType: i.principalType,
      PrincipalId: i.principalId,
    },
  }),
};

beforeEach(() => {
  iam.reset();
  sso.reset();
  iam.onAnyCommand().resolves({});
  iam.on(ListPolicyVersionsCommand).resolves({ Versions: [{ VersionId: 'v1', IsDefaultVersion: true }] });
  const done = { RequestId: 'req-1', Status: 'SUCCEEDED' as const };
  sso.onAnyCommand().resolves({});
  sso.on(ProvisionPermissionSetCommand).resolves({ PermissionSetProvisioningStatus: done });
  sso.on(DescribePermissionSetProvisioningStatusCommand).resolves({ PermissionSetProvisioningStatus: done });
  sso.on(DeleteAccountAssignmentCommand).resolves({ AccountAssignmentDeletionStatus: done });
  sso.on(DescribeAccountAssignmentDeletionStatusCommand).resolves({ AccountAssignmentDeletionStatus: done });
  sso.on(CreateAccountAssignmentCommand).resolves({ AccountAssignmentCreationStatus: done });
  sso.on(DescribeAccountAssignmentCreationStatusCommand).resolves({ AccountAssignmentCreationStatus: done });
});

describe('every catalog action through the AWS adapter', () => {
  it.each(Object.keys(ACTIONS) as ActionName[])(
    '%s sends its command, with the catalog example’s values',
    async (name) => {
      const input = ACTION_EXAMPLES[name].input;
      const expected = (SENDS[name] as (input: unknown) => Sent)(input);
      const adapter = new AwsIamGateway(new IAMClient({}), new SSOAdminClient({}), {
        accountId: ACCOUNT,
        sleep: async () => {},
      });

      await adapter.perform(ACCOUNT, { action: name, input } as RevocationAction);

      const client = expected.client === 'iam' ? iam : sso;
      expect(client).toHaveReceivedCommandWith(expected.command as never, expected.input as never);
      // And nothing of the other service.
      expect((expected.client === 'iam' ? sso : iam).calls()).toHaveLength(0);
    },
  );
});
