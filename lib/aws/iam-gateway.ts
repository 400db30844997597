// IAM (and IAM Identity Center) behind the IamGateway port: read the slice of the account a
// plan touches into the shared state model, and make each catalog action with the one API
// call IAM has for it. Throttling and concurrent modification are retried with backoff;
// a missing principal or policy and a quota hit become typed errors for a human.
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListPolicyVersionsCommand,
  ListServiceSpecificCredentialsCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  paginateListAccessKeys,
  paginateListAttachedRolePolicies,
  paginateListAttachedUserPolicies,
  paginateListInstanceProfilesForRole,
  paginateListRolePolicies,
  paginateListSigningCertificates,
  paginateListSSHPublicKeys,
  paginateListUserPolicies,
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
  DescribePermissionSetCommand,
  DescribePermissionSetProvisioningStatusCommand,
  GetInlinePolicyForPermissionSetCommand,
  ProvisionPermissionSetCommand,
  PutInlinePolicyToPermissionSetCommand,
  paginateListAccountAssignments,
  paginateListPermissionSetsProvisionedToAccount,
  type SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import {
  type IamAccountState,
  type IamScope,
  normalizeAccountState,
  type RoleState,
  type UserState,
} from '../domain/iam-state.ts';
import {
  type ActionName,
  ActionTargetMissingError,
  type InputOf,
  type RevocationAction,
} from '../domain/revocation/actions.ts';
import { AccountNotEnrolledError, type IamGateway } from '../ports.ts';
import { withRetries } from './retry.ts';

/**
 * What `readState` calls, as IAM permissions: every function that reads a principal's IAM
 * state needs these (the template grants them, and a test keeps the two equal).
 */
export const IAM_READ_PERMISSIONS = [
  'iam:GetRole',
  'iam:ListRolePolicies',
  'iam:GetRolePolicy',
  'iam:ListAttachedRolePolicies',
  'iam:ListInstanceProfilesForRole',
  'iam:GetUser',
  'iam:ListUserPolicies',
  'iam:GetUserPolicy',
  'iam:ListAttachedUserPolicies',
  'iam:ListAccessKeys',
  'iam:GetLoginProfile',
  'iam:ListSigningCertificates',
  'iam:ListSSHPublicKeys',
  'iam:ListServiceSpecificCredentials',
  'iam:GetPolicy',
  'iam:GetPolicyVersion',
  'iam:ListPolicyVersions',
  'sso:ListPermissionSetsProvisionedToAccount',
  'sso:DescribePermissionSet',
  'sso:GetInlinePolicyForPermissionSet',
  'sso:ListAccountAssignments',
] as const;

export interface IamGatewaySettings {
  /**
   * The account these credentials act in. A scope in any other account is refused: IAM names
   * principals without their account, so acting on it here would change the wrong principal.
   */
  accountId?: string;
  /** The IAM Identity Center instance, when Identity Center users are to be revoked. */
  identityCenterInstanceArn?: string;
  /** The client changes are made with, when it is not the one reads are made with (a member account's). */
  writer?: IAMClient;
  /** Attempts for a concurrently modified call before its error is passed on. */
  retryAttempts?: number;
  /** Spreads the waits between those attempts (Math.random; fixed in tests). */
  jitter?: () => number;
  /** How long to wait for Identity Center's asynchronous provisioning and assignment changes. */
  asyncDeadlineMillis?: number;
  sleep?: (millis: number) => Promise<void>;
  now?: () => number;
}

/** IAM refused because a quota is full (policies per role, versions per policy...). */
export class IamLimitExceededError extends Error {
  override name = 'IamLimitExceededError';
}

/** An Identity Center change that finished FAILED, or did not finish before the deadline. */
export class IdentityCenterChangeError extends Error {
  override name = 'IdentityCenterChangeError';
}

/**
 * What this adapter retries itself: another change to the same entity in flight. Throttling and
 * IAM's own failures are the SDK's retry strategy's (standard mode, with jitter; the clients
 * are given their attempts where they are made), so no call is retried twice over.
 */
const RETRIED = new Set(['ConcurrentModificationException', 'ConflictException']);
const MISSING = new Set(['NoSuchEntityException', 'NoSuchEntity', 'ResourceNotFoundException']);
const LIMIT = new Set(['LimitExceededException', 'LimitExceeded', 'ServiceQuotaExceededException']);

/** IAM returns policy documents URL-encoded. */
function decoded(document: string | undefined): string | null {
  return document === undefined ? null : decodeURIComponent(document);
}

async function collect<P, T>(pages: AsyncIterable<P>, items: (page: P) => T[] | undefined): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...(items(page) ?? []));
  return all;
}

