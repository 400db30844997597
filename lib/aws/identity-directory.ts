// Identity Center for offboarding: who an identity store user ID is (DescribeUser) and the
// accounts where they hold an assignment (ListAccountAssignmentsForPrincipal), so a user
// removed in Identity Center is offboarded from every account they could reach.
import {
  DescribeUserCommand,
  type IdentitystoreClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-identitystore';
import {
  ListInstancesCommand,
  paginateListAccountAssignmentsForPrincipal,
  type SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import type { DirectoryUser, IdentityDirectory } from '../ports.ts';

export class AwsIdentityDirectory implements IdentityDirectory {
  constructor(
    private readonly identityStore: IdentitystoreClient,
    private readonly ssoAdmin: SSOAdminClient,
  ) {}

  async lookUp(identityStoreId: string | null, userId: string): Promise<DirectoryUser | null> {
    const { Instances = [] } = await this.ssoAdmin.send(new ListInstancesCommand({}));
    const instance = identityStoreId
      ? Instances.find((candidate) => candidate.IdentityStoreId === identityStoreId)
      : Instances[0];
    if (!instance?.IdentityStoreId || !instance.InstanceArn) return null;
    let userName: string | undefined;
    try {
      ({ UserName: userName } = await this.identityStore.send(
        new DescribeUserCommand({ IdentityStoreId: instance.IdentityStoreId, UserId: userId }),
      ));
    } catch (error) {
      // A deleted user is gone from the store, name and all.
      if (error instanceof ResourceNotFoundException) return null;
      throw error;
    }
    if (!userName) return null;
    const accountIds = new Set<string>();
    for await (const page of paginateListAccountAssignmentsForPrincipal(
      { client: this.ssoAdmin },
      { InstanceArn: instance.InstanceArn, PrincipalId: userId, PrincipalType: 'USER' },
    )) {
      for (const assignment of page.AccountAssignments ?? [])
        if (assignment.AccountId) accountIds.add(assignment.AccountId);
    }
    return { userName, accountIds: [...accountIds].sort() };
  }
}
