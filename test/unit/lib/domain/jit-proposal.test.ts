// Narrow just-in-time proposals from refused calls, with IAM's real catalogue (iam-data): the
// grant each needs, its proof, its eligibility under access.grants, and names that must not
// become patterns.
import { describe, expect, it } from 'vitest';
import { type Access, AccessSchema, grantRulesCovering } from '../../../../lib/domain/access.ts';
import {
  coverageProbes,
  eligibilityOf,
  type NarrowProposal,
  nameProblem,
  proposeNarrowGrants,
  proveProposal,
  REFUSED_ELSEWHERE,
  type Refused,
  requestAdvice,
  UNKNOWN_ELIGIBLE,
} from '../../../../lib/domain/jit-proposal.ts';
import { factsFor } from '../../../../lib/usecases/refine.ts';

const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/service-role/report-exporter`;
const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/report-index`;

function refused(fields: Partial<Refused> & Pick<Refused, 'eventSource' | 'eventName' | 'action'>): Refused {
  return {
    region: 'us-east-1',
    errorCode: 'AccessDenied',
    bucket: null,
    objectKey: null,
    name: null,
    calls: 1,
    sourceIps: 1,
    firstDenied: '2026-01-15T10:00:00Z',
    lastDenied: '2026-01-15T10:00:00Z',
    ...fields,
  };
}

const putItem = (name: string | null, calls = 3) =>
  refused({
    eventSource: 'dynamodb.amazonaws.com',
    eventName: 'PutItem',
    action: 'dynamodb:PutItem',
    name,
    calls,
  });
const getObject = (key: string, bucket = 'report-exports') =>
  refused({
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    action: 's3:GetObject',
    bucket,
    objectKey: key,
  });

async function propose(calls: Refused[], widen = false) {
  const actions = new Set(calls.flatMap((call) => (call.action ? [call.action] : [])));
  return proposeNarrowGrants(
    calls,
    { partition: 'aws', account: ACCOUNT, facts: await factsFor(actions) },
    { widen },
  );
}

describe('proposeNarrowGrants', () => {
  it('allows the one action on the one table, built from IAM’s ARN format', async () => {
    const { proposals, unproposed } = await propose([putItem('report-index')]);

    expect(unproposed).toEqual([]);
    expect(proposals).toHaveLength(1);
    expect(proposals[0]).toMatchObject({
      action: 'dynamodb:PutItem',
      resource: TABLE,
      calls: 3,
      widened: false,
    });
    expect(proposals[0]!.document).toEqual({
      Version: '2012-10-17',
      Statement: [{ Sid: 'JustInTime', Effect: 'Allow', Action: ['dynamodb:PutItem'], Resource: [TABLE] }],
    });
  });

  it('names an object exactly, or with widen its folder’s stable prefix, one grant for the folder', async () => {
    const calls = [getObject('data/2026/01/14/a.json'), getObject('data/2026/01/15/b.json')];

    const exact = await propose(calls);
    const widened = await propose(calls, true);

    expect(exact.proposals.map((proposal) => proposal.resource)).toEqual([
      'arn:aws:s3:::report-exports/data/2026/01/14/a.json',
      'arn:aws:s3:::report-exports/data/2026/01/15/b.json',
    ]);
    expect(widened.proposals).toHaveLength(1);
    expect(widened.proposals[0]).toMatchObject({
      resource: 'arn:aws:s3:::report-exports/data/*',
      widened: true,
      calls: 2,
    });
    expect(widened.proposals[0]!.for.map(({ request }) => request.resource)).toEqual([
      'arn:aws:s3:::report-exports/data/2026/01/14/a.json',
      'arn:aws:s3:::report-exports/data/2026/01/15/b.json',
    ]);
  });

  it('allows an action IAM has no resource-level permission for on *, and says why', async () => {
    const { proposals } = await propose([
      refused({ eventSource: 's3.amazonaws.com', eventName: 'ListBuckets', action: 's3:ListAllMyBuckets' }),
    ]);

    expect(proposals[0]).toMatchObject({
      resource: '*',
      wildcardReason: 'IAM has no resource-level permission for it',
      document: { Statement: [{ Resource: '*' }] },
    });
  });

  it('proposes nothing for a call with no IAM action, on no named resource, or refused elsewhere', async () => {
    const { proposals, unproposed } = await propose([
      refused({ eventSource: 'example.amazonaws.com', eventName: 'Frobnicate', action: null }),
      putItem(null),
      { ...putItem('report-index'), currentPolicies: 'allowed' },
    ]);

    expect(proposals).toEqual([]);
    expect(unproposed.map(({ reason }) => reason)).toEqual([
      'IAM has no action by this name',
      'a grant on every resource is not narrow: the log does not name the resource it was called on',
      REFUSED_ELSEWHERE,
    ]);
  });

  it('never proposes a grant to get round a revocation’s deny', async () => {
    const { proposals, unproposed } = await propose([
      { ...putItem('report-index'), currentPolicies: 'revoked' },
    ]);

    expect(proposals).toEqual([]);
    expect(unproposed.map(({ reason }) => reason)).toEqual([
      'refused by the deny a revocation put on the principal: no grant is proposed',
    ]);
  });
});

