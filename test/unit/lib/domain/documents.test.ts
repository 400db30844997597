import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEnvelope, readDocument } from '../../../../lib/domain/documents.ts';
import { shared } from '../../../fixtures/paths.ts';

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

/** The document on a line (from 1) of the CloudTrail User Guide's examples. */
function guideExample(line: number): unknown {
  const file = shared('aws-docs', 'cloudtrail_user_guide_2023_json_examples.jsonl');
  return (JSON.parse(readFileSync(file, 'utf8').split('\n')[line - 1]!) as { json: unknown }).json;
}

describe('readDocument', () => {
  it('reads the detail of a file envelope whose source does not match it, saying so', () => {
    const file = shared('cloud-custodian', 'event-cloudsearch.json');
    const [entry] = readDocument(readJson(file), file);

    expect(entry).toMatchObject({
      kind: 'parsed',
      record: { eventSource: 'cloudsearch.amazonaws.com' },
      note: expect.stringContaining('does not match detail eventSource'),
    });
    expect(entry).not.toHaveProperty('envelope');
  });

  it('reads the detail of a file envelope without a version', () => {
    const file = shared('cloud-custodian', 'event-cloud-trail-s3.json');
    const [entry] = readDocument(readJson(file), file);

    expect(entry).toMatchObject({ kind: 'parsed', note: expect.stringContaining('field version') });
  });

  it('keeps an envelope rejected when its detail is not a record either', () => {
    const file = shared('cloud-custodian', 'event-cloudsearch.json');
    const envelope = readJson(file) as { detail: Record<string, unknown> };
    const [entry] = readDocument(
      { ...envelope, detail: { ...envelope.detail, eventTime: 'yesterday' } },
      file,
    );

    expect(entry).toMatchObject({ kind: 'rejected', index: 0, reason: expect.stringContaining('eventTime') });
  });

  it('reads CloudTrail Insights events as insights: not rejected, not calls', () => {
    const entries = readDocument(guideExample(22), 'guide');

    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries)
      expect(entry).toMatchObject({
        kind: 'insight',
        insight: { eventType: 'AwsCloudTrailInsight', insightDetails: { eventSource: 'ssm.amazonaws.com' } },
      });
  });

  it('rejects an Insights event without a time, naming the field', () => {
    const [insight] = (guideExample(22) as { Records: Record<string, unknown>[] }).Records;
    const [entry] = readDocument({ ...insight, eventTime: undefined }, 'guide');

    expect(entry).toMatchObject({
      kind: 'rejected',
      reason: 'invalid CloudTrail Insights event: field eventTime: missing',
    });
  });
});

describe('parseEnvelope as detect calls it (strict: events off the bus)', () => {
  it('still rejects an envelope whose source does not name its detail service: it may be forged', () => {
    const file = shared('cloud-custodian', 'event-cloudsearch.json');

    expect(parseEnvelope(readJson(file), file, 0)).toMatchObject({
      kind: 'rejected',
      reason: expect.stringContaining('does not match detail eventSource'),
    });
  });

  it('still rejects an envelope without a version', () => {
    const file = shared('cloud-custodian', 'event-cloud-trail-s3.json');

    expect(parseEnvelope(readJson(file), file, 0)).toMatchObject({ kind: 'rejected' });
  });

  it('reads an EventBridge envelope into its record and principal', () => {
    const file = shared('cloud-custodian', 'event-cloud-trail-create-bucket.json');
    const [entry] = readDocument(JSON.parse(readFileSync(file, 'utf8')), file);

    expect(entry).toMatchObject({
      kind: 'parsed',
      shape: 'eventbridge-envelope',
      record: { eventName: 'CreateBucket' },
    });
  });
});
