import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../../../lib/domain/cloudtrail.ts';
import { type Config, isProtected, protectingTag } from '../../../../../lib/domain/config.ts';
import {
  equivalentStates,
  type IamAccountState,
  normalizeAccountState,
} from '../../../../../lib/domain/iam-state.ts';
import { resolvePrincipal } from '../../../../../lib/domain/principal.ts';
import { applyAction, isApplied, undoActions } from '../../../../../lib/domain/revocation/actions.ts';
import {
  planRevocation,
  type RevocationTarget,
  revocationTargetOf,
} from '../../../../../lib/domain/revocation/plan.ts';
import { REVOCATION_POLICY_NAME } from '../../../../../lib/domain/revocation/policies.ts';
import { instanceCredentialsIamEscalation } from '../../../../../lib/domain/rules.ts';
import { buildTrigger } from '../../../../../lib/domain/trigger.ts';
import { shippedConfig } from '../../../../fixtures/config.ts';
import { stolenInstanceCredentialsGrant } from '../../../../fixtures/records.ts';

const config = await shippedConfig();
const ACCOUNT = '111122223333';
const CUTOFF = '2026-01-15T12:00:00Z';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/service/app-server`;

function account(): IamAccountState {
  return normalizeAccountState({
    accountId: ACCOUNT,
    roles: {
      'app-server': {
        arn: ROLE_ARN,
        path: '/service/',
        trustPolicy:
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
        inlinePolicies: {
          'read-orders':
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
        },
        attachedPolicies: ['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore'],
        instanceProfiles: ['app-server'],
      },
    },
    users: {
      alice: {
        arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
        accessKeys: [
          { accessKeyId: 'AKIAEXAMPLEALICE0001', status: 'Active' },
          { accessKeyId: 'AKIAEXAMPLEALICE0002', status: 'Inactive' },
        ],
        hasLoginProfile: true,
        sshPublicKeys: [{ sshPublicKeyId: 'APKAEXAMPLE0001', status: 'Active' }],
      },
    },
    identityCenter: {
      instanceArn: 'arn:aws:sso:::instance/ssoins-1',
      permissionSets: {
        'arn:aws:sso:::permissionSet/ssoins-1/ps-admin': { name: 'Admin' },
        'arn:aws:sso:::permissionSet/ssoins-1/ps-read': { name: 'ReadOnly' },
      },
      assignments: [
        {
          accountId: ACCOUNT,
          permissionSetArn: 'arn:aws:sso:::permissionSet/ssoins-1/ps-admin',
          principalType: 'USER',
          principalId: 'user-1',
        },
        {
          accountId: ACCOUNT,
          permissionSetArn: 'arn:aws:sso:::permissionSet/ssoins-1/ps-read',
          principalType: 'GROUP',
          principalId: 'group-1',
        },
      ],
    },
  });
}

/** What a case opened on a call by this identity revokes: the trigger, then its target. */
function caseTarget(identity: CloudTrailRecord['userIdentity']): RevocationTarget {
  const record = stolenInstanceCredentialsGrant({ userIdentity: identity });
  const resolution = resolvePrincipal(record.userIdentity);
  if (!resolution.ok) throw new Error(resolution.reason);
  return revocationTargetOf(
    buildTrigger(instanceCredentialsIamEscalation, record, resolution.principal).target,
  );
}

const sessions: RevocationTarget = {
  kind: 'role-sessions',
  accountId: ACCOUNT,
  roleName: 'app-server',
  roleArn: ROLE_ARN,
  session: { userId: 'AROAEXAMPLEROLE00001:i-0123456789abcdef0', sourceIdentity: null },
};
const context = (change: Partial<Config> = {}, state = account()) => ({
  config: { ...config, ...change },
  state,
  cutoff: CUTOFF,
  recentRevocations: 0,
});
const names = (plan: ReturnType<typeof planRevocation>) =>
  plan.actions.map((planned) => planned.action.action);

describe('planRevocation, by principal kind', () => {
  it('role sessions: one deny on sessions issued before the cutoff; the trust block is for a human only', () => {
    const plan = planRevocation(sessions, context());

    expect(plan.requiresHuman).toBeNull();
    expect(plan.actions).toEqual([
      {
        action: {
          action: 'put-role-policy',
          input: {
            roleName: 'app-server',
            policyName: REVOCATION_POLICY_NAME,
            policyDocument: expect.stringContaining('"aws:TokenIssueTime":"2026-01-15T12:00:00Z"'),
          },
        },
        why: expect.stringContaining('sessions issued later'),
        permissions: ['iam:PutRolePolicy'],
      },
    ]);
    expect(plan.escalationOnly.map((planned) => planned.action.action)).toEqual([
      'update-assume-role-policy',
    ]);
  });

  it('role sessions, offending-session only: the deny names the session', () => {
    const plan = planRevocation(
      sessions,
      context({ revocation: { ...config.revocation, roleSessions: 'offending-session' } }),
    );
    const document = JSON.parse((plan.actions[0]!.action.input as { policyDocument: string }).policyDocument);

    expect(document.Statement[0].Condition).toEqual({
      StringEquals: { 'aws:userid': 'AROAEXAMPLEROLE00001:i-0123456789abcdef0' },
      DateLessThan: { 'aws:TokenIssueTime': CUTOFF },
    });
  });

  it('a second case on the same role replaces the pipeline’s policy, keeping the later cutoff', () => {
    const first = planRevocation(sessions, context());
    const revoked = applyAction(account(), first.actions[0]!.action);

    const second = planRevocation(sessions, { ...context({}, revoked), cutoff: '2026-01-15T13:00:00Z' });

    const document = JSON.parse(
      (second.actions[0]!.action.input as { policyDocument: string }).policyDocument,
    );
    expect(document.Statement).toHaveLength(1);
    expect(document.Statement[0].Condition.DateLessThan['aws:TokenIssueTime']).toBe('2026-01-15T13:00:00Z');
  });

  it('role quarantine: deny first, then every permission and instance profile, all recorded', () => {
    const plan = planRevocation({ ...sessions, kind: 'role' } as RevocationTarget, context());

    expect(names(plan)).toEqual([
      'put-role-policy',
      'detach-role-policy',
      'delete-role-policy',
      'remove-role-from-instance-profile',
    ]);
  });

  it('IAM user: deny-all, active keys deactivated (never deleted), extras; the password left with a note', () => {
    const plan = planRevocation(
      { kind: 'iam-user', accountId: ACCOUNT, userName: 'alice', arn: `arn:aws:iam::${ACCOUNT}:user/alice` },
      context(),
    );

    expect(plan.actions.map((planned) => planned.action)).toEqual([
      expect.objectContaining({ action: 'put-user-policy' }),
      {
        action: 'update-access-key',
        input: { userName: 'alice', accessKeyId: 'AKIAEXAMPLEALICE0001', status: 'Inactive' },
      },
      {
        action: 'update-ssh-public-key',
        input: { userName: 'alice', sshPublicKeyId: 'APKAEXAMPLE0001', status: 'Inactive' },
      },
    ]);
    expect(plan.notes).toEqual([expect.stringContaining('console password is left in place')]);
  });

  it('Identity Center user: deny in every permission set of the account, remove the direct assignment, name the group', () => {
    const plan = planRevocation(
      { kind: 'identity-center-user', accountId: ACCOUNT, userId: 'user-1', label: 'alice@example.com' },
      context(),
    );

    expect(
      plan.actions.map((planned) => [
        planned.action.action,
        (planned.action.input as { permissionSetArn: string }).permissionSetArn,
      ]),
    ).toEqual([
      ['put-permission-set-policy', 'arn:aws:sso:::permissionSet/ssoins-1/ps-admin'],
      // Assigned only to a group: the user may be in it, and the deny names only them.
      ['put-permission-set-policy', 'arn:aws:sso:::permissionSet/ssoins-1/ps-read'],
      ['delete-account-assignment', 'arn:aws:sso:::permissionSet/ssoins-1/ps-admin'],
    ]);
    expect(
      JSON.parse((plan.actions[0]!.action.input as { inlinePolicy: string }).inlinePolicy).Statement[0]
        .Condition,
    ).toEqual({ StringEquals: { 'identitystore:UserId': 'user-1' } });
    expect(plan.manualSteps).toEqual([
      expect.stringContaining('Remove alice@example.com from the Identity Center groups'),
    ]);
    expect(plan.requiresHuman).toBeNull();
  });

  it.each([
    [
      'the root user',
      { type: 'Root', principalId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT },
      'cannot be restricted by IAM policies',
    ],
    [
      'a service-linked role',
      {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLE:session',
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSServiceRoleForECS/session`,
        accountId: ACCOUNT,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            arn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`,
          },
        },
      },
      'managed by their AWS service',
    ],
  ])('%s: no automatic action, and what a human must do', (_kind, identity, reason) => {
    const plan = planRevocation(caseTarget(identity), context());

    expect(plan.actions).toEqual([]);
    expect(plan.requiresHuman).toContain(reason);
    expect(plan.manualSteps.length).toBeGreaterThan(0);
  });

  it('falls back to the pipeline’s own managed policy when the role’s inline quota is full', () => {
    const full = account();
    full.roles['app-server']!.inlinePolicies.big = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: Array.from({ length: 400 }, (_, i) => `arn:aws:s3:::bucket-${i}/*`),
        },
      ],
    });

    const plan = planRevocation(sessions, context({}, full));

    expect(names(plan)).toEqual(['create-policy', 'attach-role-policy']);
    expect(plan.notes).toEqual([expect.stringContaining('near IAM’s quota'.replace('’', "'"))]);
  });

  it('changes nothing when IAM’s role of that name is another account’s; a path is no other role', () => {
    const elsewhere = `arn:aws:iam::999999999999:role/service/app-server`;
    const plan = planRevocation({ ...sessions, roleArn: elsewhere }, context());
    expect(plan.actions).toEqual([]);
    expect(plan.requiresHuman).toBe(
      `IAM has role app-server as ${ROLE_ARN}, and the case is about ${elsewhere} in account ${ACCOUNT}: it is another account's role, so nothing is changed`,
    );
    // Role names are unique in an account whatever their path: a trigger without the path is the same role.
    const pathless = planRevocation(
      { ...sessions, roleArn: `arn:aws:iam::${ACCOUNT}:role/app-server` },
      context(),
    );
    expect(pathless.requiresHuman).toBeNull();
    expect(pathless.actions.length).toBeGreaterThan(0);
  });

  it('reads the real stolen-credentials record into a role-sessions target with its session ID', () => {
    expect(caseTarget(stolenInstanceCredentialsGrant().userIdentity)).toMatchObject({
      kind: 'role-sessions',
      session: { userId: 'AROALHCCSKSM395EGX3XN:i-786a3A8B5C0d92eF4' },
    });
  });
});

describe('names that are also JavaScript object members', () => {
  it('plans, applies and undoes for a role named constructor with a policy named toString', () => {
    const state = normalizeAccountState({
      accountId: ACCOUNT,
      roles: {
        constructor: {
          arn: `arn:aws:iam::${ACCOUNT}:role/constructor`,
          path: '/',
          inlinePolicies: { toString: '{"Statement":[]}' },
        },
      },
    });
    const target = {
      kind: 'role',
      accountId: ACCOUNT,
      roleName: 'constructor',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/constructor`,
    } as const;

    const plan = planRevocation(target, context({}, state));
    let current = state;
    const undo = [];
    for (const { action } of plan.actions) {
      undo.unshift(...undoActions(current, action));
      current = applyAction(current, action);
    }
    for (const action of undo) current = applyAction(current, action);

    expect(names(plan)).toEqual(['put-role-policy', 'delete-role-policy']);
    expect(equivalentStates(current, state)).toBe(true);
    expect(planRevocation({ ...target, roleName: 'valueOf' }, context({}, state)).requiresHuman).toContain(
      'was not found',
    );
  });
});

describe('revocationTargetOf', () => {
  it('never edits a role Identity Center or an AWS service manages', () => {
    const session = {
      kind: 'assumed-role',
      accountId: ACCOUNT,
      sessionName: 'alice@example.com',
      accessKeyId: null,
      sessionIssuedAt: null,
      sessionUserId: null,
      sourceIdentity: null,
    } as const;

    expect(
      revocationTargetOf({
        ...session,
        roleName: 'AWSReservedSSO_Admin_0123456789abcdef',
        roleArn: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef`,
      }),
    ).toMatchObject({
      kind: 'not-revocable',
      reason: 'AWSReservedSSO roles are managed by IAM Identity Center',
    });
    expect(
      revocationTargetOf({
        ...session,
        roleName: 'AWSServiceRoleForECS',
        roleArn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`,
      }),
    ).toMatchObject({ kind: 'not-revocable' });
  });
});

describe('guard rails', () => {
  it('sends a plan with too many actions, or past the revocations cap, to a human', () => {
    const user = {
      kind: 'iam-user',
      accountId: ACCOUNT,
      userName: 'alice',
      arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
    } as const;

    expect(
      planRevocation(user, context({ guardRails: { ...config.guardRails, maxActionsPerPlan: 2 } }))
        .requiresHuman,
    ).toBe('the plan has 3 actions, more than the 2 allowed without a human');
    expect(planRevocation(sessions, { ...context(), recentRevocations: 5 }).requiresHuman).toContain(
      'reach the cap of 5',
    );
  });

  it('honours a protecting tag', () => {
    const tagged = account();
    tagged.roles['app-server']!.tags = { 'break-glass': 'yes' };

    expect(planRevocation(sessions, context({}, tagged)).requiresHuman).toBe(
      `${ROLE_ARN} carries the protecting tag break-glass`,
    );
  });

  const name = fc.stringMatching(/^[A-Za-z0-9+=,.@_-]{1,20}$/);
  const tagKey = fc.constantFrom('break-glass', 'team', 'revoker:protected', 'owner');
  const arbitraryCase = fc.record({
    kind: fc.constantFrom('role-sessions', 'role', 'iam-user'),
    name,
    path: fc.constantFrom('/', '/service/', '/aws-service-role/ecs.amazonaws.com/', '/admin/'),
    tags: fc.dictionary(tagKey, fc.constantFrom('true', 'yes', 'security')),
    patterns: fc.array(
      fc.oneof(
        fc.constantFrom(
          'arn:aws:iam::*:role/break-glass*',
          'arn:aws:iam::*:user/*',
          'arn:aws:iam::*:role/admin/*',
          'arn:aws:iam::*:*',
        ),
        name.map((n) => `arn:aws:iam::${ACCOUNT}:*${n}`),
      ),
      { maxLength: 4 },
    ),
    protectedTags: fc.array(fc.constantFrom('break-glass', 'revoker:protected=true', 'team=security'), {
      maxLength: 3,
    }),
  });

  it('never puts a protected principal in an automatic plan, for any principal and configuration', () => {
    fc.assert(
      fc.property(arbitraryCase, (generated) => {
        const guarded: Config = {
          ...config,
          guardRails: {
            ...config.guardRails,
            protectedPrincipals: generated.patterns,
            protectedTags: generated.protectedTags,
          },
        };
        const state = normalizeAccountState({ accountId: ACCOUNT });
        let target: RevocationTarget;
        let arn: string;
        if (generated.kind === 'iam-user') {
          arn = `arn:aws:iam::${ACCOUNT}:user${generated.path}${generated.name}`;
          state.users[generated.name] = normalizeAccountState({
            accountId: ACCOUNT,
            users: {
              x: {
                arn,
                tags: generated.tags,
                accessKeys: [{ accessKeyId: 'AKIAEXAMPLEPROPERTY1', status: 'Active' }],
              },
            },
          }).users.x!;
          target = { kind: 'iam-user', accountId: ACCOUNT, userName: generated.name, arn };
        } else {
          arn = `arn:aws:iam::${ACCOUNT}:role${generated.path}${generated.name}`;
          state.roles[generated.name] = normalizeAccountState({
            accountId: ACCOUNT,
            roles: { x: { arn, path: generated.path, tags: generated.tags } },
          }).roles.x!;
          target = {
            kind: generated.kind,
            accountId: ACCOUNT,
            roleName: generated.name,
            roleArn: arn,
            ...(generated.kind === 'role-sessions' ? { session: null } : {}),
          } as RevocationTarget;
        }

        const plan = planRevocation(target, { config: guarded, state, cutoff: CUTOFF, recentRevocations: 0 });

        const shouldProtect =
          isProtected(arn, guarded) !== null ||
          protectingTag(generated.tags, guarded) !== null ||
          (generated.kind !== 'iam-user' && generated.path.startsWith('/aws-service-role/'));
        if (shouldProtect) expect(plan.requiresHuman).not.toBeNull();
      }),
      { numRuns: 500 },
    );
  });

  it('apply then undo restores any generated state; applying again changes nothing', () => {
    const statuses = fc.constantFrom('Active' as const, 'Inactive' as const);
    const arbitraryState = fc.record({
      inline: fc.dictionary(
        fc.stringMatching(/^[a-z-]{1,12}$/),
        fc.constant('{"Version":"2012-10-17","Statement":[]}'),
        { maxKeys: 3 },
      ),
      attached: fc.uniqueArray(
        fc.constantFrom(
          'arn:aws:iam::aws:policy/ReadOnlyAccess',
          'arn:aws:iam::aws:policy/PowerUserAccess',
          `arn:aws:iam::${ACCOUNT}:policy/team`,
        ),
      ),
      profiles: fc.uniqueArray(fc.constantFrom('app-server', 'spare')),
      keys: fc.array(statuses, { maxLength: 2 }),
      existingOwn: fc.boolean(),
      kind: fc.constantFrom('role-sessions', 'role', 'iam-user'),
    });
    fc.assert(
      fc.property(arbitraryState, (generated) => {
        const own: Record<string, string> = generated.existingOwn
          ? {
              [REVOCATION_POLICY_NAME]:
                '{"Version":"2012-10-17","Statement":[{"Sid":"RevokerDenySessionsIssuedBeforeCutoff","Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2026-01-01T00:00:00Z"}}}]}',
            }
          : {};
        const state = normalizeAccountState({
          accountId: ACCOUNT,
          roles: {
            r: {
              arn: `arn:aws:iam::${ACCOUNT}:role/r`,
              path: '/',
              trustPolicy: '{"Statement":[]}',
              inlinePolicies: { ...generated.inline, ...own },
              attachedPolicies: generated.attached,
              instanceProfiles: generated.profiles,
            },
          },
          users: {
            u: {
              arn: `arn:aws:iam::${ACCOUNT}:user/u`,
              inlinePolicies: { ...generated.inline, ...own },
              attachedPolicies: generated.attached,
              accessKeys: generated.keys.map((status, index) => ({
                accessKeyId: `AKIAPROPERTYKEY0000${index}`,
                status,
              })),
            },
          },
        });
        const target: RevocationTarget =
          generated.kind === 'iam-user'
            ? { kind: 'iam-user', accountId: ACCOUNT, userName: 'u', arn: `arn:aws:iam::${ACCOUNT}:user/u` }
            : ({
                kind: generated.kind,
                accountId: ACCOUNT,
                roleName: 'r',
                roleArn: `arn:aws:iam::${ACCOUNT}:role/r`,
                session: null,
              } as RevocationTarget);
        const plan = planRevocation(target, { config, state, cutoff: CUTOFF, recentRevocations: 0 });

        let current = state;
        const undo = [];
        for (const { action } of plan.actions) {
          undo.unshift(...undoActions(current, action));
          current = applyAction(current, action);
        }
        for (const { action } of plan.actions) expect(isApplied(current, action)).toBe(true);
        let again = current;
        for (const { action } of plan.actions) again = applyAction(again, action);
        expect(equivalentStates(again, current)).toBe(true);
        let restored = current;
        for (const action of undo) restored = applyAction(restored, action);
        expect(equivalentStates(restored, state)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