describe('names chosen by the caller decide nothing', () => {
  it('refuses a hostile key holding `*`: as a Resource it would allow every key it matches', async () => {
    const { proposals, unproposed } = await propose([getObject('exports/*')], true);

    expect(proposals).toEqual([]);
    expect(unproposed).toEqual([
      {
        call: expect.objectContaining({ objectKey: 'exports/*' }),
        reason:
          "its key holds `*`, which a policy’s Resource reads as a wildcard: a statement naming it would allow more than the call refused (names in a refused call are the caller's choice)",
      },
    ]);
  });

  it.each([
    ['a key holding ?', getObject('data/report-?.json'), 'its key holds `?`'],
    [
      'a key holding a policy variable',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a policy variable, as a caller would send it.
      getObject('home/${aws:username}/x'),
      'its key holds `${`, which a policy’s Resource reads as a policy variable',
    ],
    ['a table named *', putItem('*'), 'its resource name holds `*`'],
    [
      'a table ARN with a wildcard',
      putItem(`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/*`),
      'its resource name holds `*`',
    ],
    [
      'a bucket that is no bucket name',
      getObject('a.json', 'Report_Exports'),
      'its bucket is not a valid S3 bucket name',
    ],
    [
      'a region that is no region',
      { ...putItem('report-index'), region: 'us-east-1/x' },
      'the region it was called in is not a region',
    ],
  ])('refuses %s', async (_, call, reason) => {
    const { proposals, unproposed } = await propose([call]);

    expect(proposals).toEqual([]);
    expect(unproposed[0]!.reason).toContain(reason);
    expect(nameProblem(call)).toContain(reason);
  });

  it('keeps a key whose characters are only unusual', () => {
    expect(nameProblem(getObject('data/price $5 (final) [v2].json'))).toBeNull();
  });
});

describe('proveProposal', () => {
  it('allows every refused request it is for, and refuses a neighbouring resource', async () => {
    const { proposals } = await propose([putItem('report-index')]);

    const proof = proveProposal(proposals[0]!);

    expect(proof.holds).toBe(true);
    expect(proof.judged).toEqual([
      {
        request: { action: 'dynamodb:PutItem', resource: TABLE },
        calls: 3,
        decision: { decision: 'allowed', by: { policy: 'proposal', sid: 'JustInTime', index: 0 } },
      },
    ]);
    expect(proof.neighbour).toEqual({
      request: { action: 'dynamodb:PutItem', resource: `${TABLE}-neighbour` },
      decision: { decision: 'implicit-deny' },
    });
  });

  it('fails a document that allows more (a wildcard) or not the call', async () => {
    const { proposals } = await propose([putItem('report-index')]);
    const proposal = proposals[0]!;
    const wider: NarrowProposal = {
      ...proposal,
      document: {
        ...proposal.document,
        Statement: [{ ...proposal.document.Statement[0]!, Resource: ['*'] }],
      },
    };
    const other: NarrowProposal = {
      ...proposal,
      document: {
        ...proposal.document,
        Statement: [{ ...proposal.document.Statement[0]!, Action: ['dynamodb:GetItem'] }],
      },
    };

    expect(proveProposal(wider).holds).toBe(false);
    expect(proveProposal(other).holds).toBe(false);
    expect(proveProposal(other).judged[0]!.decision).toEqual({ decision: 'implicit-deny' });
  });
});

const WRITER = `arn:aws:iam::${ACCOUNT}:policy/report-writer`;
const POWER_USER = 'arn:aws:iam::aws:policy/PowerUserAccess';
const access: Access = AccessSchema.parse({
  groups: { engineers: ['arn:aws:iam::*:user/*'], responders: ['arn:aws:iam::*:user/oncall'] },
  grants: [
    {
      group: 'engineers',
      policies: [WRITER, POWER_USER],
      principals: ['arn:aws:iam::*:role/service-role/report-*'],
      accounts: [ACCOUNT],
      maxDuration: '4h',
      approvers: 'responders',
    },
    {
      group: 'engineers',
      policies: ['arn:aws:iam::aws:policy/job-function/ViewOnlyAccess'],
      principals: ['arn:aws:iam::*:user/*'],
      accounts: ['*'],
      maxDuration: '8h',
      approvers: null,
    },
  ],
  runbookRunsPerHour: 10,
});
const writerDocument = (resource: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['dynamodb:PutItem', 's3:GetObject'], Resource: resource }],
  });

