import { describe, expect, it } from 'vitest';
import { summarizeFiles } from '../../../../lib/local/record-files.ts';
import { SHARED_CLOUDTRAIL, shared } from '../../../fixtures/paths.ts';

describe('summarizeFiles over the shared CloudTrail data', () => {
  it('accounts for every record: parsed or rejected with a named reason, never lost', async () => {
    const summary = await summarizeFiles([SHARED_CLOUDTRAIL]);

    expect(summary.read).toBe(summary.parsed + summary.rejected);
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
