// Wrapping a CloudTrail record as EventBridge delivers it, for replaying logs through detect.
import { type CloudTrailRecord, eventBridgeSourceFor } from './cloudtrail.ts';

// A Map: eventType is the record's word, and `constructor` must not find Object's.
const DETAIL_TYPES: ReadonlyMap<string, string> = new Map([
  ['AwsConsoleSignIn', 'AWS Console Sign In via CloudTrail'],
  ['AwsServiceEvent', 'AWS Service Event via CloudTrail'],
  ['AwsConsoleAction', 'AWS Console Action via CloudTrail'],
  ['AwsCloudTrailInsight', 'AWS Insight via CloudTrail'],
]);

/**
 * The envelope's own account and region are filled in when the record lacks them; the case
 * never reads them (a trigger takes both from the record itself, and rejects it without).
 */
export function envelopeFor(record: CloudTrailRecord, id: string) {
  return {
    version: '0',
    id,
    'detail-type': DETAIL_TYPES.get(record.eventType ?? '') ?? 'AWS API Call via CloudTrail',
    source: eventBridgeSourceFor(record.eventSource),
    account: record.recipientAccountId ?? record.userIdentity?.accountId ?? '000000000000',
    time: record.eventTime,
    region: record.awsRegion ?? 'us-east-1',
    resources: [],
    detail: record,
  };
}
