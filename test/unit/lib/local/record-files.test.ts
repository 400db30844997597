import { describe, expect, it } from 'vitest';
import { readRecordText, summarizeFiles } from '../../../../lib/local/record-files.ts';
import { SHARED_CLOUDTRAIL, shared } from '../../../fixtures/paths.ts';

describe('summarizeFiles over the shared CloudTrail data', () => {
  it('accounts for every record: parsed or rejected with a named reason, never lost', async () => {
    const summary = await summarizeFiles([SHARED_CLOUDTRAIL]);

    expect(summary.read).toBe(summary.parsed + summary.insights + summary.rejected);
    expect(summary.parsed).toBeGreaterThan(900);
    for (const rejection of summary.rejections) {
      expect(rejection.file).toContain(SHARED_CLOUDTRAIL);
      expect(rejection.reason.length).toBeGreaterThan(5);
    }
    // Only licences, READMEs and the dataset's own YAML are skipped.
    expect(summary.skippedFiles.map((file) => file.file.split('/').pop())).toEqual(
      expect.arrayContaining(['LICENSE', 'README.md', 'EXPECTATIONS.md', 'SDAWS-200914011940.yaml']),
    );
    expect(summary.skippedFiles.every((file) => !file.file.endsWith('.json.gz'))).toBe(true);
  });

  it('rejects no record for a shape CloudTrail writes, and gives every rejection a position', async () => {
    const summary = await summarizeFiles([SHARED_CLOUDTRAIL]);

    // What stays rejected is what the datasets made up or cut short: samples that are not JSON,
    // SNS notices, an API response, and records without the eventTime CloudTrail always writes.
    const madeUp =
      /^(sample that is not valid JSON|invalid JSON|CloudTrail delivery notification|SNS notification|not a CloudTrail record|invalid record: field eventTime: (missing|null|not an ISO))/;
    for (const rejection of summary.rejections) expect(rejection.reason).toMatch(madeUp);
    expect(summary.insights).toBeGreaterThanOrEqual(6);
    expect(summary.notes).toHaveLength(2);
    // A record is placed by its index (and line, in JSON Lines); a document without an index
    // is placed by its line, or is the whole file, alone in it.
    const entriesPerFile = new Map<string, number>();
    for (const rejection of summary.rejections)
      entriesPerFile.set(rejection.file, (entriesPerFile.get(rejection.file) ?? 0) + 1);
    for (const rejection of summary.rejections) {
      if (rejection.index !== null || rejection.line !== undefined) continue;
      expect({
        file: rejection.file,
        reason: rejection.reason,
        entries: entriesPerFile.get(rejection.file),
      }).toEqual({ file: rejection.file, reason: rejection.reason, entries: 1 });
    }
    // What remains rejected is what the datasets made up or cut short, never a real record.
    expect(summary.unresolvedPrincipals).not.toHaveProperty(['IAMUser without arn or userName']);
    expect(Object.keys(summary.unresolvedPrincipals).some((reason) => reason.startsWith('IAMUser'))).toBe(
      false,
    );
  });

  it('places each entry of a JSON Lines file on its line, the ones that are not CloudTrail too', async () => {
    const summary = await summarizeFiles([
      shared('aws-docs', 'cloudtrail_user_guide_2023_json_examples.jsonl'),
    ]);

    expect(summary.rejections.every((rejection) => rejection.line !== undefined)).toBe(true);
    expect(summary.rejections).toContainEqual(
      expect.objectContaining({ index: null, line: 31, reason: expect.stringMatching(/^not a CloudTrail/) }),
    );
  });

  it('rejects the invalid JSON file by name and still reads the others', async () => {
    const summary = await summarizeFiles([shared('aws-cloudtrail-processing-library')]);

    const bad = summary.rejections.find((rejection) =>
      rejection.file.endsWith('SerializerTestFileBadJsonFormat.json'),
    );
    expect(bad?.reason).toMatch(/^invalid JSON/);
    expect(bad?.index).toBeNull();
    expect(summary.parsed).toBeGreaterThan(20);
  });

  it('rejects the record with an unparseable eventTime and keeps its neighbours', async () => {
    const summary = await summarizeFiles([
      shared('aws-cloudtrail-processing-library', 'SerializerTestFileMissField.json'),
    ]);

    expect(summary.parsed).toBe(3);
    expect(summary.rejections).toEqual([
      expect.objectContaining({
        index: 3,
        reason: expect.stringContaining('field eventTime: not an ISO 8601'),
      }),
    ]);
  });

  it('names the SNS delivery notification as pointing at log files rather than holding records', async () => {
    const summary = await summarizeFiles([shared('aws-cloudtrail-processing-library', 'SQSMessageBody')]);

    expect(summary.rejections[0]?.reason).toMatch(/delivery notification/);
  });
});

describe('readRecordText', () => {
  it('rejects a file named as JSON that holds something else (damaged), and skips other files', () => {
    expect(readRecordText('\u0007garbage', 'logs/x.json.gz')).toEqual([
      { kind: 'rejected', file: 'logs/x.json.gz', index: null, reason: 'not JSON' },
    ]);
    expect(readRecordText('MIT License', 'LICENSE')).toEqual([
      { kind: 'skipped', file: 'LICENSE', reason: 'not JSON' },
    ]);
  });
});
