// Offboarding as a trigger. An HR system, an operator or `revoker offboard` puts our own event
// on the bus; it opens one case per person and account, which skips confirmation (a person
// leaving needs no evidence) and goes straight to revoking everything they hold.
import { z } from 'zod';
import type { CloudTrailRecord } from './cloudtrail.ts';
import type { Severity } from './rules.ts';
import { AccountId, PersonName, Region } from './shapes.ts';
import { credentialIdOf, type Trigger } from './trigger.ts';

export const OFFBOARDING_SOURCE = 'revoker.offboarding';
export const OFFBOARDING_DETAIL_TYPE = 'Person Offboarded';
/** What an escalation or notification about an offboarding is ranked as. */
export const OFFBOARDING_SEVERITY: Severity = 'high';

/** The event's `detail`: who leaves which account, and who says so. */
export const OffboardingDetailSchema = z.strictObject({
  /** IAM user name, source identity or Identity Center user name. */
  person: PersonName,
  accountId: AccountId,
  /** The region whose logs verification reads first (IAM's are in us-east-1). */
  region: Region.default('us-east-1'),
  /** The HR system or operator asking, recorded on the case. */
  requestedBy: z.string().min(1).max(256),
  reason: z.string().max(1024).optional(),
});
export type OffboardingDetail = z.infer<typeof OffboardingDetailSchema>;

/** The EventBridge event, as `PutEvents` delivers it. */
export const OffboardingEventSchema = z.object({
  source: z.literal(OFFBOARDING_SOURCE),
  'detail-type': z.literal(OFFBOARDING_DETAIL_TYPE),
  id: z.string().min(1).max(128),
  time: z.iso.datetime(),
  detail: OffboardingDetailSchema,
});

/** The detect function's EventBridge pattern for it. */
export const OFFBOARDING_EVENT_PATTERN = {
  source: [OFFBOARDING_SOURCE],
  'detail-type': [OFFBOARDING_DETAIL_TYPE],
};

export function isOffboardingEvent(event: unknown): boolean {
  return (event as { source?: unknown } | null)?.source === OFFBOARDING_SOURCE;
}

/** One open case per person and account: a repeated request joins the case already open. */
export function offboardingTrigger(detail: OffboardingDetail, eventId: string | null, at: string): Trigger {
  return {
    credentialId: credentialIdOf(`person:${detail.accountId}:${detail.person}`),
    ruleId: 'person-offboarded',
    eventId,
    eventTime: at,
    eventSource: OFFBOARDING_SOURCE,
    eventName: 'PersonOffboarded',
    region: detail.region,
    sourceIp: null,
    userAgent: null,
    target: {
      kind: 'person',
      accountId: detail.accountId,
      person: detail.person,
      requestedBy: detail.requestedBy,
    },
  };
}

/**
 * Identity Center removing a user: the Identity Store API's DeleteUser, and the console's
 * "disable user access" (sso-directory DisableUser). Only the home region's bus receives them.
 */
const IDENTITY_CENTER_REMOVALS: Record<string, readonly string[]> = {
  'identitystore.amazonaws.com': ['DeleteUser'],
  'sso-directory.amazonaws.com': ['DisableUser', 'DeleteUser'],
};

/** The detect function's EventBridge pattern for them. */
export const IDENTITY_CENTER_REMOVAL_PATTERN = {
  source: ['aws.identitystore', 'aws.sso-directory'],
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: {
    eventSource: Object.keys(IDENTITY_CENTER_REMOVALS),
    eventName: ['DeleteUser', 'DisableUser'],
  },
};

export interface IdentityCenterRemoval {
  identityStoreId: string | null;
  userId: string;
}

const UserId = z
  .string()
  .regex(/^([0-9a-f]{10}-)?[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$/);
const IdentityStoreId = z
  .string()
  .regex(/^d-[0-9a-f]{10}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

/**
 * The user a successful Identity Center removal names; null for any other call; a reason when
 * it is one but names no user revoker can act on.
 */
export function identityCenterRemoval(record: CloudTrailRecord): IdentityCenterRemoval | string | null {
  if (!IDENTITY_CENTER_REMOVALS[record.eventSource]?.includes(record.eventName) || record.errorCode)
    return null;
  const parameters = (record.requestParameters ?? {}) as Record<string, unknown>;
  const userId = UserId.safeParse(parameters.userId);
  if (!userId.success)
    return `${record.eventName} names no Identity Center user ID in requestParameters.userId`;
  const store = IdentityStoreId.safeParse(parameters.identityStoreId);
  return { userId: userId.data, identityStoreId: store.success ? store.data : null };
}
