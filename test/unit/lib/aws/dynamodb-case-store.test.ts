// The commands the DynamoDB case store sends, exactly: the item layout and the conditions that
// keep the port's promises. The contract suite (test/integration/lib/aws) runs them on dynalite.
import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbCaseStore } from '../../../../lib/aws/dynamodb-case-store.ts';
import { CaseStateError, closeHeader, digest } from '../../../../lib/domain/case.ts';
import { CaseNotFoundError } from '../../../../lib/ports.ts';
import { detection, header, opened } from '../../../fixtures/case-store-contract.ts';

const TABLE = 'revoker-cases';
const dynamo = mockClient(DynamoDBDocumentClient);
const store = () => new DynamoDbCaseStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), TABLE);
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** Every command sent, in order, by name and exact input. */
function sent(): [string, unknown][] {
  return dynamo.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: unknown };
    return [command.constructor.name, command.input];
  });
}

const headerItem = (caseId: string, version: number, seq: number) => ({
  pk: `case#${caseId}`,
  sk: 'case',
  header: JSON.stringify(header(caseId)),
  version,
  seq,
});
const entryItem = (caseId: string, entry: { id: string }, seq: number) => ({
  pk: `case#${caseId}`,
  sk: `entry#${entry.id}`,
  entry: JSON.stringify(entry),
  seq,
});

beforeEach(() => dynamo.reset());

describe('DynamoDbCaseStore.create', () => {
  it('puts the header item at version 1 with no entries, only where there is none', async () => {
    dynamo.on(PutCommand).resolves({});

    const created = await store().create(header('case-1'));

    expect(created).toBe(true);
    expect(sent()).toEqual([
      [
        'PutCommand',
        {
          TableName: TABLE,
          Item: headerItem('case-1', 1, 0),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      ],
    ]);
  });

  it('answers false when the condition fails', async () => {
    dynamo.on(PutCommand).rejects(conditionFailed());

    expect(await store().create(header('case-1'))).toBe(false);
  });

  it('throws any other error', async () => {
    dynamo.on(PutCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));

    await expect(store().create(header('case-1'))).rejects.toThrow('slow down');
  });
});

describe('DynamoDbCaseStore.update', () => {
  it('sets the header and the next version if the version is the expected one, leaving seq alone', async () => {
    dynamo.on(UpdateCommand).resolves({});
    const closed = closeHeader(header('case-1'), 'contained', '2026-01-15T13:00:00Z');

    const updated = await store().update('case-1', 3, closed);

    expect(updated).toBe(true);
    expect(sent()).toEqual([
      [
        'UpdateCommand',
        {
          TableName: TABLE,
          Key: { pk: 'case#case-1', sk: 'case' },
          UpdateExpression: 'SET header = :h, version = :next',
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':h': JSON.stringify(closed), ':next': 4, ':expected': 3 },
        },
      ],
    ]);
  });

  it('answers false when the version moved on', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());

    expect(await store().update('case-1', 3, header('case-1'))).toBe(false);
  });
});

describe('DynamoDbCaseStore.append', () => {
  it('takes the next number from the header item, then puts the entry under its ID if it is not there', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { seq: 7 } });
    dynamo.on(PutCommand).resolves({});

    const appended = await store().append('case-1', detection('call-1'));

    expect(appended).toBe(true);
    expect(sent()).toEqual([
      [
        'UpdateCommand',
        {
          TableName: TABLE,
          Key: { pk: 'case#case-1', sk: 'case' },
          UpdateExpression: 'ADD seq :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        },
      ],
      [
        'PutCommand',
        {
          TableName: TABLE,
          Item: entryItem('case-1', detection('call-1'), 7),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      ],
    ]);
  });

  it('answers false when an entry with the ID is already there', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { seq: 8 } });
    dynamo.on(PutCommand).rejects(conditionFailed());

    expect(await store().append('case-1', detection('call-1'))).toBe(false);
  });

  it('throws CaseNotFoundError, and writes no entry, when the case has no header item', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());

    const appending = store().append('case-404', opened);

    await expect(appending).rejects.toBeInstanceOf(CaseNotFoundError);
    await expect(appending).rejects.toThrow('case-404');
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });
});

