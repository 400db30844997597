// Offboarding as a trigger. A person is offboarded when someone in access.offboarders asks
// through the operator API (an HR system's role, a responder: the verified caller is recorded
// as the requester), or when Identity Center removes the user (AWS's own event). Either opens
// one case per person and account, which skips confirmation (a person leaving needs no
// evidence) and goes straight to revoking everything they hold. Our own `Person Offboarded`
// bus event only announces: anyone who may put events on the bus can send one, so it offboards
// no one and is set aside with the reason.
import * as z from 'zod';
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
  /** Who asks, recorded on the case: the verified caller through the operator API. */
  requestedBy: z.string().min(1).max(2048),
  reason: z.string().max(1024).optional(),
  /** The second offboarder, verified, when the person is one of revoker's operators. */
  confirmedBy: z.string().min(1).max(2048).optional(),
});
export type OffboardingDetail = z.infer<typeof OffboardingDetailSchema>;

/** The EventBridge event, as `PutEvents` delivers it: read only to say why it is set aside. */
export const OffboardingEventSchema = z.object({
  source: z.literal(OFFBOARDING_SOURCE),
  'detail-type': z.literal(OFFBOARDING_DETAIL_TYPE),
  id: z.string().min(1).max(128),
  time: z.iso.datetime(),
  detail: OffboardingDetailSchema,
});

/** The detect function's EventBridge pattern for it: such events reach the dead letters, not the void. */
export const OFFBOARDING_EVENT_PATTERN = {
  source: [OFFBOARDING_SOURCE],
  'detail-type': [OFFBOARDING_DETAIL_TYPE],
};

export function isOffboardingEvent(event: unknown): boolean {
  return (event as { source?: unknown } | null)?.source === OFFBOARDING_SOURCE;
}

/**
 * Why a `Person Offboarded` event offboards no one, with what it claims (as a claim) and how to
 * ask instead.
 */
export function offboardsNoOne(detail: OffboardingDetail): string {
  const why = detail.reason ? ` because ${JSON.stringify(detail.reason)}` : '';
  return `a ${OFFBOARDING_DETAIL_TYPE} event offboards no one: anyone who may put events on the bus can send one. This one claims, unverified, that ${JSON.stringify(detail.requestedBy)} asks to offboard ${detail.person} from ${detail.accountId}${why}. If that is so, ask through the operator API as an identity in access.offboarders: POST /offboard, or revoker offboard --user ${detail.person} --account ${detail.accountId} --reason TEXT --deployed URL`;
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
// A Map: eventSource is the caller's word, and `constructor` must not find Object's.
const IDENTITY_CENTER_REMOVALS: ReadonlyMap<string, readonly string[]> = new Map([
  ['identitystore.amazonaws.com', ['DeleteUser']],
  ['sso-directory.amazonaws.com', ['DisableUser', 'DeleteUser']],
]);

/** The detect function's EventBridge pattern for them. */
export const IDENTITY_CENTER_REMOVAL_PATTERN = {
  source: ['aws.identitystore', 'aws.sso-directory'],
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: {
    eventSource: [...IDENTITY_CENTER_REMOVALS.keys()],
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
  if (!IDENTITY_CENTER_REMOVALS.get(record.eventSource)?.includes(record.eventName) || record.errorCode)
    return null;
  const parameters = (record.requestParameters ?? {}) as Record<string, unknown>;
  const userId = UserId.safeParse(parameters.userId);
  if (!userId.success)
    return `${record.eventName} names no Identity Center user ID in requestParameters.userId`;
  const store = IdentityStoreId.safeParse(parameters.identityStoreId);
  return { userId: userId.data, identityStoreId: store.success ? store.data : null };
}
