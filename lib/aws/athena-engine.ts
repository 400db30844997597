// Athena behind the QueryEngine port: the runbook's SQL with the table name filled in, each
// value as SQL literal text in ExecutionParameters, polling with backoff to a deadline, and
// every page of results decoded into typed rows.
import { createHash, randomUUID } from 'node:crypto';
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  type QueryExecution,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { QueryEngine, QueryRequest, QueryResult, SqlCell, SqlValue } from '../ports.ts';
import { cellFromText } from '../query-cells.ts';
import { sqlLiteral } from '../runbooks/catalog.ts';
import { withRetries } from './retry.ts';

export interface AthenaSettings {
  workGroup: string;
  database: string;
  /** The CloudTrail table; runbooks name it `cloudtrail_logs`. */
  table: string;
  catalog?: string;
  /** Give up on a query (and stop it) after this long. */
  deadlineMillis: number;
  /** First wait between polls (100 ms); doubled each time up to maxPollMillis (1 s), each with ±20% jitter. */
  firstPollMillis?: number;
  maxPollMillis?: number;
  /** Attempts for a throttled call before the error is passed on. */
  throttleAttempts?: number;
}

export interface AthenaTiming {
  sleep: (millis: number) => Promise<void>;
  now: () => number;
  /** In [0, 1): spreads the polls of queries started together. */
  random?: () => number;
}

const realTiming: AthenaTiming = {
  sleep: (millis) => new Promise((resolve) => setTimeout(resolve, millis)),
  now: () => Date.now(),
  random: Math.random,
};

/** Athena finished the query as FAILED or CANCELLED; carries Athena's own reason. */
export class AthenaQueryFailedError extends Error {
  override name = 'AthenaQueryFailedError';
  constructor(
    readonly queryName: string,
    readonly queryExecutionId: string,
    readonly state: string,
    readonly reason: string,
    readonly errorType: number | null,
  ) {
    super(`Athena query ${queryName} (${queryExecutionId}) ${state}: ${reason}`);
  }
}

/** The query was still running at the deadline; it has been asked to stop. */
export class AthenaQueryTimeoutError extends Error {
  override name = 'AthenaQueryTimeoutError';
}

export class AthenaSettingsError extends Error {
  override name = 'AthenaSettingsError';
}

const IDENTIFIER = /^[A-Za-z0-9_]{1,128}$/;
const THROTTLING = new Set(['TooManyRequestsException', 'ThrottlingException']);

export class AthenaQueryEngine implements QueryEngine {
  private readonly tableName: string;

  constructor(
    private readonly client: AthenaClient,
    private readonly settings: AthenaSettings,
    private readonly timing: AthenaTiming = realTiming,
  ) {
    for (const [name, value] of [
      ['table', settings.table],
      ['database', settings.database],
    ] as const) {
      if (!IDENTIFIER.test(value)) {
        throw new AthenaSettingsError(`Athena ${name} "${value}" must be letters, digits and underscores`);
      }
    }
    this.tableName = `"${settings.table.toLowerCase()}"`;
  }

  /** The SQL as Athena receives it: the runbook's table name replaced by the configured one. */
  sqlFor(request: QueryRequest): string {
    return request.sql.replace(/\bcloudtrail_logs\b/g, this.tableName);
  }

  async run(request: QueryRequest): Promise<QueryResult> {
    const { QueryExecutionId: id } = await this.throttled(() =>
      this.client.send(
        new StartQueryExecutionCommand({
          QueryString: this.sqlFor(request),
          WorkGroup: this.settings.workGroup,
          QueryExecutionContext: {
            Database: this.settings.database,
            ...(this.settings.catalog ? { Catalog: this.settings.catalog } : {}),
          },
          ...(request.parameters.length > 0
            ? { ExecutionParameters: request.parameters.map(executionParameter) }
            : {}),
          ClientRequestToken: requestToken(request),
        }),
      ),
    );
    if (!id) throw new Error(`Athena returned no query execution ID for ${request.name}`);
    const execution = await this.waitFor(request.name, id);
    const { columns, rows } = await this.results(id);
    return {
      columns,
      rows,
      bytesScanned: execution.Statistics?.DataScannedInBytes ?? null,
      engineMillis: execution.Statistics?.EngineExecutionTimeInMillis ?? 0,
    };
  }

