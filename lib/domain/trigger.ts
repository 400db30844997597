// A trigger: the call that opened a case, with the facts later steps need, validated once.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type CloudTrailRecord, describeIssues } from './cloudtrail.ts';
import type { Principal } from './principal.ts';
import type { DetectionRule } from './rules.ts';
import { AccountId, Region, RoleArn } from './shapes.ts';

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

export const TriggerSchema = z.object({
  /** Identifies the case: the same rule on the same credentials is one case. */
  triggerId: z.string(),
  ruleId: z.string(),
  eventId: z.string().nullable(),
  eventTime: z.iso.datetime(),
  eventSource: z.string(),
  eventName: z.string(),
  region: Region,
  sourceIp: z.string().nullable(),
  userAgent: z.string().nullable(),
  target: RoleSessionTargetSchema,
});
export type Trigger = z.infer<typeof TriggerSchema>;

/** A rule matched, but the record lacks what a case needs (account, region, role...). */
export class InvalidTriggerError extends Error {
  override name = 'InvalidTriggerError';
}

/**
 * Build the trigger for a rule match. The trigger ID hashes the rule and the credential
 * (access key, else session), so duplicate and re-ordered deliveries of the same compromise
 * map to one case and one execution name.
 */
export function buildTrigger(rule: DetectionRule, record: CloudTrailRecord, principal: Principal): Trigger {
  if (principal.kind !== 'assumed-role') {
    throw new InvalidTriggerError(
      `rule ${rule.id} matched a ${principal.kind}; only role sessions are handled yet`,
    );
  }
  const credential = principal.accessKeyId ?? `${principal.roleArn}/${principal.sessionName ?? ''}`;
  const triggerId = createHash('sha256').update(`${rule.id}\n${credential}`).digest('hex').slice(0, 32);
  const trigger = TriggerSchema.safeParse({
    triggerId,
    ruleId: rule.id,
    eventId: record.eventID ?? null,
    eventTime: record.eventTime,
    eventSource: record.eventSource,
    eventName: record.eventName,
    region: record.awsRegion,
    sourceIp: record.sourceIPAddress ?? null,
    userAgent: record.userAgent ?? null,
    target: {
      kind: 'assumed-role',
      accountId: principal.accountId,
      roleArn: principal.roleArn,
      roleName: principal.roleName,
      sessionName: principal.sessionName,
      accessKeyId: principal.accessKeyId,
      sessionIssuedAt: principal.sessionIssuedAt,
      sessionUserId: principal.sessionUserId,
      sourceIdentity: principal.sourceIdentity,
    },
  });
  if (!trigger.success) {
    throw new InvalidTriggerError(
      `rule ${rule.id} matched, but the record cannot open a case: ${describeIssues(trigger.error)}`,
    );
  }
  return trigger.data;
}

/** Step Functions execution names: at most 80 characters of `[A-Za-z0-9-_]`. */
export function executionName(trigger: Trigger): string {
  return `case-${trigger.triggerId}`;
}
