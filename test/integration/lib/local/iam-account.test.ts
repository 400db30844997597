// The local IAM account applies real plans, and judges calls made afterwards. Its judgement
// is cross-checked against an independent IAM evaluator (@cloud-copilot/iam-simulate, a
// test-only oracle) on a table of cases.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../../lib/domain/config.ts';
import type { IamAccountState } from '../../../../lib/domain/iam-state.ts';
import type { AuthorizationRequest } from '../../../../lib/domain/policy-evaluator.ts';
import { planRevocation, type RevocationTarget, scopeFor } from '../../../../lib/domain/revocation/plan.ts';
import { authorizerFor, LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { applyPlan } from '../../../../lib/usecases/apply-plan.ts';
import { shippedConfig } from '../../../fixtures/config.ts';

const config = await shippedConfig();
const ACCOUNT = '111122223333';
const CUTOFF = '2026-01-15T12:00:00Z';
const BEFORE = '2026-01-15T11:00:00Z';
const AFTER = '2026-01-15T12:00:01Z';
const ROLE_ID = 'AROAAPPSERVERROLE001';
const ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';

const roleTarget = (
  session: { userId: string | null; sourceIdentity: string | null } | null,
): RevocationTarget => ({
  kind: 'role-sessions',
  accountId: ACCOUNT,
  roleName: 'app-server',
  roleArn: `arn:aws:iam::${ACCOUNT}:role/app-server`,
  session,
});
const userTarget: RevocationTarget = {
  kind: 'iam-user',
  accountId: ACCOUNT,
  userName: 'alice',
  arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
};
const onlyOffending: Config = {
  ...config,
  revocation: { ...config.revocation, roleSessions: 'offending-session' },
};

function session(name: string, issued: string, sourceIdentity: string | null = null): AuthorizationRequest {
  return {
    account: ACCOUNT,
    action: 'iam:CreateUser',
    roleName: 'app-server',
    userName: null,
    tokenIssueTime: issued,
    sessionName: name,
    userId: `${ROLE_ID}:${name}`,
    sourceIdentity,
  };
}
const withKey: AuthorizationRequest = {
  account: ACCOUNT,
  action: 'iam:CreateUser',
  roleName: null,
  userName: 'alice',
  tokenIssueTime: null,
  sessionName: null,
  accessKeyId: 'AKIAEXAMPLEALICE0001',
};

async function revokedAccount(target: RevocationTarget, planConfig: Config) {
  const file = join(mkdtempSync(join(tmpdir(), 'revoker-iam-')), `${ACCOUNT}.json`);
  const iam = new LocalIamAccount(file);
  await iam.save({
    accountId: ACCOUNT,
    roles: {
      'app-server': {
        arn: `arn:aws:iam::${ACCOUNT}:role/app-server`,
        path: '/',
        inlinePolicies: { app: ALLOW_ALL },
      },
    },
    users: {
      alice: {
        arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
        inlinePolicies: { work: ALLOW_ALL },
        accessKeys: [{ accessKeyId: 'AKIAEXAMPLEALICE0001', status: 'Active' }],
      },
    },
  });
  const plan = planRevocation(target, {
    config: planConfig,
    state: await iam.load(),
    cutoff: CUTOFF,
    recentRevocations: 0,
  });
  await applyPlan(
    scopeFor(target),
    plan.actions.map((planned) => planned.action),
    { iam, sleep: async () => {} },
  );
  return { file, state: await iam.load() };
}

/** The oracle: iam-simulate over the principal's identity policies, with the same context keys. */
async function oracleDenies(state: IamAccountState, request: AuthorizationRequest): Promise<boolean> {
  const holder = request.roleName ? state.roles[request.roleName]! : state.users[request.userName!]!;
  const contextVariables: Record<string, string> = {};
  if (request.tokenIssueTime) contextVariables['aws:TokenIssueTime'] = request.tokenIssueTime;
  if (request.userId) contextVariables['aws:userid'] = request.userId;
  if (request.sourceIdentity) contextVariables['aws:SourceIdentity'] = request.sourceIdentity;
  const result = await runSimulation(
    {
      identityPolicies: Object.entries(holder.inlinePolicies).map(([name, document]) => ({
        name,
        policy: JSON.parse(document),
      })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: request.action,
        principal: request.roleName
          ? `arn:aws:sts::${ACCOUNT}:assumed-role/${request.roleName}/${request.sessionName}`
          : holder.arn,
        resource: { accountId: ACCOUNT, resource: `arn:aws:iam::${ACCOUNT}:user/new-user` },
        contextVariables,
      },
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult === 'ExplicitlyDenied';
}

const CASES: [string, RevocationTarget, Config, AuthorizationRequest, boolean][] = [
  [
    'all sessions: a session issued before the cutoff',
    roleTarget(null),
    config,
    session('i-0aaa', BEFORE),
    true,
  ],
  [
    'all sessions: a session issued after the cutoff (fresh instance credentials)',
    roleTarget(null),
    config,
    session('i-0aaa', AFTER),
    false,
  ],
  [
    'all sessions: a session issued at the cutoff second',
    roleTarget(null),
    config,
    session('i-0aaa', CUTOFF),
    false,
  ],
  [
    'offending session: that session',
    roleTarget({ userId: `${ROLE_ID}:i-0bad`, sourceIdentity: null }),
    onlyOffending,
    session('i-0bad', BEFORE),
    true,
  ],
  [
    'offending session: another session of the role',
    roleTarget({ userId: `${ROLE_ID}:i-0bad`, sourceIdentity: null }),
    onlyOffending,
    session('i-0good', BEFORE),
    false,
  ],
  [
    'offending session: the same name re-issued after the cutoff',
    roleTarget({ userId: `${ROLE_ID}:i-0bad`, sourceIdentity: null }),
    onlyOffending,
    session('i-0bad', AFTER),
    false,
  ],
  [
    'source identity: a session carrying it',
    roleTarget({ userId: null, sourceIdentity: 'mallory' }),
    onlyOffending,
    session('any', BEFORE, 'mallory'),
    true,
  ],
  [
    'source identity: a session carrying another',
    roleTarget({ userId: null, sourceIdentity: 'mallory' }),
    onlyOffending,
    session('any', BEFORE, 'alice'),
    false,
  ],
  ['IAM user: a call with its long-term key', userTarget, config, { ...withKey, accessKeyId: null }, true],
  [
    'role sessions deny: a long-term-key user of the same account is untouched',
    roleTarget(null),
    config,
    { ...withKey, accessKeyId: null },
    false,
  ],
];

describe('the local IAM account after a plan is applied, against an independent evaluator', () => {
  it.each(CASES)('%s', async (_case, target, planConfig, request, denied) => {
    const { file, state } = await revokedAccount(target, planConfig);

    const ours = authorizerFor(file)(request) !== null;

    expect(ours).toBe(denied);
    expect(await oracleDenies(state, request)).toBe(denied);
  });

  it('refuses a call signed with a deactivated access key, as IAM does', async () => {
    const { file } = await revokedAccount(userTarget, { ...config, guardRails: { ...config.guardRails } });

    expect(authorizerFor(file)(withKey)).toBe('The security token included in the request is invalid.');
  });
});

describe('shipped code', () => {
  it('never imports the AGPL test oracle', () => {
    const root = resolve(import.meta.dirname, '..', '..', '..', '..');
    const sources = (directory: string): string[] =>
      readdirSync(directory).flatMap((name) => {
        const path = join(directory, name);
        return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
      });
    const offenders = ['lib', 'functions', 'cli']
      .flatMap((directory) => sources(join(root, directory)))
      .filter((path) => readFileSync(path, 'utf8').includes('iam-simulate'));

    expect(offenders).toEqual([]);
  });
});
