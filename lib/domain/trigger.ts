// A trigger: the call that opened a case, with the facts later steps need, validated once.
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { type CloudTrailRecord, describeIssues } from './cloudtrail.ts';
import type { Principal } from './principal.ts';
import type { DetectionRule } from './rules.ts';
import { AccountId, Arn, PersonName, PolicyArn, Region, RoleArn } from './shapes.ts';

const RoleSessionTargetSchema = z.object({
  kind: z.literal('assumed-role'),
  accountId: AccountId,
  roleArn: RoleArn,
  roleName: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'a role name'),
  sessionName: z.string().nullable(),
  accessKeyId: z.string().nullable(),
  sessionIssuedAt: z.string().nullable(),
  /** `aws:userid` of the session, and its source identity: to deny this session alone. */
  sessionUserId: z.string().nullable().default(null),
  sourceIdentity: z.string().nullable().default(null),
});

const IamUserTargetSchema = z.object({
  kind: z.literal('iam-user'),
  accountId: AccountId,
  userArn: Arn,
  userName: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'a user name'),
  accessKeyId: z.string().nullable(),
});

const RootTargetSchema = z.object({ kind: z.literal('root'), accountId: AccountId, arn: Arn });

/** A person being offboarded: everything they hold, whatever principal it is. */
const PersonTargetSchema = z.object({
  kind: z.literal('person'),
  accountId: AccountId,
  /** Their IAM user name, source identity or Identity Center user name. */
  person: PersonName,
  /** Who asked: the verified caller's ARN through the operator API, or what Identity Center did. */
  requestedBy: z.string().min(1).max(2048),
});

/** A just-in-time grant reaching its end: the policy it attached to a role or user. */
const GrantTargetSchema = z.object({
  kind: z.literal('grant'),
  accountId: AccountId,
  principalArn: Arn,
  policyArn: PolicyArn,
  grantId: z.string().min(1),
});

/** A role whose policies are to be replaced by a refined one (`revoker refine --apply`). */
const RefinementTargetSchema = z.object({
  kind: z.literal('refinement'),
  accountId: AccountId,
  principalArn: RoleArn,
  roleName: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'a role name'),
});

/** Whose access the case is about. */
export const TriggerTargetSchema = z.discriminatedUnion('kind', [
  RoleSessionTargetSchema,
  IamUserTargetSchema,
  RootTargetSchema,
  PersonTargetSchema,
  GrantTargetSchema,
  RefinementTargetSchema,
]);
export type TriggerTarget = z.infer<typeof TriggerTargetSchema>;

/**
 * The ARN the runbooks and guard rails judge: the role (for all its sessions), the user, root.
 * A person being offboarded is a name, not one principal: offboarding finds their principals.
 */
export function principalArnOf(target: TriggerTarget): string {
  switch (target.kind) {
    case 'assumed-role':
      return target.roleArn;
    case 'iam-user':
      return target.userArn;
    case 'root':
      return target.arn;
    case 'person':
      return target.person;
    case 'grant':
    case 'refinement':
      return target.principalArn;
  }
}

/**
 * The principal under revocation as an IAM ARN, for telling whether an approver is it: the
 * role (every session of it), the user, root; for a person being offboarded, their IAM user in
 * the account (the name offboarding revokes by); for a grant, the role or user it was given to.
 * Only an approver whose own identity is an ARN naming this principal is refused (see
 * `isSelfApproval`): session and user names are chosen by whoever holds the credentials.
 */
export function revokedPrincipalArnOf(target: TriggerTarget): string {
  switch (target.kind) {
    case 'assumed-role':
      return target.roleArn;
    case 'iam-user':
      return target.userArn;
    case 'root':
      return target.arn;
    case 'person':
      return `arn:aws:iam::${target.accountId}:user/${target.person}`;
    case 'grant':
    case 'refinement':
      return target.principalArn;
  }
}

/** What an approved refinement puts in place of the role's policies, and the proof it was made with. */
export const RefinementSchema = z.object({
  /** The refined policy, as one inline policy (name and JSON text). */
  policyName: z.string().regex(/^[\w+=,.@-]{1,128}$/, 'an inline policy name'),
  document: z.string().min(1).max(10_240),
  /** The window of calls it was refined from, and its proof over them. */
  window: z.object({ start: z.iso.datetime(), end: z.iso.datetime() }),
  proof: z.object({
    calls: z.number().int().min(0),
    resources: z.number().int().min(0),
    refused: z.literal(0),
  }),
  /** How long after the change access-denied errors are watched for. */
  watchMinutes: z.number().int().min(1).max(10_080),
  /** The role's own policies when it was proved (by digest): apply refuses if they changed since. */
  basis: z.object({ inline: z.record(z.string(), z.string()), attached: z.array(z.string()) }),
  /** Who asked for it. */
  requestedBy: z.string().min(1).max(2048),
});
export type Refinement = z.infer<typeof RefinementSchema>;