describe('DynamoDbCaseStore.get', () => {
  it('queries the case partition consistently across pages, entries in sequence order', async () => {
    const queries: QueryCommandInput[] = [];
    dynamo.on(QueryCommand).callsFake((input: QueryCommandInput) => {
      // The paginator reuses its input object: keep each page's as it was sent.
      queries.push(structuredClone(input));
      return input.ExclusiveStartKey === undefined
        ? {
            Items: [entryItem('case-1', detection('call-9'), 3), headerItem('case-1', 2, 3)],
            LastEvaluatedKey: { pk: 'case#case-1', sk: 'entry#call-9' },
          }
        : { Items: [entryItem('case-1', opened, 1)] };
    });

    const record = await store().get('case-1');

    expect(record).toEqual({
      header: header('case-1'),
      version: 2,
      entries: [
        { ...opened, seq: 1 },
        { ...detection('call-9'), seq: 3 },
      ],
    });
    const query = {
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'case#case-1' },
      ConsistentRead: true,
    };
    expect(queries).toEqual([
      query,
      { ...query, ExclusiveStartKey: { pk: 'case#case-1', sk: 'entry#call-9' } },
    ]);
  });

  it('knows no case without a header item', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });

    expect(await store().get('case-404')).toBeNull();
  });

  it('names the case and the attribute when a stored header is not JSON', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [{ ...headerItem('case-1', 1, 0), header: '{"caseId":' }] });

    const reading = store().get('case-1');

    await expect(reading).rejects.toBeInstanceOf(CaseStateError);
    await expect(reading).rejects.toThrow(`case case-1 in ${TABLE}: the header is damaged: not JSON`);
  });
});

describe('DynamoDbCaseStore documents', () => {
  it('reads a document consistently, by the digest of its key', async () => {
    dynamo.on(GetCommand).resolves({
      Item: {
        pk: `doc#${digest('open:cred')}`,
        sk: 'doc',
        key: 'open:cred',
        value: '{"caseId":"c1"}',
        version: 2,
      },
    });

    const document = await store().readDocument('open:cred');

    expect(document).toEqual({ value: { caseId: 'c1' }, version: 2 });
    expect(sent()).toEqual([
      [
        'GetCommand',
        { TableName: TABLE, Key: { pk: `doc#${digest('open:cred')}`, sk: 'doc' }, ConsistentRead: true },
      ],
    ]);
  });

  it('writes a new document only where there is none, and a later one only over the expected version', async () => {
    dynamo.on(PutCommand).resolves({});
    const item = { pk: `doc#${digest('open:cred')}`, sk: 'doc', key: 'open:cred', value: '{"caseId":"c1"}' };

    await store().writeDocument('open:cred', { caseId: 'c1' }, null);
    await store().writeDocument('open:cred', { caseId: 'c1' }, 4);

    expect(sent()).toEqual([
      [
        'PutCommand',
        { TableName: TABLE, Item: { ...item, version: 1 }, ConditionExpression: 'attribute_not_exists(pk)' },
      ],
      [
        'PutCommand',
        {
          TableName: TABLE,
          Item: { ...item, version: 5 },
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': 4 },
        },
      ],
    ]);
  });

  it('answers false when the condition fails', async () => {
    dynamo.on(PutCommand).rejects(conditionFailed());

    expect(await store().writeDocument('open:cred', 1, 4)).toBe(false);
  });
});

describe('DynamoDbCaseStore.list', () => {
  it('scans the table across pages, assembling every case and skipping documents', async () => {
    const scans: ScanCommandInput[] = [];
    dynamo.on(ScanCommand).callsFake((input: ScanCommandInput) => {
      scans.push(structuredClone(input));
      return input.ExclusiveStartKey === undefined
        ? {
            Items: [headerItem('case-1', 1, 1), { pk: 'doc#d', sk: 'doc', key: 'k', value: '1', version: 1 }],
            LastEvaluatedKey: { pk: 'doc#d', sk: 'doc' },
          }
        : { Items: [entryItem('case-1', opened, 1), headerItem('case-2', 3, 0)] };
    });

    const records = await store().list();

    expect(records.map((record) => [record.header.caseId, record.version, record.entries.length])).toEqual([
      ['case-1', 1, 1],
      ['case-2', 3, 0],
    ]);
    expect(scans).toEqual([
      { TableName: TABLE, ConsistentRead: true },
      { TableName: TABLE, ConsistentRead: true, ExclusiveStartKey: { pk: 'doc#d', sk: 'doc' } },
    ]);
  });
});