describe('eligibilityOf', () => {
  const rules = grantRulesCovering(ROLE, access);
  const put = { action: 'dynamodb:PutItem', resource: TABLE };

  it('is within an eligible policy whose document allows it', () => {
    const documents = new Map([
      [WRITER, writerDocument(`arn:aws:dynamodb:*:${ACCOUNT}:table/report-*`)],
      [POWER_USER, null],
    ]);

    expect(eligibilityOf(put, rules, documents, null)).toEqual({
      verdict: 'within',
      reason: `within ${WRITER}, which access.grants lets someone ask for on this principal`,
      coveredBy: [
        { policy: WRITER, rule: 'grants[0] (engineers)', approvers: 'responders', maxDuration: '4h' },
      ],
    });
  });

  it('needs an approver when no known document allows it and some are not known', () => {
    const documents = new Map([
      [WRITER, writerDocument(`arn:aws:dynamodb:*:${ACCOUNT}:table/other`)],
      [POWER_USER, null],
    ]);

    expect(eligibilityOf(put, rules, documents, null)).toEqual({
      verdict: 'unknown',
      reason: UNKNOWN_ELIGIBLE,
      unknown: [POWER_USER],
      notCovering: [WRITER],
    });
  });

  it('is beyond the rules when every eligible document is known and none allows it', () => {
    const documents = new Map([
      [WRITER, writerDocument(`arn:aws:dynamodb:*:${ACCOUNT}:table/other`)],
      [
        POWER_USER,
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }],
        }),
      ],
    ]);

    expect(eligibilityOf(put, rules, documents, null)).toMatchObject({
      verdict: 'beyond',
      judged: [WRITER, POWER_USER],
    });
  });

  it('says so when no rule covers the principal, or it is protected', () => {
    expect(eligibilityOf(put, [], new Map(), null)).toMatchObject({ verdict: 'no-rule' });
    expect(eligibilityOf(put, rules, new Map(), 'arn:aws:iam::*:role/service-role/*')).toMatchObject({
      verdict: 'protected',
    });
  });

  it('judges a widened prefix as a whole: a policy on part of it, or on one character, does not cover it', () => {
    const prefix = { action: 's3:GetObject', resource: 'arn:aws:s3:::report-exports/data/*' };
    const judged = (resource: string) =>
      eligibilityOf(
        prefix,
        rules,
        new Map([
          [WRITER, writerDocument(resource)],
          [POWER_USER, null],
        ]),
        null,
      ).verdict;

    expect(judged('arn:aws:s3:::report-exports/*')).toBe('within');
    expect(judged('arn:aws:s3:::report-exports/data/*')).toBe('within');
    expect(judged('arn:aws:s3:::report-exports/data/2026/*')).toBe('unknown');
    expect(judged('arn:aws:s3:::report-exports/data/?')).toBe('unknown');
  });

  it('probes a pattern as written, filled short and long', () => {
    expect(coverageProbes(TABLE)).toEqual([TABLE]);
    expect(coverageProbes('arn:aws:s3:::b/data/*')).toEqual([
      'arn:aws:s3:::b/data/*',
      'arn:aws:s3:::b/data/',
      'arn:aws:s3:::b/data/revoker-probe/x/y.json',
    ]);
  });
});

describe('requestAdvice', () => {
  const put = { action: 'dynamodb:PutItem', resource: TABLE };

  it('gives the command for the nearest covering managed policy, and says it allows more', () => {
    const advice = requestAdvice(ROLE, put, {
      verdict: 'within',
      reason: '',
      coveredBy: [
        { policy: WRITER, rule: 'grants[0] (engineers)', approvers: 'responders', maxDuration: '4h' },
      ],
    });

    expect(advice.command).toBe(
      `revoker jit request --deployed URL --principal ${ROLE} --policy ${WRITER} --for 1h --reason 'needs dynamodb:PutItem (revoker jit propose)'`,
    );
    expect(advice.note).toContain('never a document');
    expect(advice.note).toContain(`which allows more than dynamodb:PutItem on ${TABLE}`);
  });

  it('gives no command otherwise: a narrow document cannot be requested', () => {
    expect(
      requestAdvice(ROLE, put, {
        verdict: 'unknown',
        reason: UNKNOWN_ELIGIBLE,
        unknown: [],
        notCovering: [],
      }),
    ).toEqual({
      command: null,
      note: expect.stringContaining('a narrow grant cannot be requested as it stands'),
    });
  });
});