export const TriggerSchema = z.object({
  /**
   * The credential the call was made with (see `credentialIdOf`): every call by it, whatever
   * rule it trips, belongs to the credential's one open case.
   */
  credentialId: z.string().min(1),
  ruleId: z.string(),
  eventId: z.string().nullable(),
  eventTime: z.iso.datetime(),
  eventSource: z.string(),
  eventName: z.string(),
  region: Region,
  sourceIp: z.string().nullable(),
  userAgent: z.string().nullable(),
  target: TriggerTargetSchema,
  /**
   * A GuardDuty or Security Hub finding that opened or raised the case (lib/domain/findings.ts):
   * then `ruleId` is `<product>:<type>` and `eventId` the finding's ID; `eventSource` and
   * `eventName` are the call the finding observed when it names one, else the product and type.
   */
  finding: z
    .object({
      product: z.enum(['guardduty', 'securityhub']),
      id: z.string().min(1),
      type: z.string().min(1),
      /** As the product gave it: GuardDuty's number, or the ASFF label. */
      severity: z.string(),
      /** That severity in revoker's terms. */
      level: z.enum(['low', 'medium', 'high', 'critical']),
      title: z.string().nullable(),
    })
    .optional(),
  /** A refinement's policy and proof (`revoker refine --apply`): then the target is the role. */
  refinement: RefinementSchema.optional(),
});
export type Trigger = z.infer<typeof TriggerSchema>;

/** A rule matched, but the record lacks what a case needs (account, region, role...). */
export class InvalidTriggerError extends Error {
  override name = 'InvalidTriggerError';
}

/**
 * The credential a case is about, as a short digest: the access key when the call carries
 * one; else the role session, the user, or root of the account; for offboarding the person in
 * the account; for a just-in-time grant the grant.
 */
export function credentialIdOf(credential: string): string {
  return createHash('sha256').update(credential).digest('hex').slice(0, 32);
}

/** Build the trigger for a rule match. */
export function buildTrigger(rule: DetectionRule, record: CloudTrailRecord, principal: Principal): Trigger {
  const target = targetOf(principal);
  if (typeof target === 'string') {
    throw new InvalidTriggerError(
      `rule ${rule.id} matched ${target}; revoker opens cases for role sessions, IAM users and root`,
    );
  }
  const credential =
    principal.accessKeyId ??
    (principal.kind === 'assumed-role'
      ? `${principal.roleArn}/${principal.sessionName ?? ''}`
      : JSON.stringify(target));
  const trigger = TriggerSchema.safeParse({
    credentialId: credentialIdOf(credential),
    ruleId: rule.id,
    eventId: record.eventID ?? null,
    eventTime: record.eventTime,
    eventSource: record.eventSource,
    eventName: record.eventName,
    region: record.awsRegion,
    sourceIp: record.sourceIPAddress ?? null,
    userAgent: record.userAgent ?? null,
    target,
  });
  if (!trigger.success) {
    throw new InvalidTriggerError(
      `rule ${rule.id} matched, but the record cannot open a case: ${describeIssues(trigger.error)}`,
    );
  }
  return trigger.data;
}

/** The case's target for a principal, or what it is when no case can be opened for it. */
function targetOf(principal: Principal): Record<string, unknown> | string {
  switch (principal.kind) {
    case 'assumed-role':
      return {
        kind: 'assumed-role',
        accountId: principal.accountId,
        roleArn: principal.roleArn,
        roleName: principal.roleName,
        sessionName: principal.sessionName,
        accessKeyId: principal.accessKeyId,
        sessionIssuedAt: principal.sessionIssuedAt,
        sessionUserId: principal.sessionUserId,
        sourceIdentity: principal.sourceIdentity,
      };
    case 'iam-user':
      return {
        kind: 'iam-user',
        accountId: principal.accountId,
        userArn: principal.arn,
        userName: principal.userName,
        accessKeyId: principal.accessKeyId,
      };
    case 'root':
      return { kind: 'root', accountId: principal.accountId, arn: principal.arn };
    default:
      return `a call by a principal of kind ${principal.kind}`;
  }
}