  private async waitFor(name: string, id: string): Promise<QueryExecution> {
    const deadline = this.timing.now() + this.settings.deadlineMillis;
    // Most runbook queries finish within a second or two: poll early and often, never in step.
    let base = this.settings.firstPollMillis ?? 100;
    const jittered = () => Math.round(base * (0.8 + 0.4 * (this.timing.random ?? Math.random)()));
    let wait = jittered();
    for (;;) {
      const { QueryExecution: execution } = await this.throttled(() =>
        this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })),
      );
      const state = execution?.Status?.State;
      if (state === 'SUCCEEDED') return execution!;
      if (state === 'FAILED' || state === 'CANCELLED') {
        throw new AthenaQueryFailedError(
          name,
          id,
          state,
          execution?.Status?.StateChangeReason ??
            execution?.Status?.AthenaError?.ErrorMessage ??
            'no reason given',
          execution?.Status?.AthenaError?.ErrorType ?? null,
        );
      }
      if (this.timing.now() + wait > deadline) {
        await this.client
          .send(new StopQueryExecutionCommand({ QueryExecutionId: id }))
          .catch(() => undefined);
        throw new AthenaQueryTimeoutError(
          `Athena query ${name} (${id}) still ${state ?? 'unknown'} after ${this.settings.deadlineMillis} ms; asked it to stop`,
        );
      }
      await this.timing.sleep(wait);
      base = Math.min(base * 2, this.settings.maxPollMillis ?? 1000);
      wait = jittered();
    }
  }

  private async results(id: string): Promise<{ columns: string[]; rows: Record<string, SqlCell>[] }> {
    let columns: string[] = [];
    let types: string[] = [];
    const rows: Record<string, SqlCell>[] = [];
    let nextToken: string | undefined;
    let first = true;
    do {
      const page: GetQueryResultsCommandOutput = await this.throttled(() =>
        this.client.send(
          new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1000, NextToken: nextToken }),
        ),
      );
      const info = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      if (first) {
        columns = info.map((column) => column.Name ?? '');
        types = info.map((column) => column.Type ?? 'varchar');
      }
      let data = page.ResultSet?.Rows ?? [];
      // A SELECT's first page starts with the column names as a row.
      if (first && data[0]?.Data?.every((cell, index) => cell.VarCharValue === columns[index])) {
        data = data.slice(1);
      }
      for (const row of data) {
        const decoded: Record<string, SqlCell> = {};
        columns.forEach((column, index) => {
          decoded[column] = cellFromText(types[index]!, row.Data?.[index]?.VarCharValue ?? null);
        });
        rows.push(decoded);
      }
      nextToken = page.NextToken;
      first = false;
    } while (nextToken);
    return { columns, rows };
  }

  private throttled<T>(call: () => Promise<T>): Promise<T> {
    return withRetries(call, {
      retryable: THROTTLING,
      attempts: this.settings.throttleAttempts ?? 5,
      sleep: this.timing.sleep,
    });
  }
}

/** Athena takes each value as SQL literal text: a string carries its own quotes. */
export function executionParameter(value: SqlValue): string {
  return typeof value === 'number' ? String(value) : sqlLiteral(value);
}

/**
 * The same case step retried gets the same token, so Athena returns the same execution
 * instead of running (and billing) the query again; without a key every run is new.
 */
function requestToken(request: QueryRequest): string {
  if (request.idempotencyKey === undefined) return randomUUID();
  return createHash('sha256')
    .update(JSON.stringify([request.idempotencyKey, request.sql, request.parameters]))
    .digest('hex');
}
