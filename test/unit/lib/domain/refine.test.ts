// The refined policy from observed uses, with IAM's real catalogue of actions (iam-data).
import { describe, expect, it } from 'vitest';
import {
  folderOf,
  givenUp,
  type ObservedUse,
  provenCalls,
  refinePolicy,
  refusedUse,
  resourceScope,
  stablePrefix,
} from '../../../../lib/domain/refine.ts';
import { factsFor } from '../../../../lib/usecases/refine.ts';
import { ACCOUNT, contextFor, use } from '../../../fixtures/observed-uses.ts';

async function refined(uses: ObservedUse[]) {
  return refinePolicy(uses, await contextFor(uses));
}

const put = (folder: string, calls = 3) =>
  use({
    eventSource: 's3.amazonaws.com',
    eventName: 'PutObject',
    action: 's3:PutObject',
    bucket: 'ingest-bucket',
    folder,
    sampleKey: `${folder}a.json`,
    calls,
  });

describe('stablePrefix', () => {
  it.each([
    ['data/2026/01/15/', 'data/'],
    ['data/', 'data/'],
    ['', ''],
    ['exports/daily/dt=2026-01-15/', 'exports/daily/'],
    ['uploads/3f2b6c1e-8a4d-4e8b-9c1a-2b3c4d5e6f70/', 'uploads/'],
    ['2026-01-15/reports/', ''],
  ])('%s → %s', (folder, prefix) => {
    expect(stablePrefix(folder)).toBe(prefix);
  });
});

describe('resourceScope', () => {
  it('names an object exactly beside its folder’s stable prefix', async () => {
    const context = { partition: 'aws', account: ACCOUNT, facts: await factsFor(['s3:PutObject']) };

    expect(
      resourceScope(put('data/2026/01/15/'), 's3:PutObject', context.facts.get('s3:PutObject'), context),
    ).toEqual({
      patterns: ['arn:aws:s3:::ingest-bucket/data/*'],
      touched: 'arn:aws:s3:::ingest-bucket/data/2026/01/15/a.json',
      object: 'arn:aws:s3:::ingest-bucket/data/2026/01/15/a.json',
    });
  });

  it('does not take a name that only starts like an ARN for one', async () => {
    const context = { partition: 'aws', account: ACCOUNT, facts: await factsFor(['dynamodb:PutItem']) };
    const call = use({
      eventSource: 'dynamodb.amazonaws.com',
      eventName: 'PutItem',
      action: 'dynamodb:PutItem',
      resource: 'arn:aws:dynamodb',
    });

    expect(resourceScope(call, 'dynamodb:PutItem', context.facts.get('dynamodb:PutItem'), context)).toEqual({
      patterns: ['*'],
      touched: '*',
      wildcardReason: 'the log names arn:aws:dynamodb, which is not an ARN',
    });
  });
});

describe('refusedUse', () => {
  it('is the refused call as a use: its key’s folder, its name as the resource', () => {
    expect(folderOf('data/2026/x.json')).toBe('data/2026/');
    expect(folderOf('x.json')).toBe('');
    expect(folderOf(null)).toBeNull();
    expect(
      refusedUse({
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        region: 'eu-west-1',
        action: 's3:GetObject',
        errorCode: 'AccessDenied',
        bucket: 'b',
        objectKey: 'data/2026/x.json',
        name: null,
        calls: 2,
        sourceIps: 1,
        firstDenied: '2026-01-15T10:00:00Z',
        lastDenied: '2026-01-15T11:00:00Z',
      }),
    ).toEqual({
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      region: 'eu-west-1',
      action: 's3:GetObject',
      bucket: 'b',
      folder: 'data/2026/',
      sampleKey: 'data/2026/x.json',
      resource: null,
      calls: 2,
      firstUsed: '2026-01-15T10:00:00Z',
      lastUsed: '2026-01-15T11:00:00Z',
    });
  });
});

