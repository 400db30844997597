// The DynamoDB case store keeps the CaseStore contract against a real DynamoDB implementation:
// dynalite, in this process, with a fresh table per test made from the template's key schema.
// The SDK mock tests (test/unit/lib/aws) pin the commands; this proves what they do.
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCaseStore } from '../../../../lib/aws/dynamodb-case-store.ts';
import { CaseNotFoundError } from '../../../../lib/ports.ts';
import { describeCaseStoreContract, header, opened } from '../../../fixtures/case-store-contract.ts';
import { loadTemplate } from '../../../fixtures/template.ts';

// dynalite ships no types: its factory, as far as this test uses it.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: {
  createTableMs: number;
  deleteTableMs: number;
  updateTableMs: number;
}) => Server;

const table = loadTemplate().Resources.CasesTable!.Properties as {
  AttributeDefinitions: AttributeDefinition[];
  KeySchema: KeySchemaElement[];
  BillingMode: 'PAY_PER_REQUEST';
};

let server: Server;
let endpoint: string;
let tables = 0;

beforeAll(async () => {
  server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
});

function connect(): { raw: DynamoDBClient; documents: DynamoDBDocumentClient } {
  const raw = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'dynalite' },
  });
  return { raw, documents: DynamoDBDocumentClient.from(raw) };
}

async function createTable(raw: DynamoDBClient): Promise<string> {
  tables += 1;
  const tableName = `revoker-cases-${tables}`;
  await raw.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: table.AttributeDefinitions,
      KeySchema: table.KeySchema,
      BillingMode: table.BillingMode,
    }),
  );
  for (;;) {
    const { Table: described } = await raw.send(new DescribeTableCommand({ TableName: tableName }));
    if (described?.TableStatus === 'ACTIVE') return tableName;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describeCaseStoreContract('DynamoDbCaseStore on dynalite', async () => {
  const { raw, documents } = connect();
  const tableName = await createTable(raw);
  return {
    store: new DynamoDbCaseStore(documents, tableName),
    close: async () => raw.destroy(),
    // Written behind the store's back: a header that is no longer JSON, an entry that no longer fits its schema.
    async damage(caseId, part) {
      await documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: `case#${caseId}`, sk: 'header' in part ? 'case' : `entry#${part.entryId}` },
          UpdateExpression: 'SET #attribute = :damaged',
          ExpressionAttributeNames: { '#attribute': 'header' in part ? 'header' : 'entry' },
          ExpressionAttributeValues: {
            ':damaged':
              'header' in part ? '{"caseId":"' : JSON.stringify({ id: part.entryId, step: 'detection' }),
          },
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    },
  };
});

describe('DynamoDbCaseStore on dynalite, when DynamoDB fails', () => {
  it('throws errors other than a failed condition, instead of answering false', async () => {
    const { raw, documents } = connect();
    const store = new DynamoDbCaseStore(documents, 'revoker-no-such-table');

    const outcomes = await Promise.allSettled([
      store.create(header('case-1')),
      store.update('case-1', 1, header('case-1')),
      store.append('case-1', opened),
      store.writeDocument('counter', 1, null),
      store.readDocument('counter'),
      store.get('case-1'),
    ]);

    raw.destroy();
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { name: 'ResourceNotFoundException' } });
      expect(outcome.status === 'rejected' && outcome.reason).not.toBeInstanceOf(CaseNotFoundError);
    }
  });
});
