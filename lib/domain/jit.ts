// Just-in-time grants: a managed policy attached to a role or user for a while. The grant is a
// case from the start; when it ends, our own scheduled event starts the same state machine,
// which takes the policy away (unless another live grant, or the principal's standing access,
// still gives it) and denies the role sessions the grant let the principal open.
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { Severity } from './rules.ts';
import { AccountId, PolicyArn, Region } from './shapes.ts';
import { credentialIdOf, type Trigger } from './trigger.ts';

export const JIT_SOURCE = 'revoker.jit';
export const JIT_EXPIRY_DETAIL_TYPE = 'Grant Expired';
/** A grant that cannot be ended is a standing privilege nobody asked for: rank it high. */
export const JIT_SEVERITY: Severity = 'high';

/** A role or user ARN as IAM has it: path (at most 512 characters) and name (at most 64). */
export const PrincipalArn = z
  .string()
  .max(700)
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, 'a role or user ARN');

/** Grants last at least a minute and at most a week: longer is standing access, not a grant. */
export const MIN_GRANT_SECONDS = 60;
export const MAX_GRANT_SECONDS = 7 * 86_400;

/**
 * How many grants a principal holds open at once, by who asked for them: more is a loop, not a
 * need. The principal's own person (self-served, or approved for them) holds up to
 * MAX_OWN_OPEN_GRANTS; other people up to MAX_OPEN_GRANTS_PER_REQUESTER each and
 * MAX_OTHERS_OPEN_GRANTS altogether, so no one else's grants (approved as they must be) can use
 * up the principal's own. Together they bound the principal's grant index (one item) and what
 * each grant and end of it reads.
 */
export const MAX_OWN_OPEN_GRANTS = 20;
export const MAX_OPEN_GRANTS_PER_REQUESTER = 5;
export const MAX_OTHERS_OPEN_GRANTS = 20;
export const MAX_OPEN_GRANTS_PER_PRINCIPAL = MAX_OWN_OPEN_GRANTS + MAX_OTHERS_OPEN_GRANTS;

/**
 * The most open grants ending on one day (UTC): one item lists them for the heartbeat, and an
 * item holds 400 KB (about 5,000 entries); past this a grant is refused, never half-made.
 */
export const MAX_GRANTS_ENDING_PER_DAY = 4_000;

export const GrantSchema = z.strictObject({
  grantId: z.string().regex(/^jit-[0-9a-f]{24}$/),
  accountId: AccountId,
  principalArn: PrincipalArn,
  policyArn: PolicyArn,
  grantedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  /** Who asked (and who approved): verified ARNs. */
  requestedBy: z.string().min(1).max(4200),
  reason: z.string().max(1024),
  /** Where verification reads the logs first. */
  region: Region,
  /**
   * The principal held the policy outside any grant when this grant came to attach it (standing
   * access): the grant's end then never detaches it. Null until the grant decides, once it has
   * joined its principal's grants and before it attaches anything: a grant whose end begins
   * still undecided attached nothing, and never will.
   */
  heldBefore: z.boolean().nullable(),
  /**
   * The grant guard attached before the policy and detached after it: the managed policy that
   * denies the grantee revoker's own resources. Null only for grants recorded before there was one.
   */
  guardPolicyArn: PolicyArn.nullable().default(null),
});
export type Grant = z.infer<typeof GrantSchema>;

/**
 * The scheduled event that ends a grant. It names the grant and nothing more is read from it:
 * what to take away, and when, comes from the grant recorded on its case.
 */
export const GrantExpiryEventSchema = z.object({
  source: z.literal(JIT_SOURCE),
  'detail-type': z.literal(JIT_EXPIRY_DETAIL_TYPE),
  id: z.string().min(1).max(128),
  time: z.iso.datetime(),
  detail: z.object({ grantId: GrantSchema.shape.grantId }),
});

export const JIT_EVENT_PATTERN = { source: [JIT_SOURCE], 'detail-type': [JIT_EXPIRY_DETAIL_TYPE] };

export const JIT_REQUEST_DETAIL_TYPE = 'Grant Requested';

