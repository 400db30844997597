// Detect: one EventBridge delivery in, at most one case started per compromised credential.

import { responseIn } from '../domain/accounts.ts';
import { digest, moreSevere, type Ranking, stronger } from '../domain/case.ts';
import { type CloudTrailRecord, describeIssues } from '../domain/cloudtrail.ts';
import type { Config } from '../domain/config.ts';
import { parseEnvelope, validateEnvelope } from '../domain/documents.ts';
import { type FindingEvent, findingOutcomes } from '../domain/findings.ts';
import { GrantExpiryEventSchema, isGrantExpiryEvent } from '../domain/jit.ts';
import {
  type IdentityCenterRemoval,
  identityCenterRemoval,
  isOffboardingEvent,
  OffboardingDetailSchema,
  OffboardingEventSchema,
  offboardingTrigger,
  offboardsNoOne,
} from '../domain/offboarding.ts';
import { resolvePrincipal } from '../domain/principal.ts';
import { type DetectionRule, matchingRules } from '../domain/rules.ts';
import { buildTrigger, InvalidTriggerError, type Trigger } from '../domain/trigger.ts';
import type {
  CaseStore,
  Clock,
  DeadLetters,
  IdentityDirectory,
  TaskCallbacks,
  WorkflowStarter,
} from '../ports.ts';
import { type Intake, type IntakeOutcome, takeIn } from './cases.ts';
import { executionSettings } from './execution.ts';
import { startGrantEnd } from './grant-sweep.ts';
import { startOffboardingCase } from './start-offboarding.ts';

export type DetectOutcome =
  | {
      /** Opened a case, joined the credential's open one, raised it, or was taken in before. */
      status: IntakeOutcome['status'];
      /** The case it went to (null: another delivery of the same event is taking it in now). */
      caseId: string | null;
      ruleId: string;
      /** Other rules the same call matched, less severe than `ruleId`. */
      alsoMatched: string[];
      trigger: Trigger;
    }
  | { status: 'no-match'; reason: string }
  | { status: 'rejected'; reason: string };

export interface DetectDependencies {
  cases: CaseStore;
  workflow: WorkflowStarter;
  clock: Clock;
  config: Config;
  /** Where an event that cannot be used goes, with the reason, for someone to look at. */
  deadLetters: DeadLetters;
  /** To interrupt an escalation waiting on a case a call just raised. */
  callbacks?: TaskCallbacks;
  /** Identity Center's store, to offboard a user it removes; without it such events are set aside. */
  directory?: IdentityDirectory;
}

export async function detect(event: unknown, deps: DetectDependencies): Promise<DetectOutcome[]> {
  const outcomes = isOffboardingEvent(event)
    ? [setAsideOffboardingEvent(event)]
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
  if (entry.kind === 'finding') return detectFindings(entry.finding, deps);
  // An Insights event reports a call rate, not a call: nothing to act on, and no rule sees it.
  if (entry.kind === 'insight')
    return [
      { status: 'no-match', reason: 'CloudTrail Insights event: not an API call, no rule looks at it' },
    ];
  const removal = identityCenterRemoval(entry.record);
  if (removal !== null) {
    // An offboarding acts on the record: the schema judges it first (see below).
    const checked = validateEnvelope(event);
    if ('rejected' in checked) return [{ status: 'rejected', reason: checked.rejected }];
    return startIdentityCenterOffboarding(checked.record, removal, deps);
  }
  if (!entry.principal.ok) return [{ status: 'rejected', reason: `principal: ${entry.principal.reason}` }];
  const rules = matchingRules(entry.record, entry.principal.principal);
  if (rules.length === 0)
    return [{ status: 'no-match', reason: `${entry.record.eventName} matched no rule` }];
  // The hot path checked the event by hand (CloudTrail fields are partly attacker-written):
  // before it reaches a case, the schema judges it, and the case is built from what it kept.
  const checked = validateEnvelope(event);
  if ('rejected' in checked) return [{ status: 'rejected', reason: checked.rejected }];
  const resolved = resolvePrincipal(checked.record.userIdentity, checked.record);
  if (!resolved.ok) return [{ status: 'rejected', reason: `principal: ${resolved.reason}` }];
  const principal = resolved.principal;

  // The most severe rule names the call; the others are recorded beside it.
  const [rule, ...others] = rules as [DetectionRule, ...DetectionRule[]];
  let trigger: Trigger;
  try {
    trigger = buildTrigger(rule, checked.record, principal);
  } catch (error) {
    if (!(error instanceof InvalidTriggerError)) throw error;
    return [{ status: 'rejected', reason: error.message }];
  }
  const ranking = rankingOfCall(rules, deps.config, trigger.target.accountId);
  const intake: Intake = {
    origin: 'detection',
    trigger,
    ranking,
    eventKey: eventKeyOf(checked.record),
    executionInput: (caseId) => ({
      caseId,
      revision: 0,
      trigger,
      settings: executionSettings(deps.config, ranking.severity),
    }),
  };
  const placed = await takeIn(intake, deps);
  return [
    {
      status: placed.status,
      caseId: placed.caseId,
      ruleId: rule.id,
      alsoMatched: others.map((other) => other.id),
      trigger,
    },
  ];
}

