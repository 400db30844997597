import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readDocument } from '../../../../lib/domain/documents.ts';
import { shared } from '../../../fixtures/paths.ts';

describe('readDocument', () => {
  it('rejects an envelope whose source does not match its detail', () => {
    const file = shared('cloud-custodian', 'event-cloudsearch.json');
    const [entry] = readDocument(JSON.parse(readFileSync(file, 'utf8')), file);

    expect(entry).toMatchObject({
      kind: 'rejected',
      reason: expect.stringContaining('does not match detail eventSource'),
    });
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
