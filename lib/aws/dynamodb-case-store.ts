// The case table in DynamoDB: one partition per case, a header item and one item per audit
// entry, so a case grows past DynamoDB's 400 KB item limit one entry at a time and a
// retried step appends without rewriting (or losing) what other steps wrote.
import { randomUUID } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  PutCommand,
  paginateQuery,
  paginateScan,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AuditEntry, CaseRecord, CaseStore } from '../ports.ts';

const HEADER = 'case';

/** Item keys: `pk` is the case, `sk` the header or `entry#<written at>#<unique>` (in write order). */
function partition(caseId: string): string {
  return `case#${caseId}`;
}

export class DynamoDbCaseStore implements CaseStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(caseId: string): Promise<CaseRecord | null> {
    const items: Record<string, unknown>[] = [];
    for await (const page of paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': partition(caseId) },
        ConsistentRead: true,
      },
    )) {
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    }
    return assemble(items);
  }

  async append(
    caseId: string,
    init: Omit<CaseRecord, 'audit' | 'outcome'>,
    entry: AuditEntry,
    outcome?: string,
  ): Promise<CaseRecord> {
    // The header is written once; a later step finds it there and leaves it as it is.
    await this.client
      .send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: partition(caseId),
            sk: HEADER,
            caseId,
            openedAt: init.openedAt,
            trigger: JSON.stringify(init.trigger),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      .catch((error: { name?: string }) => {
        if (error.name !== 'ConditionalCheckFailedException') throw error;
      });
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: partition(caseId),
          // Ordered by when it was written (steps run one after another), unique per write.
          sk: `entry#${this.now().toISOString()}#${randomUUID()}`,
          at: entry.at,
          step: entry.step,
          summary: entry.summary,
          ...(entry.detail === undefined ? {} : { detail: JSON.stringify(entry.detail) }),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    if (outcome !== undefined) {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: partition(caseId), sk: HEADER },
          UpdateExpression: 'SET outcome = :outcome',
          ExpressionAttributeValues: { ':outcome': outcome },
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    }
    const record = await this.get(caseId);
    if (!record) throw new Error(`case ${caseId} was written but cannot be read back`);
    return record;
  }

  /** Every case, read whole: for the revocation cap and the `cases` command, not a hot path. */
  async list(): Promise<CaseRecord[]> {
    const byCase = new Map<string, Record<string, unknown>[]>();
    for await (const page of paginateScan({ client: this.client }, { TableName: this.tableName })) {
      for (const item of (page.Items ?? []) as Record<string, unknown>[]) {
        const key = String(item.pk);
        byCase.set(key, [...(byCase.get(key) ?? []), item]);
      }
    }
    return [...byCase.values()].map(assemble).filter((record) => record !== null);
  }
}

/** A case from its items: the header, then the entries in sort-key (time) order. */
function assemble(items: Record<string, unknown>[]): CaseRecord | null {
  const header = items.find((item) => item.sk === HEADER);
  if (!header) return null;
  const audit = items
    .filter((item) => String(item.sk).startsWith('entry#'))
    .sort((a, b) => (String(a.sk) < String(b.sk) ? -1 : 1))
    .map((item) => ({
      at: String(item.at),
      step: String(item.step),
      summary: String(item.summary),
      ...(typeof item.detail === 'string' ? { detail: JSON.parse(item.detail) as unknown } : {}),
    }));
  return {
    caseId: String(header.caseId),
    openedAt: String(header.openedAt),
    trigger: JSON.parse(String(header.trigger)) as unknown,
    audit,
    outcome: typeof header.outcome === 'string' ? header.outcome : null,
  };
}
