import 'aws-sdk-client-mock-vitest/extend';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AthenaQueryEngine,
  AthenaQueryFailedError,
  AthenaQueryTimeoutError,
  AthenaSettingsError,
} from '../../../../lib/aws/athena-engine.ts';
import { bindRunbook, loadRunbooks } from '../../../../lib/runbooks/catalog.ts';

const athena = mockClient(AthenaClient);
const settings = {
  workGroup: 'revoker',
  database: 'security',
  table: 'cloudtrail_123456789012',
  deadlineMillis: 60_000,
};

/** Time that passes only when the engine sleeps, so polling is tested without waiting. */
function fakeTiming(jitter = 0.5) {
  const sleeps: number[] = [];
  let now = 0;
  return {
    sleeps,
    timing: {
      sleep: async (millis: number) => {
        sleeps.push(millis);
        now += millis;
      },
      now: () => now,
      // 0.5 is the middle of the jitter: each wait exactly its base.
      random: () => jitter,
    },
  };
}

const watermark = bindRunbook(
  loadRunbooks().get('log-watermark')!,
  { account: '123456789012', from_day: '2026/01/15', until_day: '2026/01/16' },
  'case-abc:verify:1:watermark',
);

const columnInfo = [
  { Name: 'region', Type: 'varchar' },
  { Name: 'watermark', Type: 'varchar' },
  { Name: 'events', Type: 'bigint' },
];
const text = (...values: (string | undefined)[]) => ({
  Data: values.map((VarCharValue) => ({ VarCharValue })),
});

beforeEach(() => {
  athena.reset();
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
});

