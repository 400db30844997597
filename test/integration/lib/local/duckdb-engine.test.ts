import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine, logFileFromPath } from '../../../../lib/local/duckdb-engine.ts';
import { readRecordFile } from '../../../../lib/local/record-files.ts';
import { shared } from '../../../fixtures/paths.ts';

const LOG_FILES = shared('log-files');

describe('DuckDbQueryEngine over the shared log files', () => {
  let engine: DuckDbQueryEngine;
  beforeAll(async () => {
    engine = await DuckDbQueryEngine.open(LOG_FILES);
  });
  afterAll(() => engine.close());

  it('exposes every record under the Athena column names, with partitions from the path', async () => {
    const result = await engine.run({
      name: 'shape',
      sql: `SELECT eventname, useridentity.sessioncontext.sessionissuer.arn AS role, resources[1].arn AS first_resource,
                   timestamp, account, region
            FROM cloudtrail_logs WHERE timestamp = ? AND account = ? AND eventname = ?`,
      parameters: ['2020/09/14', '123456789123', 'GetObject'],
    });

    expect(result.rows.length).toBeGreaterThan(0);
    expect(result.rows[0]).toMatchObject({
      timestamp: '2020/09/14',
      account: '123456789123',
      region: 'us-east-1',
    });
    expect(result.rows[0]!.first_resource).toMatch(/^arn:aws:s3:::/);
  });

  it('shims the Trino functions runbooks use, with Trino semantics', async () => {
    const result = await engine.run({
      name: 'trino functions',
      sql: `SELECT json_extract_scalar(requestparameters, '$.bucketName') AS bucket,
                   from_iso8601_timestamp(eventtime) < from_iso8601_timestamp(?) AS before_midnight
            FROM cloudtrail_logs WHERE timestamp = ? AND account = ? AND eventname = ? LIMIT 1`,
      parameters: ['2020-09-15T00:00:00Z', '2020/09/14', '123456789123', 'GetObject'],
    });

    expect(result.rows).toEqual([{ bucket: expect.stringMatching(/^[a-z0-9.-]+$/), before_midnight: true }]);
  });

  it('reads only the files a partition filter selects, each once', async () => {
    const fresh = await DuckDbQueryEngine.open(LOG_FILES);
    try {
      const window = {
        name: 'count',
        sql: 'SELECT count(*) AS n FROM cloudtrail_logs WHERE timestamp BETWEEN ? AND ? AND account = ?',
        parameters: ['2020/09/14', '2020/09/14', '123456789123'],
      };
      const matching = fresh.files.filter(
        (file) => file.timestamp === '2020/09/14' && file.account === '123456789123',
      );

      const first = await fresh.run(window);
      expect(fresh.loadedFiles).toBe(matching.length);
      expect(matching.length).toBeLessThan(fresh.files.length / 10);
      // Again, and a window inside it: nothing more is read, and the answers stay.
      expect(await fresh.run(window)).toMatchObject({ rows: first.rows });
      expect(fresh.loadedFiles).toBe(matching.length);
      // A query without the partition filter needs every file; the window's answer stays.
      await fresh.run({ name: 'all', sql: 'SELECT count(*) AS n FROM cloudtrail_logs', parameters: [] });
      expect(fresh.loadedFiles).toBe(fresh.files.length);
      expect(await fresh.run(window)).toMatchObject({ rows: first.rows });
    } finally {
      await fresh.close();
    }
  });
});

/** A real log file of four S3 calls, changed by `change`, alone in a new log directory. */
function writeS3Calls(change: (records: Record<string, unknown>[]) => void): string {
  const day = join('AWSLogs', '123456789123', 'CloudTrail', 'us-east-1', '2020', '09', '14');
  const name = '123456789123_CloudTrail_us-east-1_20200914T0110Z_a534380ba6f74252.json.gz';
  const original = JSON.parse(
    gunzipSync(readFileSync(shared('log-files', 'otrf_ec2_proxy_s3_exfiltration', day, name))).toString(
      'utf8',
    ),
  ) as { Records: Record<string, unknown>[] };
  expect(original.Records).toHaveLength(4);
  change(original.Records);
  const root = mkdtempSync(join(tmpdir(), 'revoker-engine-'));
  mkdirSync(join(root, day), { recursive: true });
  const file = join(root, day, name);
  writeFileSync(file, gzipSync(JSON.stringify(original)));
  return file;
}

