// The local stand-in for IAM: one JSON file per account holding roles and users with their
// policies. It applies the same API-level changes the AWS adapter makes, and evaluates
// whether a call is denied by the policies written to it.

import { readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { IamGateway, InlinePolicy } from '../ports.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { type AuthorizationRequest, type Authorizer, findExplicitDeny } from './policy-evaluator.ts';

export interface LocalRole {
  arn: string;
  path: string;
  inlinePolicies: Record<string, string>;
  attachedPolicies: string[];
}

export interface LocalUser {
  arn: string;
  accessKeys: { accessKeyId: string; status: 'Active' | 'Inactive' }[];
  inlinePolicies: Record<string, string>;
  attachedPolicies: string[];
}

export interface IamAccountState {
  accountId: string;
  roles: Record<string, LocalRole>;
  users: Record<string, LocalUser>;
}

export class NoSuchEntityError extends Error {
  override name = 'NoSuchEntityError';
}

export class LocalIamAccount implements IamGateway {
  constructor(readonly file: string) {}

  static pathFor(directory: string, accountId: string): string {
    return join(directory, `${accountId}.json`);
  }

  async load(): Promise<IamAccountState> {
    return JSON.parse(await readFile(this.file, 'utf8')) as IamAccountState;
  }

  async save(state: IamAccountState): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, `${JSON.stringify(state, null, 2)}\n`);
  }

  private role(state: IamAccountState, roleName: string): LocalRole {
    const role = state.roles[roleName];
    if (!role) throw new NoSuchEntityError(`The role with name ${roleName} cannot be found.`);
    return role;
  }

  async getRolePolicy(roleName: string, policyName: string): Promise<InlinePolicy | null> {
    const role = this.role(await this.load(), roleName);
    const document = role.inlinePolicies[policyName];
    return document === undefined ? null : { roleName, policyName, document };
  }

  async putRolePolicy(policy: InlinePolicy): Promise<void> {
    const state = await this.load();
    this.role(state, policy.roleName).inlinePolicies[policy.policyName] = policy.document;
    await this.save(state);
  }

  async deleteRolePolicy(roleName: string, policyName: string): Promise<void> {
    const state = await this.load();
    const role = this.role(state, roleName);
    if (!(policyName in role.inlinePolicies)) {
      throw new NoSuchEntityError(`The role policy with name ${policyName} cannot be found.`);
    }
    delete role.inlinePolicies[policyName];
    await this.save(state);
  }
}

/**
 * An authorizer over a snapshot of the account: a call is refused, with the message IAM
 * writes to CloudTrail, when an inline policy of its role or user explicitly denies it.
 */
export function authorizerFor(file: string): Authorizer {
  const state = JSON.parse(readFileSync(file, 'utf8')) as IamAccountState;
  return (request: AuthorizationRequest) => {
    if (request.account !== state.accountId) return null;
    const holder = request.roleName
      ? state.roles[request.roleName]
      : request.userName
        ? state.users[request.userName]
        : undefined;
    if (!holder) return null;
    const keys: Record<string, string> = { 'aws:PrincipalArn': holder.arn };
    if (request.tokenIssueTime) keys['aws:TokenIssueTime'] = request.tokenIssueTime;
    const deny = findExplicitDeny(Object.values(holder.inlinePolicies), { action: request.action, keys });
    if (!deny) return null;
    const who = request.roleName
      ? `arn:aws:sts::${state.accountId}:assumed-role/${request.roleName}/${request.sessionName ?? 'session'}`
      : holder.arn;
    return `User: ${who} is not authorized to perform: ${request.action} with an explicit deny in an identity-based policy`;
  };
}

/** An account file for a generated organisation account: its roles and people. */
export function initialAccountState(account: {
  id: string;
  people: { name: string; accessKeyId: string }[];
  instanceRole: { name: string; path: string };
  lambdaRole: { name: string; path: string };
  ciRole: { name: string; path: string };
}): IamAccountState {
  const role = (name: string, path: string, attached: string[]): [string, LocalRole] => [
    name,
    {
      arn: `arn:aws:iam::${account.id}:role${path}${name}`,
      path,
      inlinePolicies: {},
      attachedPolicies: attached,
    },
  ];
  return {
    accountId: account.id,
    roles: Object.fromEntries([
      role(account.instanceRole.name, account.instanceRole.path, [
        'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
        `arn:aws:iam::${account.id}:policy/app-server-access`,
      ]),
      role(account.lambdaRole.name, account.lambdaRole.path, [
        'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      ]),
      role(account.ciRole.name, account.ciRole.path, ['arn:aws:iam::aws:policy/PowerUserAccess']),
    ]),
    users: Object.fromEntries(
      account.people.map((person) => [
        person.name,
        {
          arn: `arn:aws:iam::${account.id}:user/${person.name}`,
          accessKeys: [{ accessKeyId: person.accessKeyId, status: 'Active' as const }],
          inlinePolicies: {},
          attachedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
        },
      ]),
    ),
  };
}
