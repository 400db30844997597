// Detect: one EventBridge delivery in, at most one case started per compromised credential.

import { type CloudTrailRecord, describeIssues } from '../domain/cloudtrail.ts';
import type { Config } from '../domain/config.ts';
import { parseEnvelope } from '../domain/documents.ts';
import { GrantExpiryEventSchema, grantTrigger, isGrantExpiryEvent, JIT_SEVERITY } from '../domain/jit.ts';
import {
  type IdentityCenterRemoval,
  identityCenterRemoval,
  isOffboardingEvent,
  OFFBOARDING_SEVERITY,
  OffboardingDetailSchema,
  OffboardingEventSchema,
  offboardingTrigger,
} from '../domain/offboarding.ts';
import { type DetectionRule, matchingRules, type Severity } from '../domain/rules.ts';
import { buildTrigger, executionName, InvalidTriggerError, type Trigger } from '../domain/trigger.ts';
import type { DeadLetters, IdentityDirectory, WorkflowStarter } from '../ports.ts';

export type DetectOutcome =
  | {
      status: 'started' | 'already-open';
      executionName: string;
      ruleId: string;
      /** Other rules the same call matched, less severe than `ruleId`. */
      alsoMatched: string[];
      trigger: Trigger;
    }
  | { status: 'no-match'; reason: string }
  | { status: 'rejected'; reason: string };

export interface DetectDependencies {
  workflow: WorkflowStarter;
  config: Config;
  /** Where an event that cannot be used goes, with the reason, for someone to look at. */
  deadLetters: DeadLetters;
  /** Identity Center's store, to offboard a user it removes; without it such events are set aside. */
  directory?: IdentityDirectory;
}

/**
 * What every execution carries besides the trigger: the waits, bounds and escalation
 * deadlines from configuration, and what a timed-out escalation does at the rule's severity.
 */
export function executionSettings(config: Config, severity: Severity) {
  return {
    logDeliveryWaitSeconds: config.verify.waitSeconds,
    maxVerifyAttempts: config.verify.maxAttempts,
    acknowledgeTimeoutSeconds: config.escalation.acknowledgeMinutes * 60,
    approvalTimeoutSeconds: config.escalation.decideMinutes * 60,
    onApprovalTimeout: config.escalation.onTimeout[severity],
  };
}
export type ExecutionSettings = ReturnType<typeof executionSettings>;

export async function detect(event: unknown, deps: DetectDependencies): Promise<DetectOutcome[]> {
  const outcomes = isOffboardingEvent(event)
    ? [await startOffboarding(event, deps)]
    : isGrantExpiryEvent(event)
      ? [await startGrantExpiry(event, deps)]
      : await detectCall(event, deps);
  // A rejected event is kept, never dropped: the reason travels with it.
  for (const outcome of outcomes)
    if (outcome.status === 'rejected') await deps.deadLetters.send(event, outcome.reason);
  return outcomes;
}

async function detectCall(event: unknown, deps: DetectDependencies): Promise<DetectOutcome[]> {
  const entry = parseEnvelope(event, 'eventbridge', 0);
  if (entry.kind === 'rejected') return [{ status: 'rejected', reason: entry.reason }];
  const removal = identityCenterRemoval(entry.record);
  if (removal !== null) return startIdentityCenterOffboarding(entry.record, removal, deps);
  if (!entry.principal.ok) return [{ status: 'rejected', reason: `principal: ${entry.principal.reason}` }];
  const principal = entry.principal.principal;
  const rules = matchingRules(entry.record, principal);
  if (rules.length === 0)
    return [{ status: 'no-match', reason: `${entry.record.eventName} matched no rule` }];

  // The most severe rule names the case; the others are recorded beside it.
  const [rule, ...others] = rules as [DetectionRule, ...DetectionRule[]];
  let trigger: Trigger;
  try {
    trigger = buildTrigger(rule, entry.record, principal);
  } catch (error) {
    if (!(error instanceof InvalidTriggerError)) throw error;
    return [{ status: 'rejected', reason: error.message }];
  }
  const name = executionName(trigger);
  const status = await deps.workflow.start(name, {
    caseId: trigger.triggerId,
    trigger,
    settings: executionSettings(deps.config, rule.severity),
  });
  return [
    { status, executionName: name, ruleId: rule.id, alsoMatched: others.map((other) => other.id), trigger },
  ];
}

