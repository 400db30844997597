// member.yaml, the StackSet each member account gets: the same specification checks as
// template.yaml; a role with exactly the revocation catalog's IAM changes and the reads, that
// only the central stack's functions of the organisation may assume and that cannot change
// itself or its stack; and rules that forward what the central stack's own forward, from the
// rule catalog. The central bus takes events from the organisation only.
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { IAM_READ_PERMISSIONS } from '../../lib/aws/iam-gateway.ts';
import { ACTIONS } from '../../lib/domain/revocation/actions.ts';
import { forwardingPatterns } from '../../lib/domain/rules.ts';
import { loadTemplate } from '../fixtures/template.ts';
import { DEPLOYMENT, TemplateResolver } from '../fixtures/template-resolve.ts';
import { describeAgainstSpecifications } from '../fixtures/template-spec.ts';

const member = loadTemplate('member.yaml');
const central = loadTemplate();
const CENTRAL = DEPLOYMENT.accountId;
const MEMBER = '222233334444';
const ORGANIZATION = 'o-a1b2c3d4e5';
const stackSet = new TemplateResolver(member, {
  stackName: 'StackSet-revoker-member-0a1b2c3d',
  accountId: MEMBER,
  region: 'us-east-1',
  suffix: 'AbC123dEf456',
  parameters: {
    CentralAccountId: CENTRAL,
    DetectBusArn: `arn:aws:events:eu-west-1:${CENTRAL}:event-bus/revoker-detect`,
    OrganizationId: ORGANIZATION,
  },
});

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
}
const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);
type RoleProperties = {
  AssumeRolePolicyDocument: unknown;
  Policies: { PolicyName: string; PolicyDocument: { Statement: Statement[] } }[];
};
const roleIn = (template: TemplateResolver, name: string) =>
  template.resolve(member.Resources[name]!.Properties) as RoleProperties;
const statementsOf = (role: RoleProperties) =>
  role.Policies.flatMap((policy) => policy.PolicyDocument.Statement);
const writer = roleIn(stackSet, 'MemberRole');
const reader = roleIn(stackSet, 'ReaderRole');
const statements = statementsOf(writer);
const allowedBy = (role: RoleProperties) =>
  [
    ...new Set(
      statementsOf(role)
        .filter((statement) => statement.Effect === 'Allow')
        .flatMap((statement) => list(statement.Action)),
    ),
  ].sort();

