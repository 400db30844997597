// The deployed IAM composition in an organisation: an enrolled member account is read through
// the member role assumed there (never with the stack's own credentials), an account not
// enrolled is refused before any call, and the stack's parameter names the role.
import 'aws-sdk-client-mock-vitest/extend';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  DeleteRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountNotEnrolledError } from '../../../../../lib/ports.ts';
import { deployedConfigFile, shippedConfig } from '../../../../fixtures/config.ts';

const HOME = '111122223333';
const MEMBER = '222233334444';
const iam = mockClient(IAMClient);
const sts = mockClient(STSClient);
const saved = { ...process.env };

beforeAll(async () => {
  const config = await shippedConfig();
  const file = await deployedConfigFile({
    ...config,
    accounts: { memberRoleName: 'from-the-file', enrolled: [{ id: MEMBER }] },
  });
  Object.assign(process.env, {
    REVOKER_CONFIG_FILE: file,
    REVOKER_ACCOUNT_ID: HOME,
    REVOKER_PARTITION: 'aws',
    REVOKER_MEMBER_ROLE_NAME: 'revoker-member',
    AWS_LAMBDA_FUNCTION_NAME: 'revoker-RevokeFunction-AbC123',
    AWS_REGION: 'us-east-1',
  });
  sts.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: 'ASIAMEMBER',
      SecretAccessKey: 's',
      SessionToken: 't',
      Expiration: new Date(Date.now() + 900_000),
    },
  });
  iam.on(GetRoleCommand).resolves({
    Role: {
      Arn: `arn:aws:iam::${MEMBER}:role/app-server`,
      Path: '/',
      RoleName: 'app-server',
      RoleId: 'AROA',
      CreateDate: new Date(),
    },
  });
  iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: [] });
  iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
  iam.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [] });
  iam.on(DeleteRolePolicyCommand).resolves({});
});
afterAll(() => {
  process.env = { ...saved };
});

describe('the deployed IAM gateway in an organisation', () => {
  it('reads a member account through the reader role, and changes it through the member role the stack names', async () => {
    const { iam: enrolledIam } = await import('../../../../../lib/compose/aws/iam.ts');
    const state = await (await enrolledIam()).readState({
      accountId: MEMBER,
      roles: ['app-server'],
      users: [],
      managedPolicies: [],
      identityCenter: false,
    });

    expect(state.roles['app-server']?.arn).toBe(`arn:aws:iam::${MEMBER}:role/app-server`);
    // The IAM calls are signed with the member role's credentials (the mock answers before signing: ask the client).
    const client = iam.call(0).thisValue as IAMClient;
    expect((await client.config.credentials()).accessKeyId).toBe('ASIAMEMBER');
    expect(sts).toHaveReceivedCommandExactlyOnceWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::${MEMBER}:role/revoker-member-reader`,
      RoleSessionName: 'revoker-RevokeFunction-AbC123',
    });

    // A change: only now is the member role itself assumed, and the change signed with it.
    await (await enrolledIam()).perform(MEMBER, {
      action: 'delete-role-policy',
      input: { roleName: 'app-server', policyName: 'orders' },
    });
    const changer = iam.commandCalls(DeleteRolePolicyCommand)[0]!.thisValue as IAMClient;
    expect(changer).not.toBe(client);
    await changer.config.credentials();
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::${MEMBER}:role/revoker-member`,
      RoleSessionName: 'revoker-RevokeFunction-AbC123',
    });
  });

  it('refuses its own account (not enrolled here) and any other, before any call', async () => {
    const { iam: enrolledIam } = await import('../../../../../lib/compose/aws/iam.ts');
    const gateways = await enrolledIam();
    iam.resetHistory();
    sts.resetHistory();
    for (const accountId of [HOME, '999999999999'])
      await expect(
        gateways.readState({
          accountId,
          roles: ['app-server'],
          users: [],
          managedPolicies: [],
          identityCenter: false,
        }),
      ).rejects.toThrow(AccountNotEnrolledError);
    expect(iam.calls()).toHaveLength(0);
    expect(sts.calls()).toHaveLength(0);
  });

  it('the template passes the partition and the member role name to every function', () => {
    const template = readFileSync(
      resolve(import.meta.dirname, '..', '..', '..', '..', '..', 'template.yaml'),
      'utf8',
    );
    expect(template).toContain('REVOKER_PARTITION: !Ref AWS::Partition');
    expect(template).toContain('REVOKER_MEMBER_ROLE_NAME: !Ref MemberRoleName');
  });
});
