// Who may do what through the operator API: groups of identities, and what each group may
// do — request which just-in-time grants (for which principals, accounts, how long, approved by
// whom), approve which severities, run which runbooks on which accounts, read the audit log.
// Identities are the caller's IAM ARN as AWS verified it from the request's SigV4 signature;
// nothing here reads a name the caller chose. Every decision comes with its reason in words.

import * as z from 'zod';
import { isSelfApproval } from './approval.ts';
import { accountOfArn } from './arn.ts';
import { AccountId, PolicyArn } from './shapes.ts';
import { Duration, durationSeconds } from './time.ts';

const GroupName = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'a group name such as responders');
/** `*` matches any run of characters; everything else is literal. */
const IdentityPattern = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:iam::(\d{12}|\*):[^\s]+$/,
    'an IAM ARN pattern such as arn:aws:iam::*:role/AWSReservedSSO_Responder_*',
  );
const PrincipalPattern = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::(\d{12}|\*):(role|user)\/[^\s]+$/, 'a role or user ARN pattern');
const AccountTag = z.string().regex(/^[\w.:/+@-]{1,128}=[\w.:/+@ -]{0,256}$/, 'a tag such as env=prod');
/** An account ID, an account tag (`env=prod`), or `*` for every account. */
const AccountSelector = z.union([AccountId, AccountTag, z.literal('*')]);
const Severity = z.enum(['low', 'medium', 'high', 'critical']);

export const AccessSchema = z
  .strictObject({
    /** Named groups of identities: IAM ARN patterns the caller's verified ARN must match. */
    groups: z.record(GroupName, z.array(IdentityPattern).min(1)),
    /** Tags per account (`env=prod`): a rule may name accounts by tag. */
    accountTags: z.record(AccountId, z.array(AccountTag)).default({}),
    /** Just-in-time grants: who may ask for which policies on which principals, and who must approve. */
    grants: z
      .array(
        z.strictObject({
          group: GroupName,
          policies: z.array(PolicyArn).min(1),
          principals: z.array(PrincipalPattern).min(1),
          accounts: z.array(AccountSelector).min(1),
          /** The longest grant this rule allows (at most 7 days). */
          maxDuration: Duration.refine((text) => durationSeconds(text) <= 7 * 86_400, 'at most 7d'),
          /**
           * A member of this group, other than the requester, must approve; null: granted at once,
           * and only to the requester's own principal (see `mayRequestGrant`).
           */
          approvers: GroupName.nullable(),
        }),
      )
      .default([]),
    /** Who may answer escalated cases through the operator API, by the case's severity. */
    approvals: z
      .array(z.strictObject({ group: GroupName, severities: z.array(Severity).min(1) }))
      .default([]),
    /** Who may run which runbooks (IDs, or `*`) on which accounts. */
    runbooks: z
      .array(
        z.strictObject({
          group: GroupName,
          runbooks: z.array(z.string().regex(/^(\*|[a-z][a-z0-9-]*)$/)).min(1),
          accounts: z.array(AccountSelector).min(1),
        }),
      )
      .default([]),
    /** Who may ask for a role's policies to be refined (an approver from the escalation path still decides). */
    refinements: z
      .array(
        z.strictObject({
          group: GroupName,
          principals: z.array(PrincipalPattern).min(1),
          accounts: z.array(AccountSelector).min(1),
        }),
      )
      .default([]),
    /** Who may read the audit log. */
    auditors: z.array(GroupName).default([]),
    /** A request waiting for approval longer than this can no longer be approved (at most 7 days). */
    pendingRequestsExpireAfter: Duration.refine(
      (text) => durationSeconds(text) <= 7 * 86_400,
      'at most 7d',
    ).default('24h'),
    /** Who may offboard a person (an HR system's role, the responders): never themselves. */
    offboarders: z.array(GroupName).default([]),
    /** More offboardings than this by one person within an hour each need a second offboarder. */
    offboardingsPerHour: z.number().int().min(1).max(10_000).default(10),
    /** Runbook runs by one person within an hour above this raise an alarm (they are not refused). */
    runbookRunsPerHour: z.number().int().min(1).max(10_000),
  })
  .superRefine((access, context) => {
    const known = new Set(Object.keys(access.groups));
    const check = (group: string | null, path: (string | number)[]) => {
      if (group !== null && !known.has(group))
        context.addIssue({
          code: 'custom',
          path,
          message: `no group ${JSON.stringify(group)} in access.groups`,
        });
    };
    access.grants.forEach((rule, index) => {
      check(rule.group, ['grants', index, 'group']);
      check(rule.approvers, ['grants', index, 'approvers']);
    });
    access.approvals.forEach((rule, index) => {
      check(rule.group, ['approvals', index, 'group']);
    });
    access.runbooks.forEach((rule, index) => {
      check(rule.group, ['runbooks', index, 'group']);
    });
    access.auditors.forEach((group, index) => {
      check(group, ['auditors', index]);
    });
    access.offboarders.forEach((group, index) => {
      check(group, ['offboarders', index]);
    });
  });