/**
 * `Grant Requested` on the bus announces a request made through the operator API (an access
 * tool may put it there too): it names the request, and grants nothing by itself. The grant
 * function finishes a recorded, approved request it names (one an interruption left halfway);
 * anything else is set aside with the reason.
 */
export const GrantAnnouncementSchema = z.object({
  source: z.literal(JIT_SOURCE),
  'detail-type': z.literal(JIT_REQUEST_DETAIL_TYPE),
  id: z.string().min(1).max(128),
  detail: z.strictObject({
    requestId: z.string().regex(/^req-[0-9a-f]{24}$/, 'a request ID (req-…) the operator API recorded'),
  }),
});

/** The grant function's EventBridge pattern. */
export const JIT_REQUEST_PATTERN = { source: [JIT_SOURCE], 'detail-type': [JIT_REQUEST_DETAIL_TYPE] };

export function isGrantExpiryEvent(event: unknown): boolean {
  return (event as { source?: unknown } | null)?.source === JIT_SOURCE;
}

/** A grant's ID: one per request, so a retried grant command names the same grant. */
export function grantIdFor(request: { principalArn: string; policyArn: string; grantedAt: string }): string {
  const hash = createHash('sha256')
    .update(`${request.principalArn}\n${request.policyArn}\n${request.grantedAt}`)
    .digest('hex');
  return `jit-${hash.slice(0, 24)}`;
}

/** The principal a grant names: a role or a user, by name. */
export function grantHolder(grant: Pick<Grant, 'principalArn'>): { kind: 'role' | 'user'; name: string } {
  const resource = grant.principalArn.split(':').at(-1)!;
  return { kind: resource.startsWith('role/') ? 'role' : 'user', name: resource.split('/').at(-1)! };
}

/** Grants of the same policy to the same principal that are live at `now`, other than `grant`. */
export function liveOverlapping(
  grant: Pick<Grant, 'grantId' | 'principalArn' | 'policyArn'>,
  others: readonly Grant[],
  now: Date,
): Grant[] {
  return others
    .filter(
      (other) =>
        other.grantId !== grant.grantId &&
        other.principalArn === grant.principalArn &&
        other.policyArn === grant.policyArn &&
        Date.parse(other.grantedAt) <= now.getTime() &&
        now.getTime() < Date.parse(other.expiresAt),
    )
    .sort((a, b) => (a.expiresAt < b.expiresAt ? 1 : -1));
}

/** The trigger of a grant's case: the grant itself, from its start to its end. */
export function grantTrigger(grant: Grant): Trigger {
  return {
    credentialId: credentialIdOf(`grant:${grant.grantId}`),
    ruleId: 'jit-grant-expired',
    eventId: null,
    eventTime: grant.expiresAt,
    eventSource: JIT_SOURCE,
    eventName: 'GrantExpired',
    region: grant.region,
    sourceIp: null,
    userAgent: null,
    target: {
      kind: 'grant',
      accountId: grant.accountId,
      principalArn: grant.principalArn,
      policyArn: grant.policyArn,
      grantId: grant.grantId,
    },
  };
}

/**
 * Why the policy must stay when this grant ends, or null when it may go: the principal held it
 * before any grant, or another grant of the same policy to the same principal is still live.
 */
export function reasonToKeep(grant: Grant, others: readonly Grant[], now: Date): string | null {
  if (grant.heldBefore)
    return `${grant.principalArn} held ${grant.policyArn} outside any grant before this one`;
  const live = liveOverlapping(grant, others, now);
  if (live.length === 0) return null;
  return `${live.length} other grant${live.length === 1 ? '' : 's'} of ${grant.policyArn} to ${grant.principalArn} still live (the last until ${live[0]!.expiresAt}: ${live[0]!.grantId})`;
}

/**
 * When the principal's uninterrupted hold of the policy began: grants of it that overlapped
 * this one, back to back, extend it. Sessions opened since then were opened under the grants.
 */
export function heldSince(grant: Grant, grants: readonly Grant[]): string {
  let since = grant.grantedAt;
  for (let extended = true; extended; ) {
    extended = false;
    for (const other of grants) {
      if (other.principalArn !== grant.principalArn || other.policyArn !== grant.policyArn) continue;
      if (other.grantedAt < since && other.expiresAt >= since) {
        since = other.grantedAt;
        extended = true;
      }
    }
  }
  return since;
}

