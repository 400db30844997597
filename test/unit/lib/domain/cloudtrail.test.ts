import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CloudTrailEnvelopeSchema,
  CloudTrailRecordSchema,
  claimsToBeInsight,
  envelopeFields,
  isCloudTrailEnvelope,
  isCloudTrailRecord,
} from '../../../../lib/domain/cloudtrail.ts';
import { envelopeFor } from '../../../../lib/domain/envelope.ts';
import { readRecordFiles } from '../../../../lib/local/record-files.ts';
import { SHARED_CLOUDTRAIL } from '../../../fixtures/paths.ts';
import { stolenInstanceCredentialsGrant } from '../../../fixtures/records.ts';

/** Every record in the shared real-world data, as it came (before any check). */
const sharedRecords: unknown[] = [];
beforeAll(async () => {
  for await (const entry of readRecordFiles([SHARED_CLOUDTRAIL]))
    if (entry.kind === 'parsed') sharedRecords.push(entry.record);
});

/** Values of every type, and the near misses a field's check must tell apart. */
const anyValue = fc.oneof(
  fc.constantFrom(undefined, null, '', 'x', true, false, 0, 1, [], {}, ['x'], [{}], [null]),
  fc.constantFrom(
    '2026-01-15T12:00:00Z',
    '2026-01-15T12:00:00.123Z',
    '2026-02-30T12:00:00Z',
    '2026-01-15T24:00:00Z',
    '2026-13-01T12:00:00Z',
    '2026-01-15 12:00:00Z',
    '2026-01-15T12:00Z',
    '2024-02-29T12:00:00Z',
    '2023-02-29T12:00:00Z',
    '1900-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-01-15T23:59:60Z',
  ),
  fc.constantFrom('aws.iam', 'aws.sts', 'iam.amazonaws.com', 'AWS API Call via CloudTrail', 'Other'),
  fc.anything(),
);

/** The paths the record schema names, nested ones included. */
const RECORD_PATHS = [
  ['eventVersion'],
  ['eventTime'],
  ['eventSource'],
  ['eventName'],
  ['awsRegion'],
  ['eventID'],
  ['eventType'],
  ['userIdentity'],
  ['userIdentity', 'type'],
  ['userIdentity', 'arn'],
  ['userIdentity', 'accountId'],
  ['userIdentity', 'accessKeyId'],
  ['userIdentity', 'credentialId'],
  ['userIdentity', 'sessionContext'],
  ['userIdentity', 'sessionContext', 'attributes'],
  ['userIdentity', 'sessionContext', 'attributes', 'mfaAuthenticated'],
  ['userIdentity', 'sessionContext', 'attributes', 'creationDate'],
  ['userIdentity', 'sessionContext', 'sessionIssuer'],
  ['userIdentity', 'sessionContext', 'sessionIssuer', 'arn'],
  ['userIdentity', 'sessionContext', 'sourceIdentity'],
  ['userIdentity', 'sessionContext', 'ec2RoleDelivery'],
  ['userIdentity', 'onBehalfOf'],
  ['userIdentity', 'onBehalfOf', 'userId'],
  ['sourceIPAddress'],
  ['userAgent'],
  ['errorCode'],
  ['errorMessage'],
  ['recipientAccountId'],
  ['readOnly'],
  ['resources'],
  ['vpcEndpointId'],
  ['vpcEndpointAccountId'],
  ['requestParameters'],
];
const ENVELOPE_PATHS = [
  ['version'],
  ['id'],
  ['source'],
  ['account'],
  ['time'],
  ['region'],
  ['resources'],
  ['detail-type'],
  ['replay-name'],
  ['detail'],
  ...RECORD_PATHS.map((path) => ['detail', ...path]),
];

/** A deep copy of `value` with the value at `path` replaced (made where missing). */
function withValue(value: unknown, path: string[], replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[path[path.length - 1]!] = replacement;
  return copy;
}

function mutations(paths: string[][]) {
  return fc.array(fc.tuple(fc.constantFrom(...paths), anyValue), { minLength: 1, maxLength: 4 });
}

describe('the hand-written record check (the hot path)', () => {
  it('never accepts what CloudTrailRecordSchema refuses', () => {
    const record = stolenInstanceCredentialsGrant();
    fc.assert(
      fc.property(mutations(RECORD_PATHS), (changes) => {
        const changed = changes.reduce<unknown>((value, [path, to]) => withValue(value, path, to), record);
        if (isCloudTrailRecord(changed)) expect(CloudTrailRecordSchema.safeParse(changed).success).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with the schema on every real record in the shared data', () => {
    const calls = sharedRecords.filter((record) => !claimsToBeInsight(record));
    expect(calls.length).toBeGreaterThan(500);
    const disagreements = calls.filter(
      (record) => isCloudTrailRecord(record) !== CloudTrailRecordSchema.safeParse(record).success,
    );
    expect(disagreements).toEqual([]);
  });
});

describe('the hand-written envelope check (the hot path of detect)', () => {
  it('never accepts what CloudTrailEnvelopeSchema refuses', () => {
    const envelope = envelopeFor(stolenInstanceCredentialsGrant(), 'test');
    expect(isCloudTrailEnvelope(envelope)).toBe(true);
    fc.assert(
      fc.property(mutations(ENVELOPE_PATHS), (changes) => {
        const changed = changes.reduce<unknown>((value, [path, to]) => withValue(value, path, to), envelope);
        if (isCloudTrailEnvelope(changed))
          expect(CloudTrailEnvelopeSchema.safeParse(changed).success).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with the schema on every shared record delivered as EventBridge would', () => {
    const envelopes = sharedRecords
      .filter((record) => isCloudTrailRecord(record) && !claimsToBeInsight(record))
      .map((record, index) => envelopeFor(record as never, `event-${index}`));
    const disagreements = envelopes.filter(
      (envelope) => isCloudTrailEnvelope(envelope) !== CloudTrailEnvelopeSchema.safeParse(envelope).success,
    );
    expect(disagreements).toEqual([]);
  });

  it('keeps the envelope fields the schema keeps, and drops the rest as it does', () => {
    const envelope = { ...envelopeFor(stolenInstanceCredentialsGrant(), 'test'), extra: 'dropped' };
    const parsed = CloudTrailEnvelopeSchema.parse(envelope);
    if (!isCloudTrailEnvelope(envelope)) throw new Error('expected a valid envelope');
    const { detail: _detail, ...kept } = parsed;

    expect(envelopeFields(envelope)).toEqual(kept);
  });
});