/**
 * GuardDuty and Security Hub findings: each names a credential, whose case it opens or joins
 * like a rule match, ranked by the finding's severity and the response configured for its type.
 * What is trusted, and what is refused, is said in findings.ts.
 */
async function detectFindings(event: FindingEvent, deps: DetectDependencies): Promise<DetectOutcome[]> {
  const outcomes: DetectOutcome[] = [];
  for (const found of findingOutcomes(event, deps.config)) {
    if ('rejected' in found) {
      outcomes.push({ status: 'rejected', reason: found.rejected });
      continue;
    }
    if ('ignored' in found) {
      outcomes.push({ status: 'no-match', reason: found.ignored });
      continue;
    }
    const { trigger, ranking, eventKey } = found;
    const placed = await takeIn(
      {
        origin: 'detection',
        trigger,
        ranking,
        eventKey,
        executionInput: (caseId) => ({
          caseId,
          revision: 0,
          trigger,
          settings: executionSettings(deps.config, ranking.severity, trigger),
        }),
      },
      deps,
    );
    outcomes.push({
      status: placed.status,
      caseId: placed.caseId,
      ruleId: trigger.ruleId,
      alsoMatched: [],
      trigger,
    });
  }
  return outcomes;
}

/**
 * What a call weighs on its case: the most severe of the rules it matched, and the strongest
 * response any of them asks for in the call's account (configured, or the catalog's default).
 */
export function rankingOfCall(
  rules: readonly DetectionRule[],
  config: Config,
  accountId: string | null,
): Ranking {
  const responseOf = (rule: DetectionRule) => responseIn(config, rule, accountId);
  const [first, ...rest] = rules as [DetectionRule, ...DetectionRule[]];
  let ranking: Ranking = { ruleId: first.id, severity: first.severity, response: responseOf(first) };
  for (const rule of rest) {
    if (moreSevere(rule.severity, ranking.severity)) ranking = { ...ranking, severity: rule.severity };
    if (stronger(responseOf(rule), ranking.response)) ranking = { ...ranking, response: responseOf(rule) };
  }
  return ranking;
}

/** The event's identity: its CloudTrail event ID, or a digest of the record when it has none. */
export function eventKeyOf(record: CloudTrailRecord): string {
  return record.eventID ?? `digest:${digest(JSON.stringify(record))}`;
}

/**
 * Our own `Person Offboarded` event announces and never authorises: the rule's account pin
 * lets in anyone here who may put events on the bus. It opens nothing; it goes to the dead
 * letters with what it claims and how to ask through the operator API instead.
 */
function setAsideOffboardingEvent(event: unknown): DetectOutcome {
  const parsed = OffboardingEventSchema.safeParse(event);
  if (!parsed.success)
    return { status: 'rejected', reason: `offboarding event: ${describeIssues(parsed.error)}` };
  return { status: 'rejected', reason: offboardsNoOne(parsed.data.detail) };
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
  const home = record.recipientAccountId ?? record.userIdentity?.accountId ?? '';
  const accounts = user && user.accountIds.length > 0 ? user.accountIds : [home];
  const requestedBy = `Identity Center ${record.eventName} by ${record.userIdentity?.arn ?? 'an unknown principal'}`;
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
    const eventKey = `${eventKeyOf(record)}:${accountId}`;
    outcomes.push(await startOffboardingCase(trigger, detail.data, eventKey, deps));
  }
  return outcomes;
}

/** EventBridge Scheduler fires within a minute of the time it was given. */
const EXPIRY_EARLY_TOLERANCE_MS = 60_000;

/**
 * A grant reaching its end (our scheduled event). The event announces; it does not say what
 * to take away: the grant recorded on its case does. An unknown grant, one already ended, or
 * one not yet due changes nothing and is set aside with the reason. The heartbeat starts an
 * overdue end the same way (startGrantEnd), should the schedule never fire.
 */
async function startGrantExpiry(event: unknown, deps: DetectDependencies): Promise<DetectOutcome> {
  const parsed = GrantExpiryEventSchema.safeParse(event);
  if (!parsed.success)
    return { status: 'rejected', reason: `grant expiry event: ${describeIssues(parsed.error)}` };
  // The schedule fires at the recorded end; an event well before it did not come from the schedule.
  const outcome = await startGrantEnd(parsed.data.detail.grantId, deps, EXPIRY_EARLY_TOLERANCE_MS);
  if (outcome.status === 'rejected')
    return { status: 'rejected', reason: `grant expiry event: ${outcome.reason}` };
  const { record } = outcome;
  return {
    status: outcome.status,
    caseId: record.header.caseId,
    ruleId: record.header.trigger.ruleId,
    alsoMatched: [],
    trigger: record.header.trigger,
  };
}