/**
 * A just-in-time grant as a person asked for it through the operator API: who asked (the
 * identity AWS verified), what for, and where it stands. Only a recorded request is ever granted.
 */
export const GrantRequestSchema = z.strictObject({
  requestId: z.string().regex(/^req-[0-9a-f]{24}$/),
  /** The requester's ARN, as AWS verified it. */
  requestedBy: z.string().min(1).max(2048),
  requestedAt: z.iso.datetime(),
  principalArn: PrincipalArn,
  policyArn: PolicyArn,
  seconds: z.number().int().min(MIN_GRANT_SECONDS).max(MAX_GRANT_SECONDS),
  reason: z.string().max(1024),
  region: Region,
  /** The group whose member (not the requester) must approve; null: granted when asked. */
  approvers: z.string().nullable(),
  /**
   * `pending` waits for an approver; `approved` is on its way to IAM (a retry finishes it);
   * `granted`; `dry-run` (dry-run mode: recorded, nothing attached); `refused` (by the grant's own checks).
   */
  status: z.enum(['pending', 'approved', 'granted', 'dry-run', 'refused']),
  approvedBy: z.string().nullable(),
  /** When it was approved (or asked for, needing no approval): the grant runs from then. */
  grantAt: z.iso.datetime().nullable(),
  grantId: z.string().nullable(),
  /** Why it was refused when it came to be granted, or null. */
  refusal: z.string().nullable(),
});
export type GrantRequestRecord = z.infer<typeof GrantRequestSchema>;

/** A request's ID: from who asked, for what, and when, so a retried request names the same one. */
export function grantRequestIdFor(request: {
  requestedBy: string;
  principalArn: string;
  policyArn: string;
  requestedAt: string;
}): string {
  const hash = createHash('sha256')
    .update(`${request.requestedBy}\n${request.principalArn}\n${request.policyArn}\n${request.requestedAt}`)
    .digest('hex');
  return `req-${hash.slice(0, 24)}`;
}

/**
 * Which grants hold a principal's grant guard: each grant joins before it attaches the guard and
 * leaves when its end has taken its policy away. The last to leave detaches the guard, so no
 * policy a grant attached is ever left on the principal without it.
 */
export const GuardHoldersSchema = z.object({
  holders: z.array(z.object({ grantId: GrantSchema.shape.grantId, guardPolicyArn: PolicyArn })),
});
export type GuardHolders = z.infer<typeof GuardHoldersSchema>;

type Guarded = Pick<Grant, 'grantId' | 'guardPolicyArn'> & { guardPolicyArn: string };

/** The holders with `grant` among them; null when it already is (nothing to write). */
export function withHolder(current: GuardHolders | null, grant: Guarded): GuardHolders | null {
  const holders = current?.holders ?? [];
  if (holders.some((holder) => holder.grantId === grant.grantId)) return null;
  return { holders: [...holders, { grantId: grant.grantId, guardPolicyArn: grant.guardPolicyArn }] };
}

/** The holders without `grantId`; null when it is not among them. */
export function withoutHolder(current: GuardHolders | null, grantId: string): GuardHolders | null {
  const holders = current?.holders ?? [];
  if (!holders.some((holder) => holder.grantId === grantId)) return null;
  return { holders: holders.filter((holder) => holder.grantId !== grantId) };
}

/** The grants other than `grant` that still hold the same guard. */
export function otherHolders(current: GuardHolders | null, grant: Guarded): string[] {
  return (current?.holders ?? [])
    .filter((holder) => holder.grantId !== grant.grantId && holder.guardPolicyArn === grant.guardPolicyArn)
    .map((holder) => holder.grantId);
}

/**
 * The grants whose end has not started yet, with when each is due: the heartbeat reads these to
 * find a grant whose schedule was deleted or never fired. One document per day the grants end
 * on (and one, older, for every grant), so none grows without bound.
 */
export const OpenGrantsSchema = z.object({
  grants: z.array(
    z.object({
      grantId: GrantSchema.shape.grantId,
      expiresAt: z.iso.datetime(),
      /** When the grant listed itself (before its case exists); absent for entries listed before this was kept. */
      listedAt: z.iso.datetime().optional(),
    }),
  ),
});
export type OpenGrants = z.infer<typeof OpenGrantsSchema>;

