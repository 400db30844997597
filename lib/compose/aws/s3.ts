// S3: the stack's audit bucket, where each closed case is written (AUDIT_BUCKET: its name).
import { S3Client } from '@aws-sdk/client-s3';
import { S3CaseArchive } from '../../aws/s3-case-archive.ts';
import { once, setting } from './deployed.ts';

export const archive = once(() => new S3CaseArchive(new S3Client({}), setting('AUDIT_BUCKET')));