export type Access = z.infer<typeof AccessSchema>;

/** The caller as AWS verified them: their ARN, and what it names. */
export interface Caller {
  /** As AWS reports it: a user ARN, or an assumed role's STS ARN with the session name. */
  arn: string;
  accountId: string;
  /** The IAM principal: the user, or the role (as `arn:aws:iam::ACCOUNT:role/NAME`, without its path). */
  principalArn: string;
  /** For a role session: its name (for an Identity Center role, the person's user name, set by AWS). */
  sessionName: string | null;
  /**
   * A session of an IAM Identity Center role (named `AWSReservedSSO_…`): its session name is
   * the person. The operator API admits such a caller only once IAM confirms the role is
   * Identity Center's (under `/aws-reserved/sso.amazonaws.com/`), not one merely named so.
   */
  identityCenter: boolean;
}

export class CallerError extends Error {
  override name = 'CallerError';
}

const IDENTITY_CENTER_ROLE = /^AWSReservedSSO_/;

/** Read a verified caller ARN: an IAM user, an assumed-role session, or root. */
export function callerOf(arn: string): Caller {
  const user = /^arn:(aws[a-z-]*):iam::(\d{12}):(user\/[\w+=,.@/-]+|root)$/.exec(arn);
  if (user) return { arn, accountId: user[2]!, principalArn: arn, sessionName: null, identityCenter: false };
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/([\w+=,.@-]+)$/.exec(arn);
  if (session) {
    const [, partition, accountId, role, name] = session;
    return {
      arn,
      accountId: accountId!,
      principalArn: `arn:${partition}:iam::${accountId}:role/${role}`,
      sessionName: name!,
      identityCenter: IDENTITY_CENTER_ROLE.test(role!),
    };
  }
  throw new CallerError(`${arn.slice(0, 200)} is not an IAM user or role session ARN`);
}

/** The role name of a role session caller (null for a user or root). */
export function callerRoleName(caller: Caller): string | null {
  return caller.sessionName === null ? null : (caller.principalArn.split('/').at(-1) ?? null);
}

/**
 * The person behind a caller, by name: an Identity Center session's name (the person's user
 * name, set by AWS) whatever permission set or account they came through, and an IAM user's
 * name — one name is one person, whichever way they sign in. A session of any other role is its
 * role: its session names are its caller's to choose, so all of them count as one person. IAM
 * names ignore case, so this does too.
 */
export function personOf(caller: Caller): string {
  if (caller.identityCenter) return `person:${caller.sessionName!.toLowerCase()}`;
  const user = userNameOf(caller.principalArn);
  return user === null ? caller.principalArn.toLowerCase() : `person:${user.toLowerCase()}`;
}

/** The user name an IAM user ARN names (whatever its path), or null. */
export function userNameOf(arn: string): string | null {
  return /^arn:aws[a-z-]*:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1] ?? null;
}

