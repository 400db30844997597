// The local stand-in for IAM: one JSON file per account holding its roles, users, the
// pipeline's managed policies and an Identity Center instance. It applies the catalog's
// actions exactly as the AWS adapter asks IAM to, and judges whether a call is denied by the
// policies written to it.
import { readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type IamAccountState,
  type IamAccountStateInput,
  normalizeAccountState,
  own,
  type RoleState,
  type UserState,
  within,
} from '../domain/iam-state.ts';
import { type AuthorizationRequest, type Authorizer, findExplicitDeny } from '../domain/policy-evaluator.ts';
import { applyAction, type RevocationAction } from '../domain/revocation/actions.ts';
import { AccountNotEnrolledError, type IamGateway, type IamScope } from '../ports.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { exclusively } from './file-lock.ts';
import { withGrantGuard } from './grant-guard.ts';

export type { IamAccountState } from '../domain/iam-state.ts';

export class LocalIamAccount implements IamGateway {
  constructor(readonly file: string) {}

  static pathFor(directory: string, accountId: string): string {
    return join(directory, `${accountId}.json`);
  }

  async load(): Promise<IamAccountState> {
    return normalizeAccountState(JSON.parse(await readFile(this.file, 'utf8')) as IamAccountStateInput);
  }

  async save(state: IamAccountStateInput): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, `${JSON.stringify(normalizeAccountState(state), null, 2)}\n`);
  }

  /** Only what the scope names, as the AWS adapter reads it: unrelated changes never show. */
  async readState(scope: IamScope): Promise<IamAccountState> {
    return within(this.inAccount(await this.load(), scope.accountId), scope);
  }

  /** One change, atomically, as IAM applies each API call: concurrent changes never lose each other. */
  perform(accountId: string, action: RevocationAction): Promise<void> {
    return exclusively(this.file, async () =>
      this.save(applyAction(this.inAccount(await this.load(), accountId), action)),
    );
  }

  /** This file is one account: a read or change for another is refused, never made here. */
  private inAccount(state: IamAccountState, accountId: string): IamAccountState {
    if (state.accountId !== accountId)
      throw new AccountNotEnrolledError(
        `account ${accountId} is not this local account (${this.file} is account ${state.accountId}): nothing is read or changed in it`,
      );
    return state;
  }
}

/**
 * An authorizer over a snapshot of the account: a call is refused, with the message IAM
 * writes to CloudTrail, when a policy of its role or user — inline, or the pipeline's own
 * managed policy — explicitly denies it, or when its access key is inactive.
 */
export function authorizerFor(file: string): Authorizer {
  const state = normalizeAccountState(JSON.parse(readFileSync(file, 'utf8')) as IamAccountStateInput);
  return (request: AuthorizationRequest) => {
    if (request.account !== state.accountId) return null;
    const holder: RoleState | UserState | undefined = request.roleName
      ? own(state.roles, request.roleName)
      : request.userName
        ? own(state.users, request.userName)
        : undefined;
    if (!holder) return null;
    if (request.userName && request.accessKeyId && 'accessKeys' in holder) {
      const key = holder.accessKeys.find((candidate) => candidate.accessKeyId === request.accessKeyId);
      if (key?.status === 'Inactive') return 'The security token included in the request is invalid.';
    }
    const keys: Record<string, string> = { 'aws:PrincipalArn': holder.arn };
    if (request.tokenIssueTime) keys['aws:TokenIssueTime'] = request.tokenIssueTime;
    if (request.userId) keys['aws:userid'] = request.userId;
    if (request.sourceIdentity) keys['aws:SourceIdentity'] = request.sourceIdentity;
    const documents = [
      ...Object.values(holder.inlinePolicies),
      ...holder.attachedPolicies.flatMap((arn) => {
        const managed = own(state.managedPolicies, arn);
        return managed ? [managed.document] : [];
      }),
    ];
    const deny = findExplicitDeny(documents, { action: request.action, keys });
    if (!deny) return null;
    const who = request.roleName
      ? `arn:aws:sts::${state.accountId}:assumed-role/${request.roleName}/${request.sessionName ?? 'session'}`
      : holder.arn;
    return `User: ${who} is not authorized to perform: ${request.action} with an explicit deny in an identity-based policy`;
  };
}

/** An account file for a generated organisation account: its roles and people, and the grant guard. */
export function initialAccountState(account: {
  id: string;
  people: { name: string; accessKeyId: string }[];
  instanceRole: { name: string; path: string };
  lambdaRole: { name: string; path: string };
  ciRole: { name: string; path: string };
}): IamAccountState {
  const trust = (service: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
    });
  const role = (name: string, path: string, service: string, attached: string[], profiles: string[] = []) => [
    name,
    {
      arn: `arn:aws:iam::${account.id}:role${path}${name}`,
      path,
      trustPolicy: trust(service),
      attachedPolicies: attached,
      instanceProfiles: profiles,
    },
  ];
  const state = normalizeAccountState({
    accountId: account.id,
    roles: Object.fromEntries([
      role(
        account.instanceRole.name,
        account.instanceRole.path,
        'ec2.amazonaws.com',
        [
          'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
          `arn:aws:iam::${account.id}:policy/app-server-access`,
        ],
        [account.instanceRole.name],
      ),
      role(account.lambdaRole.name, account.lambdaRole.path, 'lambda.amazonaws.com', [
        'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      ]),
      role(account.ciRole.name, account.ciRole.path, 'sts.amazonaws.com', [
        'arn:aws:iam::aws:policy/PowerUserAccess',
      ]),
    ]),
    users: Object.fromEntries(
      account.people.map((person) => [
        person.name,
        {
          arn: `arn:aws:iam::${account.id}:user/${person.name}`,
          accessKeys: [{ accessKeyId: person.accessKeyId, status: 'Active' as const }],
          attachedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
          hasLoginProfile: true,
        },
      ]),
    ),
  });
  // As the stack's deploy leaves its account: grants there attach the guard before their policy.
  return withGrantGuard(state);
}