async function decide(request: {
  action: string;
  principal: string;
  resource: string;
  context?: Record<string, string>;
  identity?: unknown;
  resourcePolicy?: unknown;
}) {
  const result = await runSimulation(
    {
      identityPolicies: request.identity ? [{ name: 'identity', policy: request.identity }] : [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
      request: {
        action: request.action,
        principal: request.principal,
        resource: { accountId: request.resource.split(':')[4] || MEMBER, resource: request.resource },
        contextVariables: request.context ?? {},
      },
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}

describeAgainstSpecifications('member.yaml');

describe('the member roles', () => {
  it('the member role may do exactly the revocation catalog’s IAM changes (Identity Center stays central)', () => {
    const catalog = Object.values(ACTIONS)
      .flatMap((action) => action.permissions)
      .filter((permission) => permission.startsWith('iam:'));
    expect(allowedBy(writer)).toEqual([...new Set(catalog)].sort());
  });

  it('the reader may do exactly the IAM reads', () => {
    expect(allowedBy(reader)).toEqual(
      IAM_READ_PERMISSIONS.filter((permission) => permission.startsWith('iam:')).sort(),
    );
  });

  it('allows no service’s every action and no action on every resource', () => {
    const forwarding = (
      stackSet.resolve(member.Resources.ForwardRole!.Properties) as {
        Policies: { PolicyDocument: { Statement: Statement[] } }[];
      }
    ).Policies.flatMap((policy) => policy.PolicyDocument.Statement);
    const allows = [...statements, ...statementsOf(reader), ...forwarding].filter(
      (statement) => statement.Effect === 'Allow',
    );
    expect(allows.length).toBeGreaterThan(4);
    expect(
      allows
        .flatMap((statement) => list(statement.Action))
        .filter((action) => action === '*' || action.endsWith(':*')),
    ).toEqual([]);
    expect(allows.filter((statement) => list(statement.Resource as string | string[]).includes('*'))).toEqual(
      [],
    );
  });

  it('acts in its own account only, and never on itself or its stack', async () => {
    const identity = { Version: '2012-10-17', Statement: statements };
    const self = `arn:aws:iam::${MEMBER}:role/revoker-member`;
    const principal = self;
    expect(
      await decide({
        identity,
        principal,
        action: 'iam:PutRolePolicy',
        resource: `arn:aws:iam::${MEMBER}:role/app-server`,
      }),
    ).toBe('Allowed');
    expect(await decide({ identity, principal, action: 'iam:PutRolePolicy', resource: self })).toBe(
      'ExplicitlyDenied',
    );
    expect(await decide({ identity, principal, action: 'iam:UpdateAssumeRolePolicy', resource: self })).toBe(
      'ExplicitlyDenied',
    );
    for (const administration of [
      'OrganizationAccountAccessRole',
      'stacksets-exec-0123abcd',
      'revoker-forward/StackSet-forward',
    ]) {
      expect(
        await decide({
          identity,
          principal,
          action: 'iam:UpdateAssumeRolePolicy',
          resource: `arn:aws:iam::${MEMBER}:role/${administration}`,
        }),
        administration,
      ).toBe('ExplicitlyDenied');
    }
    expect(
      await decide({
        identity,
        principal,
        action: 'cloudformation:DeleteStack',
        resource: String(stackSet.ref('AWS::StackId')),
      }),
    ).toBe('ExplicitlyDenied');
    expect(
      await decide({
        identity,
        principal,
        action: 'iam:PutRolePolicy',
        resource: `arn:aws:iam::999999999999:role/app-server`,
      }),
    ).not.toBe('Allowed');
  });

  const assume = (role: RoleProperties, roleName: string, principal: string, organization: string) =>
    decide({
      identity: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }],
      },
      principal,
      action: 'sts:AssumeRole',
      resource: `arn:aws:iam::${MEMBER}:role/${roleName}`,
      resourcePolicy: role.AssumeRolePolicyDocument,
      context: { 'aws:PrincipalOrgID': organization, 'aws:PrincipalArn': principal },
    });
  const central = (name: string) => `arn:aws:iam::${CENTRAL}:role/${name}`;

  it.each([
    [
      'the central revoke function',
      central('revoker-RevokeFunctionRole-AbC123'),
      ORGANIZATION,
      'Allowed',
      'Allowed',
    ],
    [
      'the central offboard function',
      central('revoker-OffboardFunctionRole-AbC123'),
      ORGANIZATION,
      'Allowed',
      'Allowed',
    ],
    ['a grant’s end', central('revoker-ExpireGrantFunctionRole-AbC123'), ORGANIZATION, 'Allowed', 'Allowed'],
    [
      'the escalate function (it reads only)',
      central('revoker-EscalateFunctionRole-AbC123'),
      ORGANIZATION,
      'ImplicitlyDenied',
      'Allowed',
    ],
    [
      'the operator API (it reads only)',
      central('revoker-OperatorFunctionRole-AbC123'),
      ORGANIZATION,
      'ImplicitlyDenied',
      'Allowed',
    ],
    [
      'the heartbeat',
      central('revoker-HeartbeatFunctionRole-AbC123'),
      ORGANIZATION,
      'ImplicitlyDenied',
      'Allowed',
    ],
    [
      'a second stack’s revoke function',
      central('revoker-staging-RevokeFunctionRole-AbC123'),
      ORGANIZATION,
      'ImplicitlyDenied',
      'Allowed',
    ],
    [
      'another role of the central account',
      central('Admin'),
      ORGANIZATION,
      'ImplicitlyDenied',
      'ImplicitlyDenied',
    ],
    [
      'a role of the same name in another account',
      'arn:aws:iam::999999999999:role/revoker-RevokeFunctionRole-AbC123',
      ORGANIZATION,
      'ImplicitlyDenied',
      'ImplicitlyDenied',
    ],
    [
      'the revoke function outside the organisation',
      central('revoker-RevokeFunctionRole-AbC123'),
      'o-zzzzzzzzzz',
      'ImplicitlyDenied',
      'ImplicitlyDenied',
    ],
  ])(
    'trust: %s may assume the member role: %s; the reader: %s',
    async (_who, principal, organization, toChange, toRead) => {
      expect(await assume(writer, 'revoker-member', principal, organization)).toBe(toChange);
      expect(await assume(reader, 'revoker-member-reader', principal, organization)).toBe(toRead);
    },
  );

  it('in the central account itself, never touches the central stack’s roles and policies', async () => {
    const inCentral = new TemplateResolver(member, { ...stackSet.deployment, accountId: CENTRAL });
    const identity = { Version: '2012-10-17', Statement: statementsOf(roleIn(inCentral, 'MemberRole')) };
    const principal = `arn:aws:iam::${CENTRAL}:role/revoker-member`;
    for (const resource of [
      `arn:aws:iam::${CENTRAL}:role/revoker-RevokeFunctionRole-AbC123`,
      `arn:aws:iam::${CENTRAL}:role/revoker-DetectForwardRole-AbC123`,
    ])
      expect(await decide({ identity, principal, action: 'iam:PutRolePolicy', resource })).toBe(
        'ExplicitlyDenied',
      );
    expect(
      await decide({
        identity,
        principal,
        action: 'iam:PutRolePolicy',
        resource: `arn:aws:iam::${CENTRAL}:role/app-server`,
      }),
    ).toBe('Allowed');
    // In a member account, a role named like the central stack's is revoked as any other.
    expect(
      await decide({
        identity: { Version: '2012-10-17', Statement: statements },
        principal: `arn:aws:iam::${MEMBER}:role/revoker-member`,
        action: 'iam:PutRolePolicy',
        resource: `arn:aws:iam::${MEMBER}:role/revoker-backdoor`,
      }),
    ).toBe('Allowed');
  });
});

