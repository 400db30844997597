// CloudTrail records, log files and EventBridge envelopes, validated at the edge with zod.
// CloudTrail is messy and partly attacker-written: the schemas insist only on what the
// pipeline relies on (when, what, which service) and keep every other field as it came.
import * as z from 'zod';

/**
 * An EventBridge event's envelope, field for field as EventBridge documents it (the same fields
 * Powertools' parser checks). Defined here rather than imported: the parser's schema imports zod
 * whole, which puts ~350 KiB more in every function's bundle.
 */
const EventBridgeSchema = z.object({
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': z.string().optional(),
});

const optionalText = z.string().nullish();

/** A required text field, with messages that say what was wrong without echoing the value. */
function requiredText() {
  return z.string({
    error: (issue) => (issue.input === undefined ? 'missing' : issue.input === null ? 'null' : 'not text'),
  });
}

/** `2024-08-02T08:23:24Z`, with optional fractional seconds; CloudTrail always writes UTC. */
export const isoInstant = requiredText().refine(
  (value) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value) && !Number.isNaN(Date.parse(value)),
  {
    message: 'not an ISO 8601 UTC time such as 2024-08-02T08:23:24Z',
  },
);

export const SessionIssuerSchema = z.looseObject({
  type: optionalText,
  principalId: optionalText,
  arn: optionalText,
  accountId: optionalText,
  userName: optionalText,
});

export const SessionContextSchema = z.looseObject({
  attributes: z
    .looseObject({
      // Seen as a boolean-like string in every casing: "true", "false", "False".
      mfaAuthenticated: z.union([z.string(), z.boolean()]).nullish(),
      creationDate: optionalText,
    })
    .nullish(),
  sessionIssuer: SessionIssuerSchema.nullish(),
  sourceIdentity: optionalText,
  webIdFederationData: z.unknown().optional(),
  ec2RoleDelivery: optionalText,
});

export const UserIdentitySchema = z.looseObject({
  type: optionalText,
  principalId: optionalText,
  arn: optionalText,
  accountId: optionalText,
  accessKeyId: optionalText,
  userName: optionalText,
  invokedBy: optionalText,
  identityProvider: optionalText,
  sessionContext: SessionContextSchema.nullish(),
  onBehalfOf: z.looseObject({ userId: optionalText, identityStoreArn: optionalText }).nullish(),
  credentialId: optionalText,
});

export const ResourceSchema = z.looseObject({
  ARN: optionalText,
  accountId: optionalText,
  type: optionalText,
});

export const CloudTrailRecordSchema = z.looseObject({
  eventVersion: optionalText,
  eventTime: isoInstant,
  eventSource: requiredText().min(1, 'empty'),
  eventName: requiredText().min(1, 'empty'),
  awsRegion: optionalText,
  eventID: optionalText,
  eventType: optionalText,
  userIdentity: UserIdentitySchema.nullish(),
  sourceIPAddress: optionalText,
  userAgent: optionalText,
  errorCode: optionalText,
  errorMessage: optionalText,
  requestParameters: z.unknown().optional(),
  responseElements: z.unknown().optional(),
  additionalEventData: z.unknown().optional(),
  recipientAccountId: optionalText,
  readOnly: z.union([z.boolean(), z.string()]).nullish(),
  resources: z.array(ResourceSchema).nullish(),
  /** The VPC endpoint the request came through, when it did (sourceIPAddress is then private). */
  vpcEndpointId: optionalText,
  /** The account owning that endpoint: another account's endpoint is not the caller's network. */
  vpcEndpointAccountId: optionalText,
});
export type CloudTrailRecord = z.infer<typeof CloudTrailRecordSchema>;

// The hot path: a hand-written check of exactly what CloudTrailRecordSchema accepts, without
// zod's copy of every record (most of what parsing a million records cost). It never accepts
// what the schema refuses (a property test holds it to that); whatever it refuses goes to the
// schema, which says why, or accepts an edge it was too strict for. Where a record opens a
// case, the schema itself judges it again (detect, replay).

type Fields = Record<string, unknown>;

function isPlainObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `optionalText`: missing, undefined, null or a string. */
function isOptionalText(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string';
}