/** An offboarding request: validated, then one execution per person and account. */
async function startOffboarding(event: unknown, deps: DetectDependencies): Promise<DetectOutcome> {
  const parsed = OffboardingEventSchema.safeParse(event);
  if (!parsed.success)
    return { status: 'rejected', reason: `offboarding event: ${describeIssues(parsed.error)}` };
  const trigger = offboardingTrigger(parsed.data.detail, parsed.data.id, parsed.data.time);
  return startCase(trigger, { offboarding: parsed.data.detail }, OFFBOARDING_SEVERITY, deps);
}

/**
 * Identity Center removed a user: offboard them from every account they were assigned to. A
 * user the store no longer knows (deleted before the lookup) is offboarded by user ID, which
 * finds nothing automatic and so reaches the on-call, with the reason.
 */
async function startIdentityCenterOffboarding(
  record: CloudTrailRecord,
  removal: IdentityCenterRemoval | string,
  deps: DetectDependencies,
): Promise<DetectOutcome[]> {
  if (typeof removal === 'string') return [{ status: 'rejected', reason: removal }];
  if (!deps.directory)
    return [
      {
        status: 'rejected',
        reason: `${record.eventName} of an Identity Center user, and no identity directory is configured`,
      },
    ];
  const user = await deps.directory.lookUp(removal.identityStoreId, removal.userId);
  const home =
    record.recipientAccountId ?? (record.userIdentity as { accountId?: string } | undefined)?.accountId ?? '';
  const accounts = user && user.accountIds.length > 0 ? user.accountIds : [home];
  const requestedBy = `Identity Center ${record.eventName} by ${(record.userIdentity as { arn?: string } | undefined)?.arn ?? 'an unknown principal'}`;
  const outcomes: DetectOutcome[] = [];
  for (const accountId of accounts) {
    const detail = OffboardingDetailSchema.safeParse({
      person: user?.userName ?? removal.userId,
      accountId,
      region: record.awsRegion,
      requestedBy: requestedBy.slice(0, 256),
      reason: user
        ? `Identity Center user ${removal.userId} (${user.userName}) was removed`
        : `Identity Center user ${removal.userId} was removed before revoker could look up their name: find who it was and offboard them by name`,
    });
    if (!detail.success) {
      outcomes.push({
        status: 'rejected',
        reason: `offboarding ${removal.userId}: ${describeIssues(detail.error)}`,
      });
      continue;
    }
    const trigger = offboardingTrigger(detail.data, record.eventID ?? null, record.eventTime);
    outcomes.push(await startCase(trigger, { offboarding: detail.data }, OFFBOARDING_SEVERITY, deps));
  }
  return outcomes;
}

/** A grant reaching its end (our scheduled event): one execution per grant. */
async function startGrantExpiry(event: unknown, deps: DetectDependencies): Promise<DetectOutcome> {
  const parsed = GrantExpiryEventSchema.safeParse(event);
  if (!parsed.success)
    return { status: 'rejected', reason: `grant expiry event: ${describeIssues(parsed.error)}` };
  return startCase(grantTrigger(parsed.data.detail), { grant: parsed.data.detail }, JIT_SEVERITY, deps);
}

/** Start the case's execution, named after its trigger: a second start joins the first. */
async function startCase(
  trigger: Trigger,
  origin: Record<string, unknown>,
  severity: Severity,
  deps: DetectDependencies,
): Promise<DetectOutcome> {
  const name = executionName(trigger);
  const status = await deps.workflow.start(name, {
    caseId: trigger.triggerId,
    trigger,
    ...origin,
    settings: executionSettings(deps.config, severity),
  });
  return { status, executionName: name, ruleId: trigger.ruleId, alsoMatched: [], trigger };
}
