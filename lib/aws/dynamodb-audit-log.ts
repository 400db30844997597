// The audit log in the case table: one item per decision, partitioned by day (`audit#YYYY-MM-DD`,
// sorted by time), written once. Reading a period queries each of its days: no scan.
import { type DynamoDBDocumentClient, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { AUDIT_MAX_DAYS, type AuditRecord, AuditRecordSchema } from '../domain/audit.ts';
import type { AuditLog } from '../ports.ts';

const DAY_MS = 86_400_000;

function partition(at: string): string {
  return `audit#${at.slice(0, 10)}`;
}

export class DynamoDbAuditLog implements AuditLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(entry: AuditRecord): Promise<void> {
    const record = AuditRecordSchema.parse(entry);
    await this.client
      .send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: partition(record.at), sk: `${record.at}#${record.id}`, record: JSON.stringify(record) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      .catch((error: { name?: string }) => {
        // Recorded by an earlier attempt of the same request.
        if (error.name !== 'ConditionalCheckFailedException') throw error;
      });
  }

  async list(since: Date, until: Date): Promise<AuditRecord[]> {
    const from = new Date(Math.max(since.getTime(), until.getTime() - AUDIT_MAX_DAYS * DAY_MS));
    const records: AuditRecord[] = [];
    for (
      let day = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
      day <= until.getTime();
      day += DAY_MS
    ) {
      const pk = partition(new Date(day).toISOString());
      for await (const page of paginateQuery(
        { client: this.client },
        {
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': pk,
            ':from': from.toISOString(),
            ':to': `${until.toISOString()}~`,
          },
          ConsistentRead: true,
        },
      )) {
        for (const item of page.Items ?? [])
          records.push(AuditRecordSchema.parse(JSON.parse(String(item.record))));
      }
    }
    return records;
  }
}