describe('DuckDbQueryEngine partition pruning by the runbook filter', () => {
  const count = (startDay: string, endDay: string) => ({
    name: 'count',
    sql: 'SELECT count(*) AS n FROM cloudtrail_logs WHERE timestamp BETWEEN ? AND ? AND account = ? AND eventname IS NOT NULL',
    parameters: [startDay, endDay, '123456789123'],
  });

  it('reads only the window, answers nothing for an empty one, and sees files written between queries', async () => {
    const file = writeS3Calls(() => {});
    const root = file.slice(0, file.indexOf('/AWSLogs/'));
    const engine = await DuckDbQueryEngine.open(root);
    try {
      expect((await engine.run(count('2020/09/14', '2020/09/14'))).rows).toEqual([{ n: 4 }]);
      expect((await engine.run(count('2020/09/15', '2020/09/20'))).rows).toEqual([{ n: 0 }]);

      // Into the directory just read, and into a day the engine has not seen, at once.
      writeFileSync(file.replace(/\.json\.gz$/, '_2.json.gz'), readFileSync(file));
      const nextDay = join(root, 'AWSLogs', '123456789123', 'CloudTrail', 'eu-west-1', '2020', '09', '15');
      mkdirSync(nextDay, { recursive: true });
      writeFileSync(join(nextDay, 'next.json.gz'), readFileSync(file));

      expect((await engine.run(count('2020/09/14', '2020/09/14'))).rows).toEqual([{ n: 8 }]);
      expect((await engine.run(count('2020/09/15', '2020/09/20'))).rows).toEqual([{ n: 4 }]);
      expect((await engine.run(count('2020/09/14', '2020/09/15'))).rows).toEqual([{ n: 12 }]);
      const other = {
        ...count('2020/09/14', '2020/09/15'),
        parameters: ['2020/09/14', '2020/09/15', '999999999999'],
      };
      expect((await engine.run(other)).rows).toEqual([{ n: 0 }]);
      expect(engine.files).toHaveLength(3);
      // Queries at once each read their own window.
      const answers = await Promise.all([
        engine.run(count('2020/09/14', '2020/09/14')),
        engine.run(count('2020/09/15', '2020/09/15')),
        engine.run(count('2020/09/16', '2020/09/16')),
        engine.run(count('2020/09/14', '2020/09/15')),
      ]);
      expect(answers.map((answer) => answer.rows[0]!.n)).toEqual([8, 4, 0, 12]);
    } finally {
      await engine.close();
    }
  });
  // A local log directory is anybody's (a re-run generate, a copy over the top): a file the
  // engine loaded and then changed or lost must not answer with what it held before.
  it('answers from a file rewritten, appended to or deleted after it was loaded, never from the old rows', async () => {
    const file = writeS3Calls(() => {});
    const root = file.slice(0, file.indexOf('/AWSLogs/'));
    const engine = await DuckDbQueryEngine.open(root);
    const calls = {
      name: 'calls',
      sql: 'SELECT eventname FROM cloudtrail_logs WHERE timestamp BETWEEN ? AND ? AND account = ? ORDER BY eventname',
      parameters: ['2020/09/14', '2020/09/14', '123456789123'],
    };
    const names = async () => (await engine.run(calls)).rows.map((row) => row.eventname);
    const rewrite = (change: (records: Record<string, unknown>[]) => void) => {
      const document = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as {
        Records: Record<string, unknown>[];
      };
      change(document.Records);
      writeFileSync(file, gzipSync(JSON.stringify(document)));
    };
    try {
      expect(await names()).toHaveLength(4);
      rewrite((records) => {
        records[0]!.eventName = 'DeleteBucket';
      });
      expect(await names()).toContain('DeleteBucket');
      rewrite((records) => {
        records.push({ ...records[0]!, eventID: 'appended', eventName: 'PutBucketPolicy' });
      });
      expect(await names()).toHaveLength(5);
      expect(await names()).toContain('PutBucketPolicy');
      rmSync(file);
      expect(await names()).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});

describe('DuckDbQueryEngine with a corrupt file and non-log files', () => {
  it('names the corrupt file, keeps the rest queryable, and ignores digests and insights', async () => {
    const root = mkdtempSync(join(tmpdir(), 'revoker-engine-'));
    cpSync(shared('log-files', 'otrf_ec2_proxy_s3_exfiltration'), root, { recursive: true });
    const day = join(root, 'AWSLogs', '123456789123', 'CloudTrail', 'us-east-1', '2020', '09', '14');
    const corrupt = join(day, '123456789123_CloudTrail_us-east-1_20200914T0100Z_corrupt.json.gz');
    writeFileSync(corrupt, gzipSync('{"Records": [ {"eventName": '));
    const digest = join(
      root,
      'AWSLogs',
      '123456789123',
      'CloudTrail-Digest',
      'us-east-1',
      '2020',
      '09',
      '14',
    );
    mkdirSync(digest, { recursive: true });
    writeFileSync(join(digest, 'digest.json.gz'), gzipSync('{"not": "records"}'));
    const engine = await DuckDbQueryEngine.open(root);

    const result = await engine.run({
      name: 'count',
      sql: 'SELECT count(*) AS n FROM cloudtrail_logs',
      parameters: [],
    });
    await engine.close();

    expect(Number(result.rows[0]!.n)).toBe(103);
    expect(engine.rejectedFiles).toEqual([{ path: corrupt, reason: expect.any(String) }]);
    expect(engine.files.some((file) => file.path.includes('CloudTrail-Digest'))).toBe(false);
  });

  it('keeps the parseable records of a file holding one of an unexpected shape, and names that one as parse does', async () => {
    const file = writeS3Calls((records) => {
      records[1]!.resources = ['arn:aws:s3:::bucket'];
    });
    const parse = await readRecordFile(file);
    const engine = await DuckDbQueryEngine.open(file.slice(0, file.indexOf('/AWSLogs/')));

    const result = await engine.run({
      name: 'event ids',
      sql: 'SELECT eventid, resources[2].arn AS bucket FROM cloudtrail_logs ORDER BY eventtime, eventid',
      parameters: [],
    });
    await engine.close();

    const accepted = parse.flatMap((entry) => (entry.kind === 'parsed' ? [entry.record.eventID] : []));
    expect(accepted).toHaveLength(3);
    expect(result.rows.map((row) => row.eventid).sort()).toEqual([...accepted].sort());
    // Copied as written: the resources, CloudTrail's `ARN` spelling and all, read as before.
    expect(new Set(result.rows.map((row) => row.bucket))).toEqual(
      new Set(['arn:aws:s3:::mordors3stack-s3bucket-llp2yingx64a']),
    );
    expect(engine.rejectedFiles).toEqual([]);
    const rejections = parse.flatMap((entry) =>
      entry.kind === 'rejected' ? [{ path: file, index: entry.index, reason: entry.reason }] : [],
    );
    expect(rejections).toEqual([{ path: file, index: 1, reason: expect.stringContaining('resources') }]);
    expect(engine.rejectedRecords).toEqual(rejections);
  });

  it('reads a salvaged file whole again once it is rewritten, and forgets what was set aside of it', async () => {
    const file = writeS3Calls((records) => {
      records[1]!.resources = ['arn:aws:s3:::bucket'];
    });
    const engine = await DuckDbQueryEngine.open(file.slice(0, file.indexOf('/AWSLogs/')));
    const count = { name: 'count', sql: 'SELECT count(*) AS n FROM cloudtrail_logs', parameters: [] };
    try {
      expect((await engine.run(count)).rows).toEqual([{ n: 3 }]);
      expect(engine.rejectedRecords).toHaveLength(1);
      const document = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as {
        Records: Record<string, unknown>[];
      };
      delete document.Records[1]!.resources;
      writeFileSync(file, gzipSync(JSON.stringify(document)));

      expect((await engine.run(count)).rows).toEqual([{ n: 4 }]);
      expect(engine.rejectedRecords).toEqual([]);
    } finally {
      await engine.close();
    }
  });

  it('sets the whole file aside when DuckDB cannot read what parse kept of it, even the only file', async () => {
    const file = writeS3Calls((records) => {
      records[1]!.resources = ['arn:aws:s3:::bucket'];
      // Parse accepts any tlsDetails; DuckDB reads it as a struct.
      records[2]!.tlsDetails = ['TLSv1.2'];
    });
    const engine = await DuckDbQueryEngine.open(file.slice(0, file.indexOf('/AWSLogs/')));

    const result = await engine.run({
      name: 'count',
      sql: 'SELECT count(*) AS n FROM cloudtrail_logs',
      parameters: [],
    });
    await engine.close();

    expect(Number(result.rows[0]!.n)).toBe(0);
    expect(engine.rejectedFiles).toEqual([{ path: file, reason: expect.stringContaining('<file>') }]);
    expect(engine.rejectedRecords).toEqual([]);
  });

  it('classifies log paths, including organisation trails', () => {
    expect(
      logFileFromPath('b/AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/2026/01/15/f.json.gz'),
    ).toMatchObject({
      account: '111122223333',
      region: 'eu-west-1',
      timestamp: '2026/01/15',
    });
    expect(
      logFileFromPath('b/AWSLogs/111122223333/CloudTrail-Insight/eu-west-1/2026/01/15/f.json.gz'),
    ).toBeNull();
  });
});
