import { describe, expect, it } from 'vitest';
import {
  bindRunbook,
  loadRunbooks,
  parseRunbook,
  positionalize,
  RunbookParameterError,
  sqlLiteral,
  unfilteredReads,
} from '../../../../lib/runbooks/catalog.ts';

const runbooks = loadRunbooks();

/**
 * Functions a runbook may call: each exists in Trino (Athena engine 3) and in DuckDB, natively
 * or as one of the engine's shims (to_unixtime, from_iso8601_timestamp, json_extract_scalar,
 * and count_if, shadowed to count like Trino's).
 */
const PORTABLE_FUNCTIONS = new Set([
  'coalesce',
  'count',
  'count_if',
  'floor',
  'from_iso8601_timestamp',
  'json_extract_scalar',
  'length',
  'max',
  'min',
  'reverse',
  'starts_with',
  'strpos',
  'substr',
  'sum',
  'to_unixtime',
]);
const SQL_WORDS = new Set([
  'in',
  'and',
  'or',
  'not',
  'as',
  'from',
  'where',
  'select',
  'exists',
  'values',
  'over',
]);

/** The SQL without comments and string literals. */
function code(source: string): string {
  return source.replace(/--.*$/gm, '').replace(/'(?:[^']|'')*'/g, "''");
}

describe('runbook catalog', () => {
  it.each([...runbooks.values()].map((runbook) => [runbook.id, runbook] as const))(
    '%s has a full header and filters on the timestamp partition and the account',
    (_id, runbook) => {
      expect(runbook.purpose).not.toBe('');
      expect(runbook.reading).not.toBe('');
      expect(runbook.outputs.length).toBeGreaterThan(0);
      expect(unfilteredReads(runbook.source)).toBe(0);
      expect(runbook.source).toMatch(
        /FROM cloudtrail_logs\s+WHERE timestamp BETWEEN :\w+ AND :\w+\s+AND account = :account/,
      );
    },
  );

  it.each([...runbooks.values()].map((runbook) => [runbook.id, runbook] as const))(
    '%s calls only functions both engines have, and no syntax only DuckDB accepts',
    (_id, runbook) => {
      const sql = code(runbook.source);
      const called = [...sql.matchAll(/\b([a-z_][a-z0-9_]*)\s*\(/gi)]
        .map((match) => match[1]!.toLowerCase())
        .filter((name) => !SQL_WORDS.has(name));

      expect(called.filter((name) => !PORTABLE_FUNCTIONS.has(name))).toEqual([]);
      // Casts with ::, lambdas, QUALIFY, EXCLUDE and ILIKE are DuckDB's; CROSS JOIN UNNEST
      // with several columns silently gives wrong rows in DuckDB.
      expect(sql).not.toMatch(/::|->|\bQUALIFY\b|\bEXCLUDE\b|\bILIKE\b|\bUNNEST\b/i);
    },
  );

  it('turns named parameters into positional ones, leaving literals and comments alone', () => {
    const { sql, bindOrder } = positionalize(
      "SELECT ':not_a_param', x::VARCHAR -- :nor_this\nWHERE a = :first AND b = :second OR c = :first",
    );

    expect(sql).toBe("SELECT ':not_a_param', x::VARCHAR -- :nor_this\nWHERE a = ? AND b = ? OR c = ?");
    expect(bindOrder).toEqual(['first', 'second', 'first']);
  });

  it('validates each value against its type before binding, and derives partition days', () => {
    const watermark = runbooks.get('log-watermark')!;
    const good = { account: '111122223333', from_day: '2026/01/15', until_day: '2026/01/16' };

    expect(bindRunbook(watermark, good).parameters).toEqual(['2026/01/15', '2026/01/16', '111122223333']);
    expect(() => bindRunbook(watermark, { ...good, account: "1' OR '1'='1" })).toThrow(RunbookParameterError);
    expect(() => bindRunbook(watermark, { ...good, until_day: '2026-01-16' })).toThrow(/until_day/);
    expect(() => bindRunbook(watermark, { ...good, extra: 'x' })).toThrow(/unknown parameters extra/);

    const activity = runbooks.get('principal-activity')!;
    const request = bindRunbook(activity, {
      account: '111122223333',
      principal: 'arn:aws:iam::111122223333:user/alice',
      start: '2026-01-14T23:00:00Z',
      end: '2026-01-16T01:00:00Z',
    });
    expect(request.parameters.slice(0, 2)).toEqual(['2026/01/14', '2026/01/16']);
    // A time as JavaScript writes it (milliseconds) is taken to its second; anything else is refused.
    const fromJavaScript = bindRunbook(activity, {
      account: '111122223333',
      principal: 'arn:aws:iam::111122223333:user/alice',
      start: '2026-01-14T23:00:00.350Z',
      end: '2026-01-16T01:00:00.999Z',
    });
    expect(fromJavaScript.parameters).toEqual(request.parameters);
    expect(() =>
      bindRunbook(activity, {
        account: '111122223333',
        principal: 'arn:aws:iam::111122223333:user/alice',
        start: '2026-01-14T23:00:00.350+01:00',
        end: '2026-01-16T01:00:00Z',
      }),
    ).toThrow(/parameter start is not a UTC time/);
  });

  it('binds durations and integers as numbers', () => {
    const burst = runbooks.get('error-burst')!;
    const request = bindRunbook(burst, {
      account: '111122223333',
      principal: 'arn:aws:iam::111122223333:user/alice',
      start: '2026-01-14T23:00:00Z',
      end: '2026-01-16T01:00:00Z',
      burst_window: '10m',
      min_denied: '3',
    });

    expect(request.parameters.slice(-2)).toEqual([600, 3]);
  });

  it('refuses a runbook that reads the table without the partition filter', () => {
    const header =
      '-- runbook: sloppy\n-- purpose: p\n-- param account account: a\n-- output n: n\n-- reading: r\n';

    expect(() =>
      parseRunbook('sloppy', `${header}SELECT count(*) AS n FROM cloudtrail_logs WHERE account = :account`),
    ).toThrow(/1 read\(s\) of cloudtrail_logs lack/);
    expect(
      unfilteredReads(
        'SELECT 1 FROM (SELECT 1 FROM cloudtrail_logs\n  WHERE timestamp BETWEEN :a AND :b\n  AND account = :c\n UNION ALL SELECT 1 FROM cloudtrail_logs WHERE account = :c)',
      ),
    ).toBe(1);
  });

  it('caps free text at what Athena accepts as one parameter, quotes doubled', () => {
    const firstSeen = runbooks.get('first-seen')!;
    const values = {
      account: '111122223333',
      principal: 'arn:aws:iam::111122223333:role/app',
      source_ip: '198.51.100.23',
      event_region: 'us-east-1',
      event_source: 'iam.amazonaws.com',
      event_name: 'AttachRolePolicy',
      baseline_start: '2026-01-01T00:00:00Z',
      baseline_end: '2026-01-15T00:00:00Z',
    };

    expect(() => bindRunbook(firstSeen, { ...values, user_agent_prefix: "'".repeat(511) })).not.toThrow();
    expect(() => bindRunbook(firstSeen, { ...values, user_agent_prefix: "'".repeat(512) })).toThrow(
      /at most 1024 characters once quoted/,
    );
    expect(sqlLiteral("it's")).toBe("'it''s'");
  });
});
