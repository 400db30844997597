// DynamoDB: the case table, holding cases and the operator audit. One client per container.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAuditLog } from '../../aws/dynamodb-audit-log.ts';
import { DynamoDbCaseStore } from '../../aws/dynamodb-case-store.ts';
import { once, setting } from './deployed.ts';

const documents = once(() => DynamoDBDocumentClient.from(new DynamoDBClient({})));

export const cases = once(() => new DynamoDbCaseStore(documents(), setting('CASES_TABLE')));
export const audit = once(() => new DynamoDbAuditLog(documents(), setting('CASES_TABLE')));