function matches(value: string, pattern: string): boolean {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`).test(value);
}

/**
 * The groups a caller belongs to. A pattern matches the caller's IAM principal (the user, or
 * the role without its path) or, for a role session, the full STS ARN (to name one session).
 */
export function groupsOf(caller: Caller, access: Access): string[] {
  return Object.entries(access.groups)
    .filter(([, patterns]) =>
      patterns.some((pattern) => matches(caller.principalArn, pattern) || matches(caller.arn, pattern)),
    )
    .map(([group]) => group);
}

function accountSelected(accountId: string, selectors: readonly string[], access: Access): boolean {
  const tags = access.accountTags[accountId] ?? [];
  return selectors.some((selector) => selector === '*' || selector === accountId || tags.includes(selector));
}

export type Verdict<T = object> = ({ allowed: true } & T) | { allowed: false; reason: string };

export interface GrantAsk {
  principalArn: string;
  policyArn: string;
  seconds: number;
}

/**
 * Is the principal the caller's own: the caller's user or role (see `isSelfApproval`), or a user
 * of the caller's name (one name is one person, see `personOf`)?
 */
export function isOwnPrincipal(caller: Caller, principalArn: string): boolean {
  const grantee = userNameOf(principalArn);
  return (
    isSelfApproval(caller.arn, principalArn) ||
    (grantee !== null && personOf(caller) === `person:${grantee.toLowerCase()}`)
  );
}

/**
 * May the caller ask for this grant? Allowed by the first rule of one of their groups that
 * covers the policy, the principal, its account and the duration; it says who must approve.
 * A rule that needs no approval covers the caller's own principal only: a grant puts the grant
 * guard on its grantee, which stops them assuming any role not tagged `revoker:guarded=true`
 * for as long as it lasts, so a grant to someone else always waits for the rule's approvers.
 */
export function mayRequestGrant(
  caller: Caller,
  ask: GrantAsk,
  access: Access,
): Verdict<{ approvers: string | null }> {
  const groups = groupsOf(caller, access);
  if (groups.length === 0) return { allowed: false, reason: `${caller.arn} is in no group of access.groups` };
  const accountId = accountOfArn(ask.principalArn) ?? '';
  const mine = access.grants
    .map((rule, index) => ({ rule, name: `grants[${index}] (${rule.group})` }))
    .filter(({ rule }) => groups.includes(rule.group));
  if (mine.length === 0)
    return { allowed: false, reason: `no grant rule names a group of ${caller.arn} (${groups.join(', ')})` };
  const reasons: string[] = [];
  for (const { rule, name } of mine) {
    if (!rule.policies.includes(ask.policyArn))
      reasons.push(`${name}: ${ask.policyArn} is not among its policies`);
    else if (!rule.principals.some((pattern) => matches(ask.principalArn, pattern)))
      reasons.push(`${name}: ${ask.principalArn} is not among its principals`);
    else if (!accountSelected(accountId, rule.accounts, access))
      reasons.push(`${name}: account ${accountId} is not among its accounts`);
    else if (ask.seconds > durationSeconds(rule.maxDuration))
      reasons.push(`${name}: at most ${rule.maxDuration}`);
    else if (rule.approvers === null && !isOwnPrincipal(caller, ask.principalArn))
      reasons.push(
        `${name}: it needs no approval, so it grants only to your own principal; a grant to ${ask.principalArn} needs a rule whose approvers approve it`,
      );
    else return { allowed: true, approvers: rule.approvers };
  }
  return { allowed: false, reason: reasons.join('; ') };
}

/** A grant rule, named as `mayRequestGrant` names it in its reasons. */
export interface NamedGrantRule {
  /** `grants[1] (engineers)`. */
  name: string;
  rule: Access['grants'][number];
}

/**
 * The grant rules under which someone could ask for a grant to this principal: those whose
 * principals and accounts cover it, whoever asks (whether the asker is in the rule's group, and
 * whether a rule without approvers makes it their own principal, is for `mayRequestGrant`).
 */
export function grantRulesCovering(principalArn: string, access: Access): NamedGrantRule[] {
  const accountId = accountOfArn(principalArn) ?? '';
  return access.grants
    .map((rule, index) => ({ rule, name: `grants[${index}] (${rule.group})` }))
    .filter(
      ({ rule }) =>
        rule.principals.some((pattern) => matches(principalArn, pattern)) &&
        accountSelected(accountId, rule.accounts, access),
    );
}

/** Are two callers the same person? See `personOf`. */
export function samePerson(a: Caller, b: Caller): boolean {
  return personOf(a) === personOf(b);
}

/**
 * Is the caller one of these approvers (emails or IAM ARNs, as an account's own `approvers`
 * name them)? An ARN names exactly one principal: the caller's user or role ARN, or its session
 * ARN. Anything else (an email) names an Identity Center user, by the user name AWS sets as the
 * session name of a role IAM confirmed as Identity Center's — never a session name chosen freely.
 */
export function isNamedApprover(caller: Caller, approvers: readonly string[]): boolean {
  const names = new Set([caller.arn, caller.principalArn].map((name) => name.toLowerCase()));
  return approvers.some((approver) => {
    const named = approver.toLowerCase();
    if (named.startsWith('arn:')) return names.has(named);
    return caller.identityCenter && caller.sessionName?.toLowerCase() === named;
  });
}

/**
 * May the caller approve a grant the requester asked for, under a rule needing `approvers`?
 * Never the requester (as a person: see `personOf`), and never the principal to be granted.
 */
export function mayApproveGrant(
  caller: Caller,
  request: { requester: Caller; principalArn: string },
  approvers: string,
  access: Access,
): Verdict {
  if (samePerson(caller, request.requester))
    return { allowed: false, reason: `${caller.arn} asked for this grant: someone else must approve it` };
  if (isOwnPrincipal(caller, request.principalArn))
    return {
      allowed: false,
      reason: `${caller.arn} is ${request.principalArn}, the principal to be granted: someone else must approve it`,
    };
  if (!groupsOf(caller, access).includes(approvers))
    return {
      allowed: false,
      reason: `${caller.arn} is not in ${approvers}, the group that approves this grant`,
    };
  return { allowed: true };
}

/** May the caller answer an escalated case of this severity through the operator API? */
export function mayAnswerCase(caller: Caller, severity: z.infer<typeof Severity>, access: Access): Verdict {
  const groups = groupsOf(caller, access);
  const rule = access.approvals.find(
    (candidate) => groups.includes(candidate.group) && candidate.severities.includes(severity),
  );
  return rule
    ? { allowed: true }
    : { allowed: false, reason: `${caller.arn} may not answer ${severity} cases (access.approvals)` };
}

/** May the caller run this runbook on this account? */
export function mayRunRunbook(caller: Caller, runbookId: string, accountId: string, access: Access): Verdict {
  const groups = groupsOf(caller, access);
  const rule = access.runbooks.find(
    (candidate) =>
      groups.includes(candidate.group) &&
      (candidate.runbooks.includes('*') || candidate.runbooks.includes(runbookId)) &&
      accountSelected(accountId, candidate.accounts, access),
  );
  return rule
    ? { allowed: true }
    : {
        allowed: false,
        reason: `${caller.arn} may not run ${runbookId} on account ${accountId} (access.runbooks)`,
      };
}

/** May the caller ask for this role's policies to be replaced by a refined one? Approval is another person's. */
export function mayAskRefinement(caller: Caller, principalArn: string, access: Access): Verdict {
  const groups = groupsOf(caller, access);
  const accountId = accountOfArn(principalArn) ?? '';
  const rule = access.refinements.find(
    (candidate) =>
      groups.includes(candidate.group) &&
      candidate.principals.some((pattern) => matches(principalArn, pattern)) &&
      accountSelected(accountId, candidate.accounts, access),
  );
  return rule
    ? { allowed: true }
    : { allowed: false, reason: `${caller.arn} may not ask to refine ${principalArn} (access.refinements)` };
}

export function mayReadAudit(caller: Caller, access: Access): Verdict {
  const groups = groupsOf(caller, access);
  return access.auditors.some((group) => groups.includes(group))
    ? { allowed: true }
    : { allowed: false, reason: `${caller.arn} is not in a group of access.auditors` };
}

/** Every policy some grant rule lets someone ask for: the grant function may attach only these. */
export function grantablePolicies(access: Access): string[] {
  return [...new Set(access.grants.flatMap((rule) => rule.policies))].sort();
}

/** The names a caller goes by: their user name, or their role session's name. */
function namesOf(caller: Caller): string[] {
  const user = /:user\/(?:.*\/)?([^/]+)$/.exec(caller.principalArn)?.[1];
  return [user, caller.sessionName ?? undefined]
    .filter((name): name is string => name !== undefined)
    .map((name) => name.toLowerCase());
}

/**
 * The groups of access.groups that name a person: a pattern matches their IAM user in the
 * account, or names a role session by their name (Identity Center sets it to the user name).
 * IAM names ignore case, so this does too. Membership through a role pattern alone (a
 * permission set anyone assigned to it may use) cannot be read from a name.
 */
export function groupsNaming(person: string, accountId: string, access: Access): string[] {
  const name = person.toLowerCase();
  const user = `arn:aws:iam::${accountId}:user/${name}`;
  const names = (pattern: string) => {
    const lowered = pattern.toLowerCase().replace(/^arn:aws[a-z-]*:/, 'arn:aws:');
    if (matches(user, lowered)) return true;
    // A user is named by its name whatever its path (`user/responders/oncall`): IAM finds it so.
    const users = /^arn:aws:iam::(\d{12}|\*):user\/(.+)$/.exec(lowered);
    if (users && matches(accountId, users[1]!) && matches(name, users[2]!.split('/').at(-1)!)) return true;
    const session = /^arn:aws:sts::(\d{12}|\*):assumed-role\/[^/]+\/([^/]+)$/.exec(lowered);
    return (
      session !== null && session[2] !== '*' && matches(accountId, session[1]!) && matches(name, session[2]!)
    );
  };
  return Object.entries(access.groups)
    .filter(([, patterns]) => patterns.some(names))
    .map(([group]) => group);
}

/**
 * May the caller offboard `person` from `accountId`? A member of an offboarders group, and
 * never themselves: a stolen credential must not lock its owner out. `namedIn` lists the groups
 * that name the person: offboarding one of revoker's own operators needs a second offboarder.
 */
export function mayOffboard(
  caller: Caller,
  person: string,
  accountId: string,
  access: Access,
): Verdict<{ namedIn: string[] }> {
  const groups = groupsOf(caller, access);
  if (!access.offboarders.some((group) => groups.includes(group)))
    return { allowed: false, reason: `${caller.arn} is not in a group of access.offboarders` };
  if (namesOf(caller).includes(person.toLowerCase()))
    return {
      allowed: false,
      reason: `${caller.arn} is ${person}: nobody offboards themselves; another offboarder must`,
    };
  return { allowed: true, namedIn: groupsNaming(person, accountId, access) };
}
