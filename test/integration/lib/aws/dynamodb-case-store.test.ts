// The DynamoDB case store keeps the CaseStore contract against a real DynamoDB implementation:
// dynalite, in this process, with a fresh table per test made from the template's key schema.
// The SDK mock tests (test/unit/lib/aws) pin the commands; this proves what they do.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCaseStore } from '../../../../lib/aws/dynamodb-case-store.ts';
import { CaseNotFoundError } from '../../../../lib/ports.ts';
import { describeCaseStoreContract, header, opened } from '../../../fixtures/case-store-contract.ts';
import { type Dynalite, startDynalite } from '../../../fixtures/dynalite.ts';

let dynalite: Dynalite;

beforeAll(async () => {
  dynalite = await startDynalite();
});

afterAll(async () => {
  await dynalite.stop();
});

describeCaseStoreContract('DynamoDbCaseStore on dynalite', async () => {
  const { store, tableName, documents, close } = await dynalite.newStore();
  return {
    store,
    close: async () => close(),
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
    const { raw, documents } = dynalite.connect();
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