describe('forwarding to the central detect bus', () => {
  const patternsOf = (template: typeof member, names: string[]) =>
    names.map((name) => template.Resources[name]!.Properties.EventPattern);

  it('forwards exactly what the central stack forwards from its own account: the catalog’s patterns', () => {
    expect(
      patternsOf(member, [
        'ForwardNamedCalls',
        'ForwardRootActivity',
        'ForwardGuardDutyFindings',
        'ForwardSecurityHubFindings',
      ]),
    ).toEqual(forwardingPatterns());
    expect(
      patternsOf(central, [
        'DetectForwardNamedCalls',
        'DetectForwardRootActivity',
        'DetectForwardGuardDutyFindings',
        'DetectForwardSecurityHubFindings',
      ]),
    ).toEqual(forwardingPatterns());
  });

  it('the central bus takes events from the organisation’s accounts, and no one else', async () => {
    const resolver = new TemplateResolver(central, {
      ...DEPLOYMENT,
      parameters: { ...DEPLOYMENT.parameters, OrganizationId: ORGANIZATION },
    });
    const policy = resolver.resolve(central.Resources.DetectBusOrganization!.Properties) as {
      Statement: unknown;
    };
    const resourcePolicy = { Version: '2012-10-17', Statement: [policy.Statement] };
    const bus = String(resolver.getAtt('DetectBus', 'Arn'));
    const put = (principal: string, organization: string) =>
      decide({
        context: { 'aws:PrincipalOrgID': organization, 'aws:PrincipalArn': principal },
        identity: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: '*' }],
        },
        principal,
        action: 'events:PutEvents',
        resource: bus,
        resourcePolicy,
      });
    const forwarder = String(stackSet.getAtt('ForwardRole', 'Arn')).replace(
      ':role/',
      ':role/revoker-forward/',
    );
    expect(await put(forwarder, ORGANIZATION)).toBe('Allowed');
    // Anyone else of the organisation, even with events:PutEvents of their own, may not.
    expect(await put(`arn:aws:iam::${MEMBER}:role/Admin`, ORGANIZATION)).toBe('ImplicitlyDenied');
    expect(await put('arn:aws:iam::999999999999:role/elsewhere', 'o-zzzzzzzzzz')).toBe('ImplicitlyDenied');
  });
});