function textsOptional(object: Fields, keys: readonly string[]): boolean {
  for (const key of keys) if (!isOptionalText(object[key])) return false;
  return true;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function isInstant(value: unknown): boolean {
  return typeof value === 'string' && INSTANT.test(value) && !Number.isNaN(Date.parse(value));
}

const RECORD_TEXTS = [
  'eventVersion',
  'awsRegion',
  'eventID',
  'eventType',
  'sourceIPAddress',
  'userAgent',
  'errorCode',
  'errorMessage',
  'recipientAccountId',
  'vpcEndpointId',
  'vpcEndpointAccountId',
] as const;
const IDENTITY_TEXTS = [
  'type',
  'principalId',
  'arn',
  'accountId',
  'accessKeyId',
  'userName',
  'invokedBy',
  'identityProvider',
  'credentialId',
] as const;
const ISSUER_TEXTS = ['type', 'principalId', 'arn', 'accountId', 'userName'] as const;
const RESOURCE_TEXTS = ['ARN', 'accountId', 'type'] as const;

function isNullishOr(value: unknown, check: (object: Fields) => boolean): boolean {
  return value === undefined || value === null || (isPlainObject(value) && check(value));
}

function isSessionAttributes(attributes: Fields): boolean {
  const mfa = attributes.mfaAuthenticated;
  return (isOptionalText(mfa) || typeof mfa === 'boolean') && isOptionalText(attributes.creationDate);
}

function isSessionContext(context: Fields): boolean {
  return (
    isNullishOr(context.attributes, isSessionAttributes) &&
    isNullishOr(context.sessionIssuer, (issuer) => textsOptional(issuer, ISSUER_TEXTS)) &&
    isOptionalText(context.sourceIdentity) &&
    isOptionalText(context.ec2RoleDelivery)
  );
}

function isUserIdentity(identity: Fields): boolean {
  return (
    textsOptional(identity, IDENTITY_TEXTS) &&
    isNullishOr(identity.sessionContext, isSessionContext) &&
    isNullishOr(identity.onBehalfOf, (behalf) => textsOptional(behalf, ['userId', 'identityStoreArn']))
  );
}

/** Whether CloudTrailRecordSchema would accept the value as it is (the value is not copied). */
export function isCloudTrailRecord(value: unknown): value is CloudTrailRecord {
  if (!isPlainObject(value)) return false;
  const { eventSource, eventName, readOnly, resources } = value;
  return (
    typeof eventSource === 'string' &&
    eventSource.length > 0 &&
    typeof eventName === 'string' &&
    eventName.length > 0 &&
    isInstant(value.eventTime) &&
    textsOptional(value, RECORD_TEXTS) &&
    isNullishOr(value.userIdentity, isUserIdentity) &&
    (isOptionalText(readOnly) || typeof readOnly === 'boolean') &&
    (resources === undefined ||
      resources === null ||
      (Array.isArray(resources) &&
        resources.every((resource) => isPlainObject(resource) && textsOptional(resource, RESOURCE_TEXTS))))
  );
}

/**
 * CloudTrail Insights events (`eventType: AwsCloudTrailInsight`) report unusual call rates or
 * error rates; they are not API calls, carry no eventSource, eventName or userIdentity (the
 * API they are about is in `insightDetails`), and no detection rule looks at them.
 */
export const INSIGHT_EVENT_TYPE = 'AwsCloudTrailInsight';

export const CloudTrailInsightSchema = z.looseObject({
  eventVersion: optionalText,
  eventTime: isoInstant,
  eventType: z.literal(INSIGHT_EVENT_TYPE),
  awsRegion: optionalText,
  eventID: optionalText,
  recipientAccountId: optionalText,
  sharedEventID: optionalText,
  insightDetails: z
    .looseObject({
      state: optionalText,
      eventSource: optionalText,
      eventName: optionalText,
      insightType: optionalText,
    })
    .nullish(),
});
export type CloudTrailInsight = z.infer<typeof CloudTrailInsightSchema>;

/** A record that says it is an Insights event, judged by the Insights schema rather than as a call. */
export function claimsToBeInsight(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { eventType?: unknown }).eventType === INSIGHT_EVENT_TYPE
  );
}
export type UserIdentity = z.infer<typeof UserIdentitySchema>;

/** The detail types CloudTrail publishes to EventBridge (both spellings of sign-in occur). */
export const CLOUDTRAIL_DETAIL_TYPES = [
  'AWS API Call via CloudTrail',
  'AWS Console Sign In via CloudTrail',
  'AWS Console Signin via CloudTrail',
  'AWS Service Event via CloudTrail',
  'AWS Console Action via CloudTrail',
  'AWS Insight via CloudTrail',
] as const;