describe('AthenaQueryEngine', () => {
  it('sends the runbook with the table filled in and each value as a literal, polls, and decodes every page', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'QUEUED' } } })
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({
        QueryExecution: {
          Status: { State: 'SUCCEEDED' },
          Statistics: { DataScannedInBytes: 73_400_320, EngineExecutionTimeInMillis: 1840 },
        },
      });
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: undefined })
      .resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columnInfo },
          Rows: [text('region', 'watermark', 'events'), text('eu-west-1', undefined, '0')],
        },
        NextToken: 'page-2',
      })
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: 'page-2' })
      .resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columnInfo },
          Rows: [text('us-east-1', '2026-01-15T12:09:59Z', '3753')],
        },
      });
    const { timing, sleeps } = fakeTiming();

    const result = await new AthenaQueryEngine(new AthenaClient({}), settings, timing).run(watermark);

    expect(athena).toHaveReceivedCommandExactlyOnceWith(StartQueryExecutionCommand, {
      QueryString: watermark.sql.replace('FROM cloudtrail_logs', 'FROM "cloudtrail_123456789012"'),
      WorkGroup: 'revoker',
      QueryExecutionContext: { Database: 'security' },
      ExecutionParameters: ["'2026/01/15'", "'2026/01/16'", "'123456789012'"],
      ClientRequestToken: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(athena).toHaveReceivedCommandTimes(GetQueryExecutionCommand, 3);
    expect(sleeps).toEqual([100, 200]);
    expect(athena).toHaveReceivedNthCommandWith(GetQueryResultsCommand, 2, {
      QueryExecutionId: 'q-1',
      MaxResults: 1000,
      NextToken: 'page-2',
    });
    expect(result).toEqual({
      columns: ['region', 'watermark', 'events'],
      rows: [
        { region: 'eu-west-1', watermark: null, events: 0 },
        { region: 'us-east-1', watermark: '2026-01-15T12:09:59Z', events: 3753 },
      ],
      bytesScanned: 73_400_320,
      engineMillis: 1840,
    });
  });

  it('reads a result of three pages whole, in order, each page asked for by the token the one before gave', async () => {
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    const page = (rows: ReturnType<typeof text>[], NextToken?: string) => ({
      ResultSet: { ResultSetMetadata: { ColumnInfo: columnInfo }, Rows: rows },
      ...(NextToken ? { NextToken } : {}),
    });
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: undefined })
      .resolves(page([text('region', 'watermark', 'events'), text('ap-south-1', undefined, '1')], 'page-2'))
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: 'page-2' })
      .resolves(page([text('eu-west-1', undefined, '2'), text('eu-west-2', undefined, '3')], 'page-3'))
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: 'page-3' })
      // A later page's row equal to the column names is data, not a header.
      .resolves(page([text('region', 'watermark', 'events'), text('us-east-1', undefined, '4')]));

    const result = await new AthenaQueryEngine(new AthenaClient({}), settings, fakeTiming().timing).run(
      watermark,
    );

    expect(athena).toHaveReceivedCommandTimes(GetQueryResultsCommand, 3);
    expect(athena).toHaveReceivedNthCommandWith(GetQueryResultsCommand, 3, {
      QueryExecutionId: 'q-1',
      MaxResults: 1000,
      NextToken: 'page-3',
    });
    expect(result.rows.map((row) => row.region)).toEqual([
      'ap-south-1',
      'eu-west-1',
      'eu-west-2',
      'region',
      'us-east-1',
    ]);
  });

  it('sends the same request token for the same case step, and a fresh one without a key', async () => {
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena
      .on(GetQueryResultsCommand)
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: columnInfo }, Rows: [] } });
    const engine = new AthenaQueryEngine(new AthenaClient({}), settings, fakeTiming().timing);

    await engine.run(watermark);
    await engine.run(watermark);
    await engine.run({ ...watermark, idempotencyKey: undefined });

    const tokens = athena
      .commandCalls(StartQueryExecutionCommand)
      .map((call) => call.args[0].input.ClientRequestToken);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
    expect(tokens[2]!.length).toBeGreaterThanOrEqual(32);
  });

  it('quotes hostile text as one literal, doubling its quotes, and numbers bare', async () => {
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena
      .on(GetQueryResultsCommand)
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } });

    await new AthenaQueryEngine(new AthenaClient({}), settings, fakeTiming().timing).run({
      name: 'hostile',
      sql: 'SELECT 1 FROM cloudtrail_logs WHERE useragent = ? AND x = ?',
      parameters: ["x' OR '1'='1' --", 600],
    });

    expect(athena).toHaveReceivedCommandWith(StartQueryExecutionCommand, {
      ExecutionParameters: ["'x'' OR ''1''=''1'' --'", '600'],
    });
  });

  it.each(['FAILED', 'CANCELLED'] as const)(
    'turns a %s query into a typed error with Athena’s reason',
    async (state) => {
      athena.on(GetQueryExecutionCommand).resolves({
        QueryExecution: {
          Status: {
            State: state,
            StateChangeReason: 'COLUMN_NOT_FOUND: line 3:8: Column "eventtime" cannot be resolved',
            AthenaError: { ErrorCategory: 2, ErrorType: 1006 },
          },
        },
      });

      const failure = new AthenaQueryEngine(new AthenaClient({}), settings, fakeTiming().timing).run(
        watermark,
      );

      await expect(failure).rejects.toBeInstanceOf(AthenaQueryFailedError);
      await expect(failure).rejects.toMatchObject({
        state,
        queryExecutionId: 'q-1',
        errorType: 1006,
        message: expect.stringContaining('COLUMN_NOT_FOUND'),
      });
    },
  );

  it('spreads its polls: each wait within 20% of its base', async () => {
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
    athena.on(StopQueryExecutionCommand).resolves({});
    const low = fakeTiming(0);
    const high = fakeTiming(0.999);

    for (const { timing } of [low, high])
      await expect(
        new AthenaQueryEngine(new AthenaClient({}), { ...settings, deadlineMillis: 3000 }, timing).run(
          watermark,
        ),
      ).rejects.toBeInstanceOf(AthenaQueryTimeoutError);

    expect(low.sleeps.slice(0, 4)).toEqual([80, 160, 320, 640]);
    expect(high.sleeps.slice(0, 4)).toEqual([120, 240, 480, 960]);
  });

  it('stops a query still running at the deadline and says so', async () => {
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
    athena.on(StopQueryExecutionCommand).resolves({});
    const { timing, sleeps } = fakeTiming();

    const failure = new AthenaQueryEngine(
      new AthenaClient({}),
      { ...settings, deadlineMillis: 10_000 },
      timing,
    ).run(watermark);

    await expect(failure).rejects.toBeInstanceOf(AthenaQueryTimeoutError);
    // From 100 ms, doubling to a 1 s cap, until the next wait would pass the deadline.
    expect(sleeps).toEqual([100, 200, 400, 800, ...Array(8).fill(1000)]);
    expect(athena).toHaveReceivedCommandWith(StopQueryExecutionCommand, { QueryExecutionId: 'q-1' });
    expect(athena).not.toHaveReceivedCommand(GetQueryResultsCommand);
  });

  it('retries throttled calls with backoff, then gives up with the throttling error', async () => {
    const throttled = new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} });
    athena.on(StartQueryExecutionCommand).rejectsOnce(throttled).resolves({ QueryExecutionId: 'q-2' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena
      .on(GetQueryResultsCommand)
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } });
    const { timing, sleeps } = fakeTiming();

    await new AthenaQueryEngine(new AthenaClient({}), settings, timing).run(watermark);

    expect(athena).toHaveReceivedCommandTimes(StartQueryExecutionCommand, 2);
    expect(sleeps).toEqual([400]);

    athena.on(StartQueryExecutionCommand).rejects(throttled);
    await expect(
      new AthenaQueryEngine(
        new AthenaClient({}),
        { ...settings, throttleAttempts: 3 },
        fakeTiming().timing,
      ).run(watermark),
    ).rejects.toThrow('Rate exceeded');
  });

  it('refuses a table or database name that is not a plain identifier', () => {
    expect(
      () => new AthenaQueryEngine(new AthenaClient({}), { ...settings, table: 'logs; DROP TABLE x' }),
    ).toThrow(AthenaSettingsError);
  });
});
