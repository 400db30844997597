import 'aws-sdk-client-mock-vitest/extend';
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3CaseArchive } from '../../../../lib/aws/s3-case-archive.ts';
import { CaseArchiveError } from '../../../../lib/ports.ts';

const s3 = mockClient(S3Client);
const BUCKET = 'revoker-audit-111122223333';
const OBJECT = {
  key: 'json/2026/01/15/case-1.json',
  body: '{"format":"revoker.case/1"}\n',
  contentType: 'application/json',
};

/** An error as the SDK raises it for an S3 status. */
function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });
}

beforeEach(() => {
  s3.reset();
});

describe('S3CaseArchive', () => {
  it('writes the object create-only, with a checksum S3 verifies', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"e-1"' });

    const written = await new S3CaseArchive(new S3Client({}), BUCKET).put(OBJECT);

    expect(written).toBe('archived');
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 1);
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: 'json/2026/01/15/case-1.json',
      Body: '{"format":"revoker.case/1"}\n',
      ContentType: 'application/json',
      IfNoneMatch: '*',
      ChecksumAlgorithm: 'SHA256',
    });
  });

  it('takes 412 Precondition Failed as archived already: a retried close succeeds and changes nothing', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('PreconditionFailed', 412));

    const written = await new S3CaseArchive(new S3Client({}), BUCKET).put(OBJECT);

    expect(written).toBe('already-archived');
  });

  it('fails with CaseArchiveError, naming the object, on a conflict or an outage, so the close is retried', async () => {
    const archive = new S3CaseArchive(new S3Client({}), BUCKET);
    s3.on(PutObjectCommand)
      .rejectsOnce(s3Error('ConditionalRequestConflict', 409))
      .rejectsOnce(s3Error('SlowDown', 503));

    await expect(archive.put(OBJECT)).rejects.toThrow(
      new CaseArchiveError(
        `could not archive s3://${BUCKET}/json/2026/01/15/case-1.json: ConditionalRequestConflict`,
      ),
    );
    await expect(archive.put(OBJECT)).rejects.toMatchObject({ name: 'CaseArchiveError' });
  });
});