/**
 * The EventBridge envelope, narrowed to CloudTrail detail types with a record as detail.
 * This is what detect trusts on the bus: only AWS may put events whose source is `aws.*`, so
 * a source that names the detail's service is what tells a real CloudTrail event from one
 * anybody with events:PutEvents wrote (see eventBridgeSourceFor).
 */
export const CloudTrailEnvelopeSchema = EventBridgeSchema.extend({
  'detail-type': z.enum(CLOUDTRAIL_DETAIL_TYPES),
  detail: CloudTrailRecordSchema,
}).superRefine((envelope, context) => {
  const expected = eventBridgeSourceFor(envelope.detail.eventSource);
  if (envelope.source !== expected) {
    context.addIssue({
      code: 'custom',
      path: ['source'],
      message: `envelope source ${envelope.source} does not match detail eventSource ${envelope.detail.eventSource} (expected ${expected})`,
    });
  }
});
export type CloudTrailEnvelope = z.infer<typeof CloudTrailEnvelopeSchema>;

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * A UTC time with seconds that names a real day and time of day (zod's datetime accepts these,
 * and more). Read digit by digit: this runs once per event on detect's hot path.
 */
function isEnvelopeTime(value: unknown): boolean {
  if (typeof value !== 'string' || !INSTANT.test(value)) return false;
  const number = (at: number) => (value.charCodeAt(at) - 48) * 10 + value.charCodeAt(at + 1) - 48;
  const year = number(0) * 100 + number(2);
  const [month, day] = [number(5), number(8)];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= (month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1]!) &&
    number(11) <= 23 &&
    number(14) <= 59 &&
    number(17) <= 59
  );
}

const DETAIL_TYPES: ReadonlySet<string> = new Set(CLOUDTRAIL_DETAIL_TYPES);
const ENVELOPE_TEXTS = ['version', 'id', 'account', 'region'] as const;

/**
 * Whether CloudTrailEnvelopeSchema would accept the value as it is, checked by hand as
 * isCloudTrailRecord is (the hot path of detect). The schema drops keys it does not name; so
 * does envelopeFields.
 */
export function isCloudTrailEnvelope(value: unknown): value is CloudTrailEnvelope {
  if (!isPlainObject(value)) return false;
  const { detail, source, resources } = value;
  const replayName = value['replay-name'];
  return (
    ENVELOPE_TEXTS.every((key) => typeof value[key] === 'string') &&
    typeof source === 'string' &&
    typeof value['detail-type'] === 'string' &&
    DETAIL_TYPES.has(value['detail-type']) &&
    isEnvelopeTime(value.time) &&
    Array.isArray(resources) &&
    resources.every((resource) => typeof resource === 'string') &&
    (replayName === undefined || typeof replayName === 'string') &&
    isCloudTrailRecord(detail) &&
    source === eventBridgeSourceFor(detail.eventSource)
  );
}

/** An envelope's own fields, as the schema keeps them (without the detail). */
export function envelopeFields(envelope: CloudTrailEnvelope): Omit<CloudTrailEnvelope, 'detail'> {
  const fields: Omit<CloudTrailEnvelope, 'detail'> = {
    version: envelope.version,
    id: envelope.id,
    source: envelope.source,
    account: envelope.account,
    time: envelope.time,
    region: envelope.region,
    resources: envelope.resources,
    'detail-type': envelope['detail-type'],
  };
  if (envelope['replay-name'] !== undefined) fields['replay-name'] = envelope['replay-name'];
  return fields;
}

/** An Insights event as EventBridge delivers it (source `aws.cloudtrail`). */
export const CloudTrailInsightEnvelopeSchema = EventBridgeSchema.extend({
  'detail-type': z.literal('AWS Insight via CloudTrail'),
  detail: CloudTrailInsightSchema,
});

/** EventBridge names a CloudTrail event's source `aws.<service>` after its eventSource host. */
export function eventBridgeSourceFor(eventSource: string): string {
  return `aws.${eventSource.replace(/\.amazonaws\.com$/, '')}`;
}

/** A zod failure as one line: `field userIdentity.type: expected string`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : '(record)';
      return `field ${field}: ${issue.message}`;
    })
    .join('; ');
}
