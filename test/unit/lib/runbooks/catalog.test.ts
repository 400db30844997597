import { describe, expect, it } from 'vitest';
import {
  bindRunbook,
  loadRunbooks,
  positionalize,
  RunbookParameterError,
} from '../../../../lib/runbooks/catalog.ts';

const runbooks = loadRunbooks();

describe('runbook catalog', () => {
  it.each([...runbooks.values()].map((runbook) => [runbook.id, runbook] as const))(
    '%s has a full header and filters on the timestamp partition and the account',
    (_id, runbook) => {
      expect(runbook.purpose).not.toBe('');
      expect(runbook.reading).not.toBe('');
      expect(runbook.outputs.length).toBeGreaterThan(0);
      expect(runbook.source).toMatch(/WHERE timestamp BETWEEN :\w+ AND :\w+/);
      expect(runbook.source).toMatch(/AND account = :account/);
    },
  );

  it('turns named parameters into positional ones, leaving literals and comments alone', () => {
    const { sql, bindOrder } = positionalize(
      "SELECT ':not_a_param', x::VARCHAR -- :nor_this\nWHERE a = :first AND b = :second OR c = :first",
    );

    expect(sql).toBe("SELECT ':not_a_param', x::VARCHAR -- :nor_this\nWHERE a = ? AND b = ? OR c = ?");
    expect(bindOrder).toEqual(['first', 'second', 'first']);
  });

  it('validates each value against its type before binding', () => {
    const watermark = runbooks.get('log-watermark')!;
    const good = {
      account: '111122223333',
      region: 'us-east-1',
      from_day: '2026/01/15',
      until_day: '2026/01/16',
    };

    expect(bindRunbook(watermark, good).parameters).toEqual([
      '2026/01/15',
      '2026/01/16',
      '111122223333',
      'us-east-1',
    ]);
    expect(() => bindRunbook(watermark, { ...good, account: "1' OR '1'='1" })).toThrow(RunbookParameterError);
    expect(() => bindRunbook(watermark, { ...good, region: 'us-east-1; DROP TABLE x' })).toThrow(
      /region is not a region/,
    );
    expect(() => bindRunbook(watermark, { ...good, until_day: '2026-01-16' })).toThrow(/until_day/);
    expect(() => bindRunbook(watermark, { ...good, extra: 'x' })).toThrow(/unknown parameters extra/);
  });
});
