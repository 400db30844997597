import 'aws-sdk-client-mock-vitest/extend';
import {
  DescribeUserCommand,
  IdentitystoreClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-identitystore';
import {
  ListAccountAssignmentsForPrincipalCommand,
  ListInstancesCommand,
  SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsIdentityDirectory } from '../../../../lib/aws/identity-directory.ts';

const identityStore = mockClient(IdentitystoreClient);
const ssoAdmin = mockClient(SSOAdminClient);
const INSTANCE = 'arn:aws:sso:::instance/ssoins-0123456789abcdef';
const USER_ID = '90676d7e5c-1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d';

beforeEach(() => {
  identityStore.reset();
  ssoAdmin.reset();
  ssoAdmin
    .on(ListInstancesCommand)
    .resolves({ Instances: [{ InstanceArn: INSTANCE, IdentityStoreId: 'd-9067abcdef' }] });
});

const directory = () => new AwsIdentityDirectory(new IdentitystoreClient({}), new SSOAdminClient({}));

describe('AwsIdentityDirectory', () => {
  it('names the user and lists each account they are assigned to once, across pages', async () => {
    identityStore
      .on(DescribeUserCommand)
      .resolves({ UserName: 'dana@example.com', UserId: USER_ID, IdentityStoreId: 'd-9067abcdef' });
    ssoAdmin
      .on(ListAccountAssignmentsForPrincipalCommand)
      .resolvesOnce({
        AccountAssignments: [{ AccountId: '444455556666' }, { AccountId: '111122223333' }],
        NextToken: 'page-2',
      })
      .resolvesOnce({ AccountAssignments: [{ AccountId: '111122223333' }] });

    const user = await directory().lookUp('d-9067abcdef', USER_ID);

    expect(user).toEqual({ userName: 'dana@example.com', accountIds: ['111122223333', '444455556666'] });
    expect(identityStore).toHaveReceivedCommandWith(DescribeUserCommand, {
      IdentityStoreId: 'd-9067abcdef',
      UserId: USER_ID,
    });
    expect(ssoAdmin).toHaveReceivedCommandWith(ListAccountAssignmentsForPrincipalCommand, {
      InstanceArn: INSTANCE,
      PrincipalId: USER_ID,
      PrincipalType: 'USER',
      NextToken: 'page-2',
    });
  });

  it('knows nobody the store no longer has, or in a store it does not manage', async () => {
    identityStore
      .on(DescribeUserCommand)
      .rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} } as never));

    await expect(directory().lookUp('d-9067abcdef', USER_ID)).resolves.toBeNull();
    await expect(directory().lookUp('d-0000000000', USER_ID)).resolves.toBeNull();
  });
});
