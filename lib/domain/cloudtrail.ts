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
