import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbCaseStore } from '../../../../lib/aws/dynamodb-case-store.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
const store = () =>
  new DynamoDbCaseStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({})),
    'revoker-cases',
    () => new Date('2026-01-15T12:00:01.234Z'),
  );
const header = {
  pk: 'case#c1',
  sk: 'case',
  caseId: 'c1',
  openedAt: '2026-01-15T12:00:00Z',
  trigger: '{"ruleId":"r"}',
};
const entry = (sk: string, step: string, detail?: unknown) => ({
  pk: 'case#c1',
  sk,
  at: '2026-01-15T12:00:00Z',
  step,
  summary: `${step} done`,
  ...(detail === undefined ? {} : { detail: JSON.stringify(detail) }),
});

beforeEach(() => dynamo.reset());

describe('DynamoDbCaseStore', () => {
  it('appends an entry as its own item, writing the header once and the outcome with a condition', async () => {
    // The header is there already (an earlier step wrote it): its conditional put fails.
    dynamo.on(PutCommand).callsFake((input: { Item: { sk: string } }) => {
      if (input.Item.sk === 'case')
        throw Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException' });
      return {};
    });
    dynamo.on(UpdateCommand).resolves({});
    dynamo
      .on(QueryCommand)
      .resolves({ Items: [header, entry('entry#2026-01-15T12:00:01.234Z#u1', 'close')] });

    const record = await store().append(
      'c1',
      { caseId: 'c1', openedAt: '2026-01-15T12:00:00Z', trigger: { ruleId: 'r' } },
      { at: '2026-01-15T12:00:00Z', step: 'close', summary: 'close done', detail: { outcome: 'contained' } },
      'contained',
    );

    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'revoker-cases',
      Item: { ...header },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'revoker-cases',
      Item: {
        pk: 'case#c1',
        sk: expect.stringMatching(/^entry#2026-01-15T12:00:01\.234Z#[0-9a-f-]{36}$/),
        at: '2026-01-15T12:00:00Z',
        step: 'close',
        summary: 'close done',
        detail: '{"outcome":"contained"}',
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { pk: 'case#c1', sk: 'case' },
      UpdateExpression: 'SET outcome = :outcome',
      ExpressionAttributeValues: { ':outcome': 'contained' },
    });
    expect(record.audit).toEqual([{ at: '2026-01-15T12:00:00Z', step: 'close', summary: 'close done' }]);
  });

  it('reads a case across pages, entries in the order they were written', async () => {
    dynamo
      .on(QueryCommand, { ExclusiveStartKey: undefined })
      .resolves({
        Items: [entry('entry#2026-01-15T12:05:00.000Z#b', 'verify')],
        LastEvaluatedKey: { pk: 'case#c1', sk: 'x' },
      })
      .on(QueryCommand, { ExclusiveStartKey: { pk: 'case#c1', sk: 'x' } })
      .resolves({
        Items: [
          { ...header, outcome: 'contained' },
          entry('entry#2026-01-15T12:00:00.000Z#a', 'confirm', { score: 100 }),
        ],
      });

    const record = await store().get('c1');

    expect(record).toEqual({
      caseId: 'c1',
      openedAt: '2026-01-15T12:00:00Z',
      trigger: { ruleId: 'r' },
      outcome: 'contained',
      audit: [
        { at: '2026-01-15T12:00:00Z', step: 'confirm', summary: 'confirm done', detail: { score: 100 } },
        { at: '2026-01-15T12:00:00Z', step: 'verify', summary: 'verify done' },
      ],
    });
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'revoker-cases',
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'case#c1' },
      ConsistentRead: true,
    });
  });

  it('knows no case without its header, and lists every case from a scan', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(ScanCommand).resolves({
      Items: [header, entry('entry#1#a', 'confirm'), { ...header, pk: 'case#c2', caseId: 'c2' }],
    });

    expect(await store().get('c404')).toBeNull();
    expect((await store().list()).map((record) => [record.caseId, record.audit.length])).toEqual([
      ['c1', 1],
      ['c2', 0],
    ]);
  });
});