/** The day (UTC, `2026-01-15`) whose document lists an open grant: the day it ends. */
export function endDayOf(grant: Pick<Grant, 'expiresAt'>): string {
  return grant.expiresAt.slice(0, 10);
}

/** The earliest day whose open grants the heartbeat still reads (days before it list none). */
export const OpenGrantsFromSchema = z.object({ day: z.iso.date() });

/**
 * A principal's grants, for the grant and the end of each: the grants not yet ended (an end
 * takes its own out), and for a grant that another's end left the policy to, when the
 * principal's uninterrupted hold of it began (sessions since then were opened under grants).
 */
export const GrantIndexSchema = z.object({
  grantIds: z.array(GrantSchema.shape.grantId),
  heldSince: z.record(z.string(), z.iso.datetime()).default({}),
  /** Who asked for each grant, as a person (see `personOf`); a grant missing here counts as someone else's. */
  requesters: z.record(z.string(), z.string()).default({}),
});
export type GrantIndex = z.infer<typeof GrantIndexSchema>;

/**
 * The person a principal is, as `personOf` names a caller: a user by its name (whatever its
 * path), a role by its ARN without its path. A grant asked for by this person is the principal's own.
 */
export function personOfPrincipal(principalArn: string): string {
  const [, partition = 'aws', , , account = ''] = principalArn.split(':');
  const holder = grantHolder({ principalArn });
  return holder.kind === 'user'
    ? `person:${holder.name.toLowerCase()}`
    : `arn:${partition}:iam::${account}:role/${holder.name}`.toLowerCase();
}

/**
 * Why the principal's index takes no more grants asked for by `requester` (a person; null:
 * unknown, counted as someone else), or null when it takes this one. See MAX_OWN_OPEN_GRANTS.
 */
export function grantCapRefusal(
  index: Pick<GrantIndex, 'grantIds' | 'requesters'>,
  principalArn: string,
  requester: string | null,
): string | null {
  const own = personOfPrincipal(principalArn);
  const by = (id: string) => index.requesters[id] ?? null;
  if (requester === own) {
    const held = index.grantIds.filter((id) => by(id) === own).length;
    return held >= MAX_OWN_OPEN_GRANTS
      ? `${principalArn} already holds ${held} open grants its own person asked for, the most it may (${MAX_OWN_OPEN_GRANTS}): ask again when one has ended`
      : null;
  }
  const mine = requester === null ? 0 : index.grantIds.filter((id) => by(id) === requester).length;
  if (mine >= MAX_OPEN_GRANTS_PER_REQUESTER)
    return `${principalArn} already holds ${mine} open grants you asked for, the most one other person may ask for (${MAX_OPEN_GRANTS_PER_REQUESTER}): ask again when one has ended`;
  const others = index.grantIds.filter((id) => by(id) !== own).length;
  return others >= MAX_OTHERS_OPEN_GRANTS
    ? `${principalArn} already holds ${others} open grants other people asked for, the most it may (${MAX_OTHERS_OPEN_GRANTS}): ask again when one has ended (its own person's grants are counted apart)`
    : null;
}

/**
 * How long an open grant's entry may list a grant whose case does not exist yet: a grant lists
 * itself, then opens its case (a retry may do so long after its end). Past this lease, an entry
 * with no case is a grant that stopped before opening it, and is forgotten.
 */
export const OPEN_GRANT_LEASE_MS = 15 * 60_000;

/** An entry with no case yet may be forgotten: listed longer than OPEN_GRANT_LEASE_MS ago (or before listings were timed). */
export function pastLease(entry: OpenGrants['grants'][number], now: Date): boolean {
  return entry.listedAt === undefined || Date.parse(entry.listedAt) + OPEN_GRANT_LEASE_MS <= now.getTime();
}

/** The open grants due at `now` that their schedule should have ended `graceMs` ago already. */
export function overdueGrants(open: OpenGrants | null, now: Date, graceMs: number): string[] {
  return (open?.grants ?? [])
    .filter((entry) => Date.parse(entry.expiresAt) + graceMs <= now.getTime())
    .map((entry) => entry.grantId);
}
