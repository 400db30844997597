// The case archive in the stack's audit bucket: each closed case's objects written once.
// `If-None-Match: *` makes the write create-only: an object already under the key (written by
// an earlier attempt of the same close) is kept and S3 answers 412, which is success here — so
// a retry never replaces what was archived, and object lock, when the bucket has it, never
// refuses a retry. The SDK sends a SHA-256 checksum S3 verifies (object lock requires one).
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type ArchiveObject, type CaseArchive, CaseArchiveError } from '../ports.ts';

export class S3CaseArchive implements CaseArchive {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(object: ArchiveObject): Promise<'archived' | 'already-archived'> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: object.key,
          Body: object.body,
          ContentType: object.contentType,
          IfNoneMatch: '*',
          ChecksumAlgorithm: 'SHA256',
        }),
      );
      return 'archived';
    } catch (error) {
      if (isPreconditionFailed(error)) return 'already-archived';
      // 409 ConditionalRequestConflict (a concurrent write of the key), an outage, a refusal:
      // the close fails with a name Step Functions retries; the case is already closed in the table.
      throw new CaseArchiveError(
        `could not archive s3://${this.bucket}/${object.key}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}

function isPreconditionFailed(error: unknown): boolean {
  const failure = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return failure.name === 'PreconditionFailed' || failure.$metadata?.httpStatusCode === 412;
}
