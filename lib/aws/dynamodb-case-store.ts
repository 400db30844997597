// The case table in DynamoDB: one partition per case, a header item and one item per audit
// entry, so a case grows past DynamoDB's 400 KB item limit one entry at a time and a retried
// step appends without rewriting (or losing) what other steps wrote.
//
// Every write is a single-item conditional write (no transactions: each promise of the port
// holds with one item's condition), and every read of a case or a document is consistent:
// - the header item carries the header's version (compare-and-set on it) and the entry
//   counter, which `update` never touches and `append` bumps atomically (ADD) to number an
//   entry before writing it;
// - an entry's sort key comes from its ID, so a retried append finds the entry it wrote and
//   leaves it; the number it took is then unused, and the sequence has a gap, which is fine:
//   order is what entries need, not contiguity. A reader can see entry n+1 before a slower
//   appender's entry n lands: "entries in order" holds for what is there.
// - documents (pointers, claims, counters) are one item each, keyed by a digest of the key:
//   keys name principals and can outgrow a partition key's 2 KB.
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type Case,
  type CaseHeader,
  CaseStateError,
  checkedEntry,
  checkedHeader,
  decodeCase,
  digest,
  type NewCaseEntry,
} from '../domain/case.ts';
import { CaseNotFoundError, type CaseStore, type VersionedDocument } from '../ports.ts';

/**
 * Item layout (string keys `pk`, `sk`):
 * - `case#<case ID>` / `case`: `header` (JSON text), `version` (number), `seq` (number, the
 *   last number an entry took);
 * - `case#<case ID>` / `entry#<entry ID>`: `entry` (the entry as JSON text, without its
 *   number), `seq` (number). An entry ID is at most 256 UTF-16 units, at most 768 bytes of
 *   UTF-8: it fits a sort key (1 KB) as it is, and stays readable in the console;
 * - `doc#<digest of the key>` / `doc`: `key`, `value` (JSON text), `version` (number).
 */
const CASE = 'case#';
const HEADER = 'case';
const ENTRY = 'entry#';
const DOCUMENT = 'doc';

function partition(caseId: string): string {
  return `${CASE}${caseId}`;
}

function documentPartition(key: string): string {
  return `doc#${digest(key)}`;
}

type Item = Record<string, unknown>;

export class DynamoDbCaseStore implements CaseStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(caseId: string): Promise<Case | null> {
    const items: Item[] = [];
    for await (const page of paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': partition(caseId) },
        ConsistentRead: true,
      },
    )) {
      items.push(...((page.Items ?? []) as Item[]));
    }
    return this.assemble(caseId, items);
  }

  async create(header: CaseHeader): Promise<boolean> {
    return written(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: partition(header.caseId),
            sk: HEADER,
            header: JSON.stringify(checkedHeader(header)),
            version: 1,
            seq: 0,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async update(caseId: string, version: number, header: CaseHeader): Promise<boolean> {
    return written(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: partition(caseId), sk: HEADER },
          // Not `seq`: appends running alongside keep numbering where they were.
          UpdateExpression: 'SET header = :h, version = :next',
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: {
            ':h': JSON.stringify(checkedHeader(header)),
            ':next': version + 1,
            ':expected': version,
          },
        }),
      ),
    );
  }

  async append(caseId: string, entry: NewCaseEntry): Promise<boolean> {
    checkedEntry(caseId, entry);
    let seq: unknown;
    try {
      const numbered = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: partition(caseId), sk: HEADER },
          UpdateExpression: 'ADD seq :one',
          // Without it, ADD would create a header item with no header for a case that is not there.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      seq = numbered.Attributes?.seq;
    } catch (error) {
      if (!conditionFailed(error)) throw error;
      throw new CaseNotFoundError(`there is no case ${caseId} in ${this.tableName}`, { cause: error });
    }
    return written(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: partition(caseId),
            sk: `${ENTRY}${entry.id}`,
            entry: JSON.stringify(entry),
            seq: numberOf(`case ${caseId} in ${this.tableName}`, 'seq', seq),
          },
          // An entry with this ID is already there (a retried step): it stays as it was.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async readDocument(key: string): Promise<VersionedDocument | null> {
    const { Item: item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: documentPartition(key), sk: DOCUMENT },
        ConsistentRead: true,
      }),
    );
    if (!item || item.key !== key) return null;
    const source = `document ${JSON.stringify(key)} in ${this.tableName}`;
    return {
      value: parseJson(source, 'value', item.value),
      version: numberOf(source, 'version', item.version),
    };
  }

  writeDocument(key: string, value: unknown, version: number | null): Promise<boolean> {
    return written(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: documentPartition(key),
            sk: DOCUMENT,
            key,
            value: JSON.stringify(value ?? null),
            version: (version ?? 0) + 1,
          },
          ...(version === null
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'version = :expected',
                ExpressionAttributeValues: { ':expected': version },
              }),
        }),
      ),
    );
  }

  /**
   * Every case, from a Scan: each page is read consistently, but the whole is no snapshot — a
   * case written while the scan runs may be missing or caught with some of its entries. For
   * people's commands only; nothing decides on it.
   */
  async list(): Promise<Case[]> {
    const byCase = new Map<string, Item[]>();
    for await (const page of paginateScan(
      { client: this.client },
      { TableName: this.tableName, ConsistentRead: true },
    )) {
      for (const item of (page.Items ?? []) as Item[]) {
        const pk = String(item.pk);
        if (!pk.startsWith(CASE)) continue;
        const items = byCase.get(pk);
        if (items) items.push(item);
        else byCase.set(pk, [item]);
      }
    }
    const records = [...byCase].map(([pk, items]) => this.assemble(pk.slice(CASE.length), items));
    return records.filter((record) => record !== null);
  }

  /** A case from its items; null without a header item. A damaged item fails here, named. */
  private assemble(caseId: string, items: Item[]): Case | null {
    const header = items.find((item) => item.sk === HEADER);
    if (!header) return null;
    const source = `case ${caseId} in ${this.tableName}`;
    const entries = items
      .filter((item) => String(item.sk).startsWith(ENTRY))
      .map((item) => {
        const where = `${source}, entry ${JSON.stringify(String(item.sk).slice(ENTRY.length))}`;
        const entry = parseJson(where, 'entry', item.entry);
        if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
          throw new CaseStateError(`${where}: the entry is damaged: not a JSON object`);
        return { ...entry, seq: numberOf(where, 'seq', item.seq) };
      });
    return decodeCase(
      source,
      parseJson(source, 'header', header.header),
      numberOf(source, 'version', header.version),
      entries,
    );
  }
}

/** A conditional write: true when written, false when its condition failed. */
async function written(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (conditionFailed(error)) return false;
    throw error;
  }
}

/** Only this error means "the condition did not hold"; throttling, validation and the rest are thrown. */
function conditionFailed(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}

function parseJson(source: string, attribute: string, text: unknown): unknown {
  if (typeof text !== 'string')
    throw new CaseStateError(`${source}: the ${attribute} is damaged: ${attribute} is not text`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CaseStateError(`${source}: the ${attribute} is damaged: not JSON`, { cause: error });
  }
}

function numberOf(source: string, attribute: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new CaseStateError(
      `${source}: the ${attribute} is damaged: ${JSON.stringify(value)} is not a whole number`,
    );
  return value;
}
