// findExplicitDeny (the local IAM account's revocations) and evaluateIdentityPolicies (allow or
// deny for an action on a resource), the latter cross-checked against an independent IAM
// evaluator (@cloud-copilot/iam-simulate, a test-only oracle) on generated policies and calls.
import { runSimulation } from '@cloud-copilot/iam-simulate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  evaluateIdentityPolicies,
  findExplicitDeny,
  lostAccess,
  MalformedPolicyError,
  type NamedPolicy,
  type PolicyRequest,
  UnsupportedPolicyError,
} from '../../../../lib/domain/policy-evaluator.ts';
import { revokeOlderSessionsPolicy } from '../../../../lib/domain/revocation/policies.ts';

const cutoff = '2026-01-15T12:00:00Z';
const policy = revokeOlderSessionsPolicy(cutoff);

describe('findExplicitDeny', () => {
  it('denies sessions issued before the cutoff and lets later sessions through', () => {
    const before = { action: 'iam:CreateUser', keys: { 'aws:TokenIssueTime': '2026-01-15T11:59:59Z' } };
    const after = { action: 'iam:CreateUser', keys: { 'aws:TokenIssueTime': '2026-01-15T12:00:00Z' } };

    expect(findExplicitDeny([policy], before)).toEqual({ sid: 'RevokerDenySessionsIssuedBeforeCutoff' });
    expect(findExplicitDeny([policy], after)).toBeNull();
  });

  it('does not apply a token-time condition to long-term keys, which have no TokenIssueTime', () => {
    expect(findExplicitDeny([policy], { action: 's3:GetObject', keys: {} })).toBeNull();
  });

  it('refuses to guess about operators it does not implement', () => {
    const odd = JSON.stringify({
      Statement: [
        { Effect: 'Deny', Action: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } },
      ],
    });

    expect(() => findExplicitDeny([odd], { action: 's3:GetObject', keys: {} })).toThrow(
      UnsupportedPolicyError,
    );
  });

  it('refuses to judge a deny scoped to resources rather than over-deny', () => {
    const scoped = JSON.stringify({
      Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::secrets/*' }],
    });

    expect(() => findExplicitDeny([scoped], { action: 's3:GetObject', keys: {} })).toThrow(
      /scoped to resources/,
    );
  });

  it('takes ForAnyValue with a positive operator over the one value a call carries, and refuses a negated one', () => {
    const sources = (operator: string) =>
      JSON.stringify({
        Statement: [
          {
            Effect: 'Deny',
            Action: 'events:PutEvents',
            Condition: { [operator]: { 'events:source': 'revoker.*' } },
          },
        ],
      });
    const put = (source: string) => ({ action: 'events:PutEvents', keys: { 'events:source': source } });

    expect(findExplicitDeny([sources('ForAnyValue:StringLike')], put('revoker.jit'))).not.toBeNull();
    expect(findExplicitDeny([sources('ForAnyValue:StringLike')], put('com.example'))).toBeNull();
    expect(
      findExplicitDeny([sources('ForAnyValue:StringLike')], { action: 'events:PutEvents', keys: {} }),
    ).toBeNull();
    expect(() => findExplicitDeny([sources('ForAnyValue:StringNotLike')], put('com.example'))).toThrow(
      UnsupportedPolicyError,
    );
  });

  it('matches action wildcards case-insensitively, as IAM does', () => {
    const scoped = JSON.stringify({ Statement: [{ Effect: 'Deny', Action: ['iam:Create*'] }] });

    expect(findExplicitDeny([scoped], { action: 'IAM:createaccesskey', keys: {} })).not.toBeNull();
    expect(findExplicitDeny([scoped], { action: 'iam:ListUsers', keys: {} })).toBeNull();
  });
});

const identity = (name: string, ...Statement: object[]): NamedPolicy => ({
  name,
  document: { Version: '2012-10-17', Statement },
});
const object = (key: string, bucket = 'bucket') => `arn:aws:s3:::${bucket}/${key}`;
const put = (resource: string, keys?: PolicyRequest['keys']): PolicyRequest => ({
  action: 's3:PutObject',
  resource,
  ...(keys ? { keys } : {}),
});
const decide = (policies: NamedPolicy[], request: PolicyRequest) =>
  evaluateIdentityPolicies(policies, request).decision;

describe('evaluateIdentityPolicies', () => {
  it('lets s3:* on * put any object', () => {
    const all = [identity('all', { Sid: 'S3', Effect: 'Allow', Action: 's3:*', Resource: '*' })];

    expect(evaluateIdentityPolicies(all, put(object('any/key.bin', 'any-bucket')))).toEqual({
      decision: 'allowed',
      by: { policy: 'all', sid: 'S3', index: 0 },
    });
    expect(decide(all, { action: 'iam:CreateUser', resource: 'arn:aws:iam::111122223333:user/x' })).toBe(
      'implicit-deny',
    );
  });

  it('scopes PutObject on bucket/data/* to objects under data/, not elsewhere nor the bucket itself', () => {
    const data = [
      identity('data', { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::bucket/data/*' }),
    ];

    expect(evaluateIdentityPolicies(data, put(object('data/x/y.json')))).toEqual({
      decision: 'allowed',
      by: { policy: 'data', sid: 'statement 0', index: 0 },
    });
    expect(decide(data, put(object('other/x')))).toBe('implicit-deny');
    expect(decide(data, put('arn:aws:s3:::bucket'))).toBe('implicit-deny');
    expect(decide(data, put(object('data/x', 'other-bucket')))).toBe('implicit-deny');
    expect(decide(data, { action: 's3:GetObject', resource: object('data/x') })).toBe('implicit-deny');
  });

  it('lets an explicit Deny in any policy beat every Allow, and names it', () => {
    const policies = [
      identity('broad', { Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' }),
      identity('guard', {
        Sid: 'NoSecrets',
        Effect: 'Deny',
        Action: 's3:Get*',
        Resource: 'arn:aws:s3:::secrets/*',
      }),
    ];

    expect(
      evaluateIdentityPolicies(policies, { action: 's3:GetObject', resource: object('k', 'secrets') }),
    ).toEqual({
      decision: 'explicit-deny',
      by: { policy: 'guard', sid: 'NoSecrets', index: 0 },
    });
    expect(decide(policies, put(object('k', 'secrets')))).toBe('allowed');
  });

  it('applies NotResource and NotAction to everything but what they name', () => {
    const policies = [
      identity(
        'p',
        { Effect: 'Allow', Action: 's3:*', NotResource: ['arn:aws:s3:::secrets', 'arn:aws:s3:::secrets/*'] },
        { Effect: 'Deny', NotAction: 's3:Get*', NotResource: 'arn:aws:s3:::public/*' },
      ),
    ];

    expect(decide(policies, { action: 's3:GetObject', resource: object('k', 'reports') })).toBe('allowed');
    expect(decide(policies, { action: 's3:GetObject', resource: object('k', 'secrets') })).toBe(
      'implicit-deny',
    );
    expect(decide(policies, put(object('k', 'reports')))).toBe('explicit-deny');
    expect(decide(policies, put(object('k', 'public')))).toBe('allowed');
  });

  it('matches actions case-insensitively and resources case-sensitively, with * spanning / and :', () => {
    const policies = [
      identity(
        'p',
        { Effect: 'Allow', Action: 'S3:get*', Resource: 'arn:aws:s3:::Bucket/*.json' },
        {
          Effect: 'Allow',
          Action: 'logs:PutLogEvents',
          Resource: 'arn:aws:logs:*:111122223333:log-group:/app/*',
        },
        { Effect: 'Allow', Action: 'iam:Get?ser', Resource: 'arn:aws:iam' },
      ),
    ];

    expect(decide(policies, { action: 's3:GetObject', resource: object('a/b.json', 'Bucket') })).toBe(
      'allowed',
    );
    expect(decide(policies, { action: 's3:GetObject', resource: object('a/b.json', 'bucket') })).toBe(
      'implicit-deny',
    );
    const stream = 'arn:aws:logs:eu-west-1:111122223333:log-group:/app/web:log-stream:i-1';
    expect(decide(policies, { action: 'logs:PutLogEvents', resource: stream })).toBe('allowed');
    // A short ARN stands for its missing segments as wildcards.
    expect(decide(policies, { action: 'iam:GetUser', resource: 'arn:aws:iam::111122223333:user/x' })).toBe(
      'allowed',
    );
    expect(decide(policies, { action: 'iam:GetUsers', resource: 'arn:aws:iam::111122223333:user/x' })).toBe(
      'implicit-deny',
    );
  });

  it('grants an action that takes no resource only through Resource "*"', () => {
    const list = (Resource: string) => [
      identity('p', { Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource }),
    ];
    const request = { action: 's3:ListAllMyBuckets', resource: '*' };

    expect(decide(list('*'), request)).toBe('allowed');
    expect(decide(list('arn:aws:s3:::*'), request)).toBe('implicit-deny');
    expect(() => decide(list('*'), { action: 's3:GetObject', resource: 'bucket/key' })).toThrow(/neither/);
  });

  it('evaluates string, numeric, date, Bool, Null and ARN conditions, with IfExists', () => {
    const guarded = identity('p', {
      Effect: 'Allow',
      Action: 's3:PutObject',
      Resource: '*',
      Condition: {
        StringEqualsIgnoreCase: { 'aws:PrincipalTag/Team': 'DATA' },
        StringNotLike: { 'aws:username': 'tmp-*' },
        NumericLessThanEquals: { 'aws:MultiFactorAuthAge': '3600' },
        DateLessThan: { 'aws:CurrentTime': '2027-01-01T00:00:00Z' },
        BoolIfExists: { 'aws:SecureTransport': true },
        Null: { 'aws:SourceVpc': 'true' },
        ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/*' },
      },
    });
    const keys = {
      'aws:principaltag/team': 'data',
      'aws:username': 'alice',
      'aws:MultiFactorAuthAge': '60',
      'aws:CurrentTime': '2026-05-01T00:00:00Z',
      'aws:PrincipalArn': 'arn:aws:iam::111122223333:user/alice',
    };

    expect(decide([guarded], put(object('k'), keys))).toBe('allowed');
    expect(decide([guarded], put(object('k'), { ...keys, 'aws:SecureTransport': 'false' }))).toBe(
      'implicit-deny',
    );
    expect(decide([guarded], put(object('k'), { ...keys, 'aws:username': 'tmp-1' }))).toBe('implicit-deny');
    expect(decide([guarded], put(object('k'), { ...keys, 'aws:MultiFactorAuthAge': '7200' }))).toBe(
      'implicit-deny',
    );
    expect(decide([guarded], put(object('k'), { ...keys, 'aws:SourceVpc': 'vpc-1' }))).toBe('implicit-deny');
    expect(
      decide(
        [guarded],
        put(object('k'), { ...keys, 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/x' }),
      ),
    ).toBe('implicit-deny');
    const { 'aws:MultiFactorAuthAge': _, ...withoutMfa } = keys;
    expect(decide([guarded], put(object('k'), withoutMfa))).toBe('implicit-deny');
  });

  it('takes IPv4 and IPv6 CIDR blocks, and NotIpAddress for an absent key', () => {
    const network = (operator: string) =>
      identity('p', {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { [operator]: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] } },
      });
    const from = (ip?: string) => put(object('k'), ip ? { 'aws:SourceIp': ip } : {});

    expect(decide([network('NotIpAddress')], from('10.20.30.40'))).toBe('implicit-deny');
    expect(decide([network('NotIpAddress')], from('2001:db8:1::7'))).toBe('implicit-deny');
    expect(decide([network('NotIpAddress')], from('192.0.2.1'))).toBe('explicit-deny');
    expect(decide([network('NotIpAddress')], from('2001:db9::1'))).toBe('explicit-deny');
    expect(decide([network('NotIpAddress')], from())).toBe('explicit-deny');
    expect(decide([network('IpAddress')], from('10.0.0.1'))).toBe('explicit-deny');
    expect(decide([network('IpAddress')], from())).toBe('implicit-deny');
  });

  it('tests multi-valued keys only through ForAnyValue and ForAllValues', () => {
    const via = (operator: string) =>
      identity('p', {
        Effect: 'Allow',
        Action: '*',
        Resource: '*',
        Condition: {
          [operator]: { 'aws:CalledVia': ['cloudformation.amazonaws.com', 'athena.amazonaws.com'] },
        },
      });
    const calledVia = (...services: string[]) => put(object('k'), { 'aws:CalledVia': services });

    expect(
      decide([via('ForAnyValue:StringEquals')], calledVia('athena.amazonaws.com', 'glue.amazonaws.com')),
    ).toBe('allowed');
    expect(
      decide([via('ForAllValues:StringEquals')], calledVia('athena.amazonaws.com', 'glue.amazonaws.com')),
    ).toBe('implicit-deny');
    expect(decide([via('ForAllValues:StringEquals')], put(object('k')))).toBe('allowed');
    expect(decide([via('ForAnyValue:StringEqualsIfExists')], put(object('k')))).toBe('implicit-deny');
    expect(
      decide([via('ForAnyValue:StringNotEquals')], calledVia('athena.amazonaws.com', 'glue.amazonaws.com')),
    ).toBe('allowed');
    expect(decide([via('StringEquals')], calledVia('athena.amazonaws.com'))).toBe('implicit-deny');
  });

  it(`fills \${aws:username} from the request, and refuses to guess when the request has none`, () => {
    const home = identity('home', {
      Sid: 'Home',
      Effect: 'Allow',
      Action: 's3:*',
      Resource: `arn:aws:s3:::bucket/home/\${aws:username}/*`,
    });

    expect(decide([home], put(object('home/alice/notes'), { 'aws:username': 'alice' }))).toBe('allowed');
    expect(decide([home], put(object('home/bob/notes'), { 'aws:username': 'alice' }))).toBe('implicit-deny');
    expect(decide([home], put(object('home/*/notes'), { 'aws:username': '*' }))).toBe('allowed');
    expect(decide([home], put(object('home/x/notes'), { 'aws:username': '*' }))).toBe('implicit-deny');
    expect(() => decide([home], put(object('home/alice/notes')))).toThrow(
      new UnsupportedPolicyError(
        `policy "home" statement "Home": policy variable \${aws:username} has no single value in this request; IAM would not match the element, and the local evaluator does not guess`,
      ),
    );
    // Before 2012-10-17 a variable is literal text.
    const old = { name: 'old', document: { ...(home.document as object), Version: '2008-10-17' } };
    expect(decide([old], put(object(`home/\${aws:username}/x`)))).toBe('allowed');
  });

  it('throws on an operator it does not know, naming the statement, rather than guess', () => {
    const odd = (operator: string) =>
      identity('odd', {
        Sid: 'Odd',
        Effect: 'Allow',
        Action: '*',
        Resource: '*',
        Condition: { [operator]: { k: 'v' } },
      });

    for (const operator of [
      'BinaryEquals',
      'StringMatches',
      'stringequals',
      'ForSomeValues:StringEquals',
      'NullIfExists',
    ])
      expect(() => decide([odd(operator)], put(object('k')))).toThrow(
        new UnsupportedPolicyError(
          `policy "odd" statement "Odd": condition operator ${operator} is not supported by the local evaluator`,
        ),
      );
  });

  it('throws a clear error naming the policy on a malformed document', () => {
    const cases: [unknown, RegExp][] = [
      ['{not json', /policy "bad" is not JSON/],
      [{ Statement: [{ Effect: 'allow', Action: '*', Resource: '*' }] }, /Statement\.0\.Effect/],
      [{ Statement: { Effect: 'Allow', Resource: '*' } }, /exactly one of Action or NotAction/],
      [{ Statement: { Effect: 'Allow', Action: '*' } }, /exactly one of Resource or NotResource/],
      [{ Statement: { Effect: 'Allow', Action: '*', Resource: '*', Principal: '*' } }, /Principal/],
      [{ Statement: { Effect: 'Allow', Action: '*', Resource: 'bucket/*' } }, /neither "\*" nor an ARN/],
      [
        {
          Statement: {
            Effect: 'Allow',
            Action: '*',
            Resource: '*',
            Condition: { IpAddress: { 'aws:SourceIp': '10/8' } },
          },
        },
        /not an IP address/,
      ],
      [{ Version: '2020-01-01', Statement: [] }, /Version/],
    ];

    for (const [document, message] of cases) {
      const attempt = () => decide([{ name: 'bad', document: document as object }], put(object('k')));
      expect(attempt).toThrow(MalformedPolicyError);
      expect(attempt).toThrow(message);
      expect(attempt).toThrow(/policy "bad"/);
    }
  });
});

describe('lostAccess', () => {
  it('lists the calls the broad policies allow and the narrow ones do not, with why', () => {
    const broad = [identity('broad', { Sid: 'All', Effect: 'Allow', Action: 's3:*', Resource: '*' })];
    const narrow = [
      identity(
        'narrow',
        { Sid: 'Data', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' },
        { Sid: 'NoTmp', Effect: 'Deny', Action: '*', Resource: 'arn:aws:s3:::bucket/tmp/*' },
      ),
    ];
    const get = (key: string) => ({ action: 's3:GetObject', resource: object(key) });

    expect(
      lostAccess(broad, narrow, [
        get('data/x'),
        put(object('data/x')),
        get('tmp/x'),
        { ...get('x'), action: 'ec2:RunInstances' },
      ]),
    ).toEqual([
      {
        request: put(object('data/x')),
        allowedBy: { policy: 'broad', sid: 'All', index: 0 },
        now: { decision: 'implicit-deny' },
      },
      {
        request: get('tmp/x'),
        allowedBy: { policy: 'broad', sid: 'All', index: 0 },
        now: { decision: 'explicit-deny', by: { policy: 'narrow', sid: 'NoTmp', index: 1 } },
      },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: on generated S3 policies and calls, our decision is the oracle's.

const ACCOUNT = '111122223333';
const ACTION_PATTERNS = [
  '*',
  's3:*',
  's3:GetObject',
  's3:getobject',
  's3:PutObject',
  's3:Get*',
  's3:*Object',
  's3:?etObject',
  's3:Put?bject',
  's3:List*',
  's3:ListBucket',
  's3:Delete*',
];
const resourcePattern = fc.oneof(
  fc.constantFrom(
    '*',
    'arn:aws:s3:::*',
    'arn:aws:s3:*:*:*',
    'arn:*:s3:::data-bucket/*',
    'arn:aws:s3:::*/data/*',
    // Short ARNs: the missing segments stand as wildcards.
    'arn:aws:s3',
    'arn:aws:s3:*',
  ),
  fc
    .tuple(
      fc.constantFrom('data-bucket', 'logs', 'data-*', '*', 'd?ta-bucket', 'data-bucket*'),
      fc.constantFrom(
        '',
        '/*',
        '/data/*',
        '/data/x/y.json',
        '/*/y.json',
        '/data/?/y.json',
        `/\${aws:username}/*`,
        '/data*',
        '/*.json',
      ),
    )
    .map(([bucket, key]) => `arn:aws:s3:::${bucket}${key}`),
);
const strings = <T>(values: readonly T[]) =>
  fc.oneof(
    fc.constantFrom(...values),
    fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 3 }),
  );
const ifExists = fc.constantFrom('', 'IfExists');
const clause = fc
  .oneof(
    fc.tuple(
      fc.constantFrom(
        'StringEquals',
        'StringNotEquals',
        'StringLike',
        'StringNotLike',
        'StringEqualsIgnoreCase',
        'StringNotEqualsIgnoreCase',
      ),
      ifExists,
      fc.constantFrom('aws:username', 'aws:PrincipalTag/team'),
      strings(['alice', 'Alice', 'bob', 'al*', `\${aws:username}`]),
    ),
    fc.tuple(
      fc.constantFrom('ArnLike', 'ArnEquals', 'ArnNotLike', 'ArnNotEquals'),
      ifExists,
      fc.constant('aws:PrincipalArn'),
      strings([
        `arn:aws:iam::${ACCOUNT}:user/*`,
        'arn:aws:iam::*:user/alice',
        `arn:aws:iam::${ACCOUNT}:role/*`,
        `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`,
      ]),
    ),
    fc.tuple(fc.constant('Bool'), ifExists, fc.constant('aws:SecureTransport'), strings(['true', 'false'])),
    fc.tuple(
      fc.constant('Null'),
      fc.constant(''),
      fc.constantFrom('aws:SecureTransport', 'aws:PrincipalTag/team', 'aws:CalledVia'),
      fc.constantFrom('true', 'false'),
    ),
    fc.tuple(
      fc.constantFrom(
        'NumericEquals',
        'NumericNotEquals',
        'NumericLessThan',
        'NumericLessThanEquals',
        'NumericGreaterThan',
        'NumericGreaterThanEquals',
      ),
      ifExists,
      fc.constant('aws:MultiFactorAuthAge'),
      strings(['0', '120', '3600']),
    ),
    fc.tuple(
      fc.constantFrom('IpAddress', 'NotIpAddress'),
      ifExists,
      fc.constant('aws:SourceIp'),
      strings(['10.0.0.0/8', '192.0.2.0/24', '2001:db8::/32', '203.0.113.7/32']),
    ),
    fc.tuple(
      fc.constantFrom('DateGreaterThan', 'DateLessThanEquals', 'DateNotEquals'),
      ifExists,
      fc.constant('aws:CurrentTime'),
      strings(['2026-01-01T00:00:00Z']),
    ),
    fc.tuple(
      // A multi-valued key, with and without the set operator it needs.
      fc
        .tuple(
          fc.constantFrom('ForAnyValue:', 'ForAllValues:', ''),
          fc.constantFrom('StringEquals', 'StringLike', 'StringNotEquals', 'StringNotLike'),
        )
        .map(([set, operator]) => `${set}${operator}`),
      ifExists,
      fc.constant('aws:CalledVia'),
      strings(['cloudformation.amazonaws.com', 'athena.amazonaws.com', '*.amazonaws.com']),
    ),
  )
  .map(([operator, suffix, key, values]) => ({ operator: `${operator}${suffix}`, key, values }));
const statement = fc
  .record({
    Effect: fc.constantFrom('Allow', 'Deny'),
    negateAction: fc.boolean(),
    actions: strings(ACTION_PATTERNS),
    negateResource: fc.boolean(),
    resources: fc.oneof(resourcePattern, fc.uniqueArray(resourcePattern, { minLength: 1, maxLength: 3 })),
    clauses: fc.array(clause, { maxLength: 3 }),
  })
  .map(({ Effect, negateAction, actions, negateResource, resources, clauses }) => {
    const Condition: Record<string, Record<string, string | string[]>> = {};
    for (const { operator, key, values } of clauses)
      Condition[operator] = { ...Condition[operator], [key]: values };
    return {
      Effect,
      [negateAction ? 'NotAction' : 'Action']: actions,
      [negateResource ? 'NotResource' : 'Resource']: resources,
      ...(clauses.length > 0 ? { Condition } : {}),
    };
  });
const policies = fc
  .array(fc.array(statement, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 })
  .map((documents) =>
    documents.map((Statement, index) => ({
      name: `policy-${index}`,
      document: { Version: '2012-10-17', Statement },
    })),
  );
const call = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('s3:GetObject', 's3:PutObject', 's3:DeleteObject'),
      fc.constantFrom('data-bucket', 'logs', 'data-archive'),
      fc.constantFrom(
        'data/x/y.json',
        'data/a/y.json',
        'data/a',
        'other/x',
        'alice/notes.txt',
        'bob/y.json',
        'y.json',
      ),
    )
    .map(([action, bucket, key]) => ({ action, resource: `arn:aws:s3:::${bucket}/${key}` })),
  fc
    .tuple(
      fc.constantFrom('s3:ListBucket', 's3:GetBucketPolicy', 's3:DeleteBucket'),
      fc.constantFrom('data-bucket', 'logs', 'data-archive'),
    )
    .map(([action, bucket]) => ({ action, resource: `arn:aws:s3:::${bucket}` })),
);
const keys = fc.record(
  {
    'aws:username': fc.constantFrom('alice', 'bob'),
    'aws:PrincipalTag/team': fc.constantFrom('alice', 'Alice', 'ops'),
    'aws:PrincipalArn': fc.constantFrom(
      `arn:aws:iam::${ACCOUNT}:user/alice`,
      `arn:aws:iam::${ACCOUNT}:role/app`,
      'arn:aws:iam::444455556666:user/alice',
      'not-an-arn',
    ),
    'aws:SecureTransport': fc.constantFrom('true', 'false', 'TRUE', 'yes'),
    'aws:MultiFactorAuthAge': fc.constantFrom('0', '120', '7200', 'soon'),
    'aws:SourceIp': fc.constantFrom(
      '10.1.2.3',
      '192.0.2.9',
      '203.0.113.7',
      '198.51.100.1',
      '2001:db8::1',
      '2001:db9::1',
      'not-an-ip',
    ),
    'aws:CurrentTime': fc.constantFrom(
      '2025-06-01T00:00:00Z',
      '2026-01-01T00:00:00Z',
      '2026-06-01T00:00:00Z',
      'someday',
    ),
    'aws:CalledVia': fc.uniqueArray(
      fc.constantFrom('cloudformation.amazonaws.com', 'athena.amazonaws.com', 'glue.amazonaws.com'),
      { maxLength: 3 },
    ),
  },
  { requiredKeys: ['aws:username'] },
);

const ORACLE = {
  Allowed: 'allowed',
  ExplicitlyDenied: 'explicit-deny',
  ImplicitlyDenied: 'implicit-deny',
} as const;

async function oracle(generated: NamedPolicy[], request: PolicyRequest): Promise<string> {
  const result = await runSimulation(
    {
      identityPolicies: generated.map(({ name, document }) => ({ name, policy: document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: request.action,
        principal: `arn:aws:iam::${ACCOUNT}:user/alice`,
        resource: { accountId: ACCOUNT, resource: request.resource },
        contextVariables: request.keys ?? {},
      },
    },
    {},
  );
  if (result.resultType === 'error')
    throw new Error(`the oracle refused the case: ${JSON.stringify(result.errors)}`);
  return ORACLE[result.overallResult as keyof typeof ORACLE];
}

describe('evaluateIdentityPolicies against an independent evaluator', () => {
  it('decides every generated S3 case as the oracle does', async () => {
    const runs = 2000;
    let ran = 0;
    const decisions = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(policies, call, keys, async (generated, target, requestKeys) => {
        ran++;
        const request = { ...target, keys: requestKeys };
        const ours = decide(generated, request);
        decisions.set(ours, (decisions.get(ours) ?? 0) + 1);
        expect(ours).toBe(await oracle(generated, request));
      }),
      { numRuns: runs },
    );

    expect(ran).toBe(runs);
    // The generator reaches every outcome, not just one.
    expect([...decisions.keys()].sort()).toEqual(['allowed', 'explicit-deny', 'implicit-deny']);
  });
});
