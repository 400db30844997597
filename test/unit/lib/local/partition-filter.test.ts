import { describe, expect, it } from 'vitest';
import { partitionWindows } from '../../../../lib/local/partition-filter.ts';
import { bindRunbook, loadRunbooks } from '../../../../lib/runbooks/catalog.ts';

describe('partitionWindows', () => {
  it('reads the window of every runbook from its bound values', () => {
    for (const [id, runbook] of loadRunbooks()) {
      const windows = partitionWindows(runbook.sql, runbook.bindOrder);
      expect(windows, id).not.toBeNull();
      expect(windows!.length, id).toBe(runbook.sql.split(/\bcloudtrail_logs\b/).length - 1);
      for (const window of windows!) {
        expect(window.account, id).toBe('account');
        expect(window.startDay, id).toMatch(/_day$/);
        expect(window.endDay, id).toMatch(/_day$/);
      }
    }
  });

  it('takes the values bound to the filter, counting placeholders outside strings and comments', () => {
    const query = bindRunbook(loadRunbooks().get('persistence-created')!, {
      account: '111122223333',
      principal: 'arn:aws:iam::111122223333:role/r',
      start: '2026-01-14T23:00:00Z',
      end: '2026-01-15T01:00:00Z',
    });
    expect(partitionWindows(query.sql, query.parameters)).toEqual([
      { startDay: '2026/01/14', endDay: '2026/01/15', account: '111122223333' },
    ]);
    expect(
      partitionWindows(
        `SELECT '?' AS a, x -- why?
         FROM cloudtrail_logs WHERE timestamp BETWEEN ? AND ? AND account = ? AND (a = ? OR b) GROUP BY 1`,
        ['d1', 'd2', 'acct', 'other'],
      ),
    ).toEqual([{ startDay: 'd1', endDay: 'd2', account: 'acct' }]);
  });

  it('needs every file when a read may reach other partitions', () => {
    const values = ['d1', 'd2', 'acct', 'x'];
    for (const sql of [
      'SELECT * FROM cloudtrail_logs WHERE account = ?',
      'SELECT * FROM cloudtrail_logs',
      'SELECT * FROM cloudtrail_logs WHERE timestamp = ? AND account = ?',
      'SELECT * FROM cloudtrail_logs WHERE timestamp BETWEEN ? AND ? AND account = ? OR eventname = ?',
      'SELECT * FROM cloudtrail_logs WHERE timestamp BETWEEN ? AND ? AND account = ? IS NULL',
      'SELECT * FROM cloudtrail_logs l WHERE timestamp BETWEEN ? AND ? AND account = ?',
      'SELECT * FROM cloudtrail_logs WHERE timestamp BETWEEN $1 AND $2 AND account = $3',
      `SELECT * FROM cloudtrail_logs WHERE timestamp BETWEEN ? AND ? AND account = ?
       UNION ALL SELECT * FROM cloudtrail_logs WHERE account = ?`,
    ]) {
      expect(partitionWindows(sql, values), sql).toBeNull();
    }
    expect(
      partitionWindows('SELECT * FROM cloudtrail_logs WHERE timestamp BETWEEN ? AND ? AND account = ?', [
        'd1',
        20200915,
        'acct',
      ]),
    ).toBeNull();
  });
});