export class AwsIamGateway implements IamGateway {
  private readonly sleep: (millis: number) => Promise<void>;
  private readonly now: () => number;

  constructor(
    private readonly iam: IAMClient,
    private readonly ssoAdmin: SSOAdminClient | null,
    private readonly settings: IamGatewaySettings = {},
  ) {
    this.sleep = settings.sleep ?? ((millis) => new Promise((resolve) => setTimeout(resolve, millis)));
    this.now = settings.now ?? Date.now;
  }

  /** These credentials act in one account: a name there is another principal than in any other. */
  private actsIn(accountId: string): void {
    if (this.settings.accountId !== undefined && accountId !== this.settings.accountId) {
      throw new AccountNotEnrolledError(
        `account ${accountId} is not enrolled: these credentials act in ${this.settings.accountId} only, where the same names are other principals`,
      );
    }
  }

  async readState(scope: IamScope): Promise<IamAccountState> {
    this.actsIn(scope.accountId);
    const roles: Record<string, RoleState> = {};
    for (const name of scope.roles) {
      const role = await this.readRole(name);
      if (role) roles[name] = role;
    }
    const users: Record<string, UserState> = {};
    for (const name of scope.users) {
      const user = await this.readUser(name);
      if (user) users[name] = user;
    }
    const managedPolicies: IamAccountState['managedPolicies'] = {};
    for (const arn of scope.managedPolicies) {
      const policy = await this.absentIfMissing(() =>
        this.call(() => this.iam.send(new GetPolicyCommand({ PolicyArn: arn }))),
      );
      if (!policy?.Policy?.DefaultVersionId) continue;
      const version = await this.call(() =>
        this.iam.send(
          new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy.Policy!.DefaultVersionId }),
        ),
      );
      managedPolicies[arn] = {
        name: policy.Policy.PolicyName ?? '',
        document: decoded(version.PolicyVersion?.Document) ?? '{}',
      };
    }
    return normalizeAccountState({
      accountId: scope.accountId,
      roles,
      users,
      managedPolicies,
      identityCenter: scope.identityCenter ? await this.readIdentityCenter(scope.accountId) : null,
    });
  }

  private async readRole(roleName: string): Promise<RoleState | null> {
    const found = await this.absentIfMissing(() =>
      this.call(() => this.iam.send(new GetRoleCommand({ RoleName: roleName }))),
    );
    if (!found?.Role) return null;
    const inlinePolicies = await this.readInlinePolicies(
      paginateListRolePolicies({ client: this.iam }, { RoleName: roleName }),
      (policyName) => this.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })),
    );
    const attached = await collect(
      paginateListAttachedRolePolicies({ client: this.iam }, { RoleName: roleName }),
      (page) => page.AttachedPolicies,
    );
    const profiles = await collect(
      paginateListInstanceProfilesForRole({ client: this.iam }, { RoleName: roleName }),
      (page) => page.InstanceProfiles,
    );
    return {
      arn: found.Role.Arn ?? '',
      path: found.Role.Path ?? '/',
      tags: Object.fromEntries((found.Role.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
      trustPolicy: decoded(found.Role.AssumeRolePolicyDocument),
      inlinePolicies,
      attachedPolicies: attached.flatMap((policy) => (policy.PolicyArn ? [policy.PolicyArn] : [])),
      instanceProfiles: profiles.flatMap((profile) =>
        profile.InstanceProfileName ? [profile.InstanceProfileName] : [],
      ),
    };
  }

  private async readUser(userName: string): Promise<UserState | null> {
    const found = await this.absentIfMissing(() =>
      this.call(() => this.iam.send(new GetUserCommand({ UserName: userName }))),
    );
    if (!found?.User) return null;
    const inlinePolicies = await this.readInlinePolicies(
      paginateListUserPolicies({ client: this.iam }, { UserName: userName }),
      (policyName) => this.iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: policyName })),
    );
    const attached = await collect(
      paginateListAttachedUserPolicies({ client: this.iam }, { UserName: userName }),
      (page) => page.AttachedPolicies,
    );
    const keys = await collect(
      paginateListAccessKeys({ client: this.iam }, { UserName: userName }),
      (page) => page.AccessKeyMetadata,
    );
    const certificates = await collect(
      paginateListSigningCertificates({ client: this.iam }, { UserName: userName }),
      (page) => page.Certificates,
    );
    const sshKeys = await collect(
      paginateListSSHPublicKeys({ client: this.iam }, { UserName: userName }),
      (page) => page.SSHPublicKeys,
    );
    const credentials = await this.call(() =>
      this.iam.send(new ListServiceSpecificCredentialsCommand({ UserName: userName })),
    );
    const loginProfile = await this.absentIfMissing(() =>
      this.call(() => this.iam.send(new GetLoginProfileCommand({ UserName: userName }))),
    );
    const status = (value: string | undefined) =>
      value === 'Inactive' ? ('Inactive' as const) : ('Active' as const);
    return {
      arn: found.User.Arn ?? '',
      tags: Object.fromEntries((found.User.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
      accessKeys: keys.map((key) => ({ accessKeyId: key.AccessKeyId ?? '', status: status(key.Status) })),
      inlinePolicies,
      attachedPolicies: attached.flatMap((policy) => (policy.PolicyArn ? [policy.PolicyArn] : [])),
      hasLoginProfile: loginProfile !== null,
      signingCertificates: certificates.map((certificate) => ({
        certificateId: certificate.CertificateId ?? '',
        status: status(certificate.Status),
      })),
      sshPublicKeys: sshKeys.map((key) => ({
        sshPublicKeyId: key.SSHPublicKeyId ?? '',
        status: status(key.Status),
      })),
      serviceSpecificCredentials: (credentials.ServiceSpecificCredentials ?? []).map((credential) => ({
        serviceSpecificCredentialId: credential.ServiceSpecificCredentialId ?? '',
        status: status(credential.Status),
      })),
    };
  }

  /** Every inline policy of a role or user: list the names page by page, read each document. */
  private async readInlinePolicies(
    pages: AsyncIterable<{ PolicyNames?: string[] }>,
    read: (policyName: string) => Promise<{ PolicyDocument?: string }>,
  ): Promise<Record<string, string>> {
    const policies: Record<string, string> = {};
    for (const policyName of await collect(pages, (page) => page.PolicyNames)) {
      policies[policyName] = decoded((await this.call(() => read(policyName))).PolicyDocument) ?? '{}';
    }
    return policies;
  }

  private async readIdentityCenter(accountId: string): Promise<IamAccountState['identityCenter']> {
    const instanceArn = this.settings.identityCenterInstanceArn;
    if (!instanceArn || !this.ssoAdmin) return null;
    const client = this.ssoAdmin;
    const sets = await collect(
      paginateListPermissionSetsProvisionedToAccount(
        { client },
        { InstanceArn: instanceArn, AccountId: accountId },
      ),
      (page) => page.PermissionSets,
    );
    const permissionSets: Record<string, { name: string; inlinePolicy: string | null }> = {};
    const assignments: NonNullable<IamAccountState['identityCenter']>['assignments'] = [];
    for (const permissionSetArn of sets) {
      const described = await this.call(() =>
        client.send(
          new DescribePermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: permissionSetArn }),
        ),
      );
      const inline = await this.call(() =>
        client.send(
          new GetInlinePolicyForPermissionSetCommand({
            InstanceArn: instanceArn,
            PermissionSetArn: permissionSetArn,
          }),
        ),
      );
      permissionSets[permissionSetArn] = {
        name: described.PermissionSet?.Name ?? permissionSetArn,
        inlinePolicy: inline.InlinePolicy ? inline.InlinePolicy : null,
      };
      const listed = await collect(
        paginateListAccountAssignments(
          { client },
          { InstanceArn: instanceArn, AccountId: accountId, PermissionSetArn: permissionSetArn },
        ),
        (page) => page.AccountAssignments,
      );
      for (const assignment of listed) {
        assignments.push({
          accountId,
          permissionSetArn,
          principalType: assignment.PrincipalType === 'GROUP' ? 'GROUP' : 'USER',
          principalId: assignment.PrincipalId ?? '',
        });
      }
    }
    return { instanceArn, permissionSets, assignments };
  }

  /** One IAM change, retried as `call` retries; its output is not needed. */
  private async change(command: object): Promise<void> {
    // Each command is built from the catalog's typed input just above its call; the SDK's
    // union of every IAM command type cannot be named for a single helper.
    await this.call(() => this.writer.send(command as never));
  }

  /** Changes, and what a change must read first, go through the writer. */
  private get writer(): IAMClient {
    return this.settings.writer ?? this.iam;
  }

  async perform(accountId: string, action: RevocationAction): Promise<void> {
    this.actsIn(accountId);
    // The table's type names every catalog action: a new one does not compile until it is here.
    await (this.changes[action.action] as (input: unknown) => Promise<void>)(action.input);
  }

  /** How each catalog action is made, by its name. */
  private readonly changes: { [K in ActionName]: (input: InputOf<K>) => Promise<void> } = {
    'put-role-policy': ({ roleName, policyName, policyDocument }) =>
      this.change(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: policyName,
          PolicyDocument: policyDocument,
        }),
      ),
    'delete-role-policy': ({ roleName, policyName }) =>
      this.change(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })),
    'attach-role-policy': ({ roleName, policyArn }) =>
      this.change(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })),
    'detach-role-policy': ({ roleName, policyArn }) =>
      this.change(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })),
    'add-role-to-instance-profile': ({ roleName, instanceProfileName }) =>
      this.change(
        new AddRoleToInstanceProfileCommand({ RoleName: roleName, InstanceProfileName: instanceProfileName }),
      ),
    'remove-role-from-instance-profile': ({ roleName, instanceProfileName }) =>
      this.change(
        new RemoveRoleFromInstanceProfileCommand({
          RoleName: roleName,
          InstanceProfileName: instanceProfileName,
        }),
      ),
    'update-assume-role-policy': ({ roleName, policyDocument }) =>
      this.change(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: policyDocument })),
    'put-user-policy': ({ userName, policyName, policyDocument }) =>
      this.change(
        new PutUserPolicyCommand({
          UserName: userName,
          PolicyName: policyName,
          PolicyDocument: policyDocument,
        }),
      ),
    'delete-user-policy': ({ userName, policyName }) =>
      this.change(new DeleteUserPolicyCommand({ UserName: userName, PolicyName: policyName })),
    'attach-user-policy': ({ userName, policyArn }) =>
      this.change(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn })),
    'detach-user-policy': ({ userName, policyArn }) =>
      this.change(new DetachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn })),
    'update-access-key': ({ userName, accessKeyId, status }) =>
      this.change(
        new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }),
      ),
    'update-signing-certificate': ({ userName, certificateId, status }) =>
      this.change(
        new UpdateSigningCertificateCommand({
          UserName: userName,
          CertificateId: certificateId,
          Status: status,
        }),
      ),
    'update-ssh-public-key': ({ userName, sshPublicKeyId, status }) =>
      this.change(
        new UpdateSSHPublicKeyCommand({ UserName: userName, SSHPublicKeyId: sshPublicKeyId, Status: status }),
      ),
    'update-service-specific-credential': ({ userName, serviceSpecificCredentialId, status }) =>
      this.change(
        new UpdateServiceSpecificCredentialCommand({
          UserName: userName,
          ServiceSpecificCredentialId: serviceSpecificCredentialId,
          Status: status,
        }),
      ),
    'create-policy': ({ policyArn, policyName, policyDocument }) =>
      this.change(
        new CreatePolicyCommand({
          PolicyName: policyName,
          // The ARN the plan named: the account, the /revoker/ path and the policy name.
          Path: /:policy(\/.*\/)[^/]+$/.exec(policyArn)?.[1] ?? '/',
          PolicyDocument: policyDocument,
          Description: 'revoker: deny written when the principal’s inline policies were at quota',
        }),
      ),
    'delete-policy': async ({ policyArn }) => {
      // A managed policy goes only once its non-default versions are gone.
      const versions = await this.call(() =>
        this.writer.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn })),
      );
      for (const version of versions.Versions ?? []) {
        if (version.IsDefaultVersion) continue;
        await this.change(
          new DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: version.VersionId }),
        );
      }
      await this.change(new DeletePolicyCommand({ PolicyArn: policyArn }));
    },
    'put-permission-set-policy': (input) =>
      this.changePermissionSet({ action: 'put-permission-set-policy', input }),
    'delete-permission-set-policy': (input) =>
      this.changePermissionSet({ action: 'delete-permission-set-policy', input }),
    'delete-account-assignment': (input) =>
      this.changeAssignment({ action: 'delete-account-assignment', input }),
    'create-account-assignment': (input) =>
      this.changeAssignment({ action: 'create-account-assignment', input }),
  };

  private identityCenterClient(): SSOAdminClient {
    if (!this.ssoAdmin) throw new ActionTargetMissingError('no IAM Identity Center client is configured');
    return this.ssoAdmin;
  }

  private async changePermissionSet(
    action: Extract<
      RevocationAction,
      { action: 'put-permission-set-policy' | 'delete-permission-set-policy' }
    >,
  ): Promise<void> {
    const client = this.identityCenterClient();
    const { instanceArn, permissionSetArn } = action.input;
    if (action.action === 'put-permission-set-policy') {
      await this.call(() =>
        client.send(
          new PutInlinePolicyToPermissionSetCommand({
            InstanceArn: instanceArn,
            PermissionSetArn: permissionSetArn,
            InlinePolicy: action.input.inlinePolicy,
          }),
        ),
      );
    } else {
      await this.call(() =>
        client.send(
          new DeleteInlinePolicyFromPermissionSetCommand({
            InstanceArn: instanceArn,
            PermissionSetArn: permissionSetArn,
          }),
        ),
      );
    }
    // The change reaches the accounts' roles only once the permission set is provisioned.
    const started = await this.call(() =>
      client.send(
        new ProvisionPermissionSetCommand({
          InstanceArn: instanceArn,
          PermissionSetArn: permissionSetArn,
          TargetType: 'ALL_PROVISIONED_ACCOUNTS',
        }),
      ),
    );
    const requestId = started.PermissionSetProvisioningStatus?.RequestId;
    await this.waitFor(`provisioning ${permissionSetArn}`, async () => {
      const status = await this.call(() =>
        client.send(
          new DescribePermissionSetProvisioningStatusCommand({
            InstanceArn: instanceArn,
            ProvisionPermissionSetRequestId: requestId,
          }),
        ),
      );
      return {
        status: status.PermissionSetProvisioningStatus?.Status,
        reason: status.PermissionSetProvisioningStatus?.FailureReason,
      };
    });
  }

  private async changeAssignment(
    action: Extract<RevocationAction, { action: 'delete-account-assignment' | 'create-account-assignment' }>,
  ): Promise<void> {
    const client = this.identityCenterClient();
    const request = {
      InstanceArn: action.input.instanceArn,
      TargetId: action.input.accountId,
      TargetType: 'AWS_ACCOUNT' as const,
      PermissionSetArn: action.input.permissionSetArn,
      PrincipalType: action.input.principalType,
      PrincipalId: action.input.principalId,
    };
    if (action.action === 'delete-account-assignment') {
      const started = await this.call(() => client.send(new DeleteAccountAssignmentCommand(request)));
      const requestId = started.AccountAssignmentDeletionStatus?.RequestId;
      await this.waitFor('assignment deletion', async () => {
        const status = await this.call(() =>
          client.send(
            new DescribeAccountAssignmentDeletionStatusCommand({
              InstanceArn: request.InstanceArn,
              AccountAssignmentDeletionRequestId: requestId,
            }),
          ),
        );
        return {
          status: status.AccountAssignmentDeletionStatus?.Status,
          reason: status.AccountAssignmentDeletionStatus?.FailureReason,
        };
      });
    } else {
      const started = await this.call(() => client.send(new CreateAccountAssignmentCommand(request)));
      const requestId = started.AccountAssignmentCreationStatus?.RequestId;
      await this.waitFor('assignment creation', async () => {
        const status = await this.call(() =>
          client.send(
            new DescribeAccountAssignmentCreationStatusCommand({
              InstanceArn: request.InstanceArn,
              AccountAssignmentCreationRequestId: requestId,
            }),
          ),
        );
        return {
          status: status.AccountAssignmentCreationStatus?.Status,
          reason: status.AccountAssignmentCreationStatus?.FailureReason,
        };
      });
    }
  }

  /** Poll an Identity Center request until SUCCEEDED; FAILED or the deadline is an error. */
  private async waitFor(
    what: string,
    check: () => Promise<{ status?: string; reason?: string }>,
  ): Promise<void> {
    const deadline = this.now() + (this.settings.asyncDeadlineMillis ?? 60_000);
    for (let delay = 500; ; delay = Math.min(delay * 2, 5000)) {
      const { status, reason } = await check();
      if (status === 'SUCCEEDED') return;
      if (status === 'FAILED')
        throw new IdentityCenterChangeError(`Identity Center ${what} failed: ${reason ?? 'no reason given'}`);
      if (this.now() + delay > deadline)
        throw new IdentityCenterChangeError(
          `Identity Center ${what} still ${status ?? 'unknown'} at the deadline`,
        );
      await this.sleep(delay);
    }
  }

  /** Retry what IAM says to retry; name what a human must handle. */
  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await withRetries(request, {
        retryable: RETRIED,
        attempts: this.settings.retryAttempts ?? 5,
        sleep: this.sleep,
        jitter: this.settings.jitter ?? Math.random,
      });
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      const message = (error as Error).message;
      if (MISSING.has(name)) throw new ActionTargetMissingError(message, { cause: error });
      if (LIMIT.has(name)) throw new IamLimitExceededError(message, { cause: error });
      throw error;
    }
  }

  /** A read of something that may not exist: NoSuchEntity means "absent", not a failure. */
  private async absentIfMissing<T>(read: () => Promise<T>): Promise<T | null> {
    try {
      return await read();
    } catch (error) {
      if (error instanceof ActionTargetMissingError) return null;
      throw error;
    }
  }
}