describe('refinePolicy', () => {
  it('allows exactly PutObject on the folder’s stable prefix, however many days the keys span', async () => {
    const policy = await refined([
      put('data/2026/01/14/'),
      put('data/2026/01/15/', 4),
      put('data/2026/02/01/'),
    ]);

    expect(policy.documents).toEqual([
      {
        name: 'revoker-refined',
        document: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'S3Statement1',
              Effect: 'Allow',
              Action: ['s3:PutObject'],
              Resource: ['arn:aws:s3:::ingest-bucket/data/*'],
            },
          ],
        },
      },
    ]);
    expect(policy.statements[0]!.justification).toEqual({
      calls: 10,
      firstUsed: '2026-01-01T00:00:00Z',
      lastUsed: '2026-01-02T00:00:00Z',
      apis: ['s3.amazonaws.com PutObject'],
    });
    expect(policy.kind).toBe('inline');
    const context = { partition: 'aws', account: ACCOUNT, facts: await factsFor(['s3:PutObject']) };
    expect(provenCalls([put('data/2026/01/15/')], context)).toEqual([
      expect.objectContaining({
        action: 's3:PutObject',
        resource: 'arn:aws:s3:::ingest-bucket/data/2026/01/15/a.json',
      }),
    ]);
  });

  it('allows an action without resource-level permissions on *, and says why', async () => {
    const policy = await refined([
      use({
        eventSource: 'sts.amazonaws.com',
        eventName: 'GetCallerIdentity',
        action: 'sts:GetCallerIdentity',
      }),
    ]);

    expect(policy.statements).toEqual([
      expect.objectContaining({
        Action: ['sts:GetCallerIdentity'],
        Resource: ['*'],
        wildcardReason: expect.stringContaining('no resource-level permission'),
      }),
    ]);
    expect(policy.documents[0]!.document.Statement[0]!.Resource).toBe('*');
  });

  it('names tables, secrets, parameters and queues by ARN from the names the calls gave', async () => {
    const policy = await refined([
      use({
        eventSource: 'dynamodb.amazonaws.com',
        eventName: 'PutItem',
        action: 'dynamodb:PutItem',
        resource: 'orders',
      }),
      use({
        eventSource: 'secretsmanager.amazonaws.com',
        eventName: 'GetSecretValue',
        action: 'secretsmanager:GetSecretValue',
        resource: 'prod/db',
      }),
      use({
        eventSource: 'ssm.amazonaws.com',
        eventName: 'GetParameter',
        action: 'ssm:GetParameter',
        resource: '/app/url',
      }),
      use({
        eventSource: 'sqs.amazonaws.com',
        eventName: 'SendMessage',
        action: 'sqs:SendMessage',
        resource: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/jobs`,
      }),
    ]);

    expect(policy.statements.map((statement) => [statement.Action, statement.Resource])).toEqual([
      [['dynamodb:PutItem'], [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders`]],
      [
        ['secretsmanager:GetSecretValue'],
        [`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-??????`],
      ],
      [['sqs:SendMessage'], [`arn:aws:sqs:us-east-1:${ACCOUNT}:jobs`]],
      [['ssm:GetParameter'], [`arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/app/url`]],
    ]);
  });

  it('leaves out, and lists, calls IAM has no action for', async () => {
    const policy = await refined([
      use({ eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', action: null, calls: 2 }),
      put('data/'),
    ]);

    expect(policy.unmapped).toEqual([
      { api: 'signin.amazonaws.com ConsoleLogin', calls: 2, reason: 'IAM has no action by this name' },
    ]);
    expect(policy.statements).toHaveLength(1);
  });

  it('covers a bucket’s objects when the folders are too many to list, and keeps folders under one prefix once', async () => {
    const many = Array.from({ length: 12 }, (_, index) => put(`team${String.fromCharCode(97 + index)}/`));
    const nested = await refined([put('data/'), put('data/in/')]);

    expect((await refined(many)).statements[0]!.Resource).toEqual(['arn:aws:s3:::ingest-bucket/*']);
    expect(nested.statements[0]!.Resource).toEqual(['arn:aws:s3:::ingest-bucket/data/*']);
  });

  it('splits a policy too large for one inline policy over managed ones, each within its quota', async () => {
    const uses = Array.from({ length: 150 }, (_, index) =>
      use({
        eventSource: 'dynamodb.amazonaws.com',
        eventName: index % 2 ? 'PutItem' : 'GetItem',
        action: index % 2 ? 'dynamodb:PutItem' : 'dynamodb:GetItem',
        resource: `a-rather-long-table-name-for-the-quota-${index}`,
      }),
    );
    const policy = await refined(uses);

    expect(policy.size).toBeGreaterThan(10_240);
    expect(policy.kind).toBe('managed');
    for (const { document } of policy.documents)
      expect(JSON.stringify(document).length).toBeLessThanOrEqual(6_144);
  });
});

describe('givenUp', () => {
  it('counts what s3:* on * allows that the refined policy does not, and the resources it narrows', async () => {
    const policy = await refined([put('data/2026/01/15/')]);
    const s3Actions = ['PutObject', 'GetObject', 'DeleteBucket', 'ListAllMyBuckets'];

    const lost = givenUp(
      [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }],
      policy.statements,
      {
        services: ['s3', 'ec2'],
        actionsOf: (service) => (service === 's3' ? s3Actions : ['DescribeInstances']),
      },
    );

    expect(lost).toEqual([
      {
        service: 's3',
        allowedNow: 4,
        kept: 1,
        examples: ['s3:DeleteBucket', 's3:GetObject', 's3:ListAllMyBuckets'],
        widerResources: ['*'],
      },
    ]);
  });
});
