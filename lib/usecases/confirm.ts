// Confirm: run the runbooks the rule asks for over the principal's history, score what they
// find, and return a verdict with its evidence and the decision it leads to.
import * as z from 'zod';
import { type Case, entriesOf, lastEntry, rankingOf } from '../domain/case.ts';
import type { Config } from '../domain/config.ts';
import {
  type Assessment,
  assessEvidence,
  assessFinding,
  assessWithoutAddress,
  type BaselineFacts,
  type Confirmation,
  decide,
  type RecentFacts,
  type RunbookEvidence,
} from '../domain/confirmation.ts';
import { ALL_CONFIRMATIONS, type ConfirmationRunbook, RULES } from '../domain/rules.ts';
import { IpAddress } from '../domain/shapes.ts';
import { addMinutes, toInstant } from '../domain/time.ts';
import { principalArnOf, type Trigger, TriggerSchema } from '../domain/trigger.ts';
import type { CaseStore, Clock, QueryEngine } from '../ports.ts';
import { bindRunbook, type Runbook, requireRunbook } from '../runbooks/catalog.ts';
import { countIn, textIn } from '../runbooks/rows.ts';
import { recordEntry, requireCase } from './cases.ts';
import { type ExecutionSettings, executionSettings } from './execution.ts';

export const ConfirmInputSchema = z.object({ caseId: z.string().min(1), trigger: TriggerSchema });
export type ConfirmInput = z.infer<typeof ConfirmInputSchema>;

export interface ConfirmDependencies {
  engine: QueryEngine;
  runbooks: Map<string, Runbook>;
  config: Config;
  clock: Clock;
  cases: CaseStore;
}

export type { Confirmation, RunbookEvidence };

/** What the execution goes on with: the decision, and the case as it stands now (it may have been raised). */
export interface ConfirmResult extends Confirmation {
  trigger: Trigger;
  settings: ExecutionSettings;
}

export class UnknownRuleError extends Error {
  override name = 'UnknownRuleError';
}

/**
 * Confirm the case as it stands: the call that set its standing (the opening call, or the one
 * that last raised it), judged against the principal's history and the credential's previous case.
 */
export async function confirm(input: ConfirmInput, deps: ConfirmDependencies): Promise<ConfirmResult> {
  const record = await requireCase(deps.cases, input.caseId);
  const { standing, revision } = record.header;
  const trigger = standing.trigger;
  const rule = RULES.find((candidate) => candidate.id === trigger.ruleId);
  if (!rule && !trigger.finding)
    throw new UnknownRuleError(`trigger names rule ${trigger.ruleId}, which is not in the catalog`);

  const evidence: RunbookEvidence[] = [];
  // A finding is weighed like a call: against the principal's history, with every runbook.
  const confirmWith = rule?.confirmWith ?? ALL_CONFIRMATIONS;
  const history = IpAddress.safeParse(trigger.sourceIp).success
    ? await gatherAndAssess(
        confirmWith,
        trigger,
        input.caseId,
        deps,
        evidence,
        await previousCaseOf(record, deps),
        revision,
      )
    : assessWithoutAddress(trigger);
  const assessment = trigger.finding ? assessFinding(trigger, history) : history;
  const revokedBefore = lastEntry(record, 'revoked') !== undefined;
  const { decision, reason } = decide(assessment, rankingOf(standing), trigger, deps.config, revokedBefore);
  const scanned = evidence.map((entry) => entry.bytesScanned).filter((bytes) => bytes !== null);
  const confirmation: Confirmation = {
    ...assessment,
    decision,
    decisionReason: reason,
    evidence,
    bytesScanned: scanned.length > 0 ? scanned.reduce((total, bytes) => total + bytes, 0) : null,
    revision,
  };
  await recordEntry(deps.cases, input.caseId, {
    id: `confirm:r${revision}`,
    at: toInstant(deps.clock.now()),
    step: 'confirm',
    summary: `${assessment.verdict} (score ${assessment.score}): ${assessment.explanation} Decision: ${decision}, because ${reason}.`,
    detail: confirmation,
  });
  return { ...confirmation, trigger, settings: executionSettings(deps.config, standing.severity, trigger) };
}

/** The credential's previous case: how it ended, and whether it confirmed a compromise. */
async function previousCaseOf(record: Case, deps: ConfirmDependencies): Promise<RecentFacts['previousCase']> {
  const previousId = record.header.previousCaseId;
  if (!previousId) return null;
  const previous = await deps.cases.get(previousId);
  if (!previous) return null;
  const confirmed = entriesOf(previous, 'confirm').some((entry) => entry.detail.verdict === 'confirmed');
  return { caseId: previousId, outcome: previous.header.outcome, confirmed };
}

async function gatherAndAssess(
  confirmWith: readonly ConfirmationRunbook[],
  trigger: Trigger,
  caseId: string,
  deps: ConfirmDependencies,
  evidence: RunbookEvidence[],
  previousCase: RecentFacts['previousCase'],
  revision: number,
): Promise<Assessment> {
  const { confirm: settings } = deps.config;
  const triggerTime = new Date(trigger.eventTime);
  const recentStart = addMinutes(triggerTime, -settings.excludeRecentMinutes);
  // Around the trigger: as far either side as the baseline leaves out, and no later than now.
  const recentEnd = new Date(
    Math.max(
      Math.min(deps.clock.now().getTime(), addMinutes(triggerTime, settings.excludeRecentMinutes).getTime()),
      triggerTime.getTime() + 1000,
    ),
  );
  const asks = (runbook: ConfirmationRunbook) => confirmWith.includes(runbook);
  // The runbooks run at once (Athena runs them side by side); the evidence keeps their order.
  const ran = new Map<ConfirmationRunbook, RunbookEvidence>();
  const run = async (id: ConfirmationRunbook, parameters: Record<string, string>) => {
    const result = await deps.engine.run(
      bindRunbook(requireRunbook(deps.runbooks, id), parameters, `${caseId}:confirm:r${revision}:${id}`),
    );
    ran.set(id, { runbook: id, parameters, rows: result.rows, bytesScanned: result.bytesScanned });
    return result.rows;
  };
  const none = Promise.resolve(null);
  const principal = { account: trigger.target.accountId, principal: principalArnOf(trigger.target) };
  const recentWindow = { ...principal, start: toInstant(recentStart), end: toInstant(recentEnd) };

  const firstSeen = run('first-seen', {
    ...principal,
    source_ip: trigger.sourceIp ?? '',
    // Compared by prefix: Athena caps one parameter at 1,024 characters, quotes doubled.
    user_agent_prefix: Array.from(trigger.userAgent ?? '')
      .slice(0, 500)
      .join(''),
    event_region: trigger.region,
    event_source: trigger.eventSource,
    event_name: trigger.eventName,
    baseline_start: toInstant(addMinutes(triggerTime, -settings.baselineDays * 1440)),
    baseline_end: toInstant(recentStart),
  });
  const bursts = asks('error-burst')
    ? run('error-burst', {
        ...recentWindow,
        burst_window: `${settings.deniedBurst.windowMinutes}m`,
        min_denied: String(settings.deniedBurst.minDenied),
      })
    : none;
  const footholds = asks('persistence-created') ? run('persistence-created', recentWindow) : none;
  const [[baselineRow], burstRows, footholdRows] = await Promise.all([firstSeen, bursts, footholds]);
  for (const id of ['first-seen', 'error-burst', 'persistence-created'] as const) {
    const entry = ran.get(id);
    if (entry) evidence.push(entry);
  }
  const baseline: BaselineFacts = {
    events: countIn(baselineRow, 'baseline_events'),
    fromSourceIp: countIn(baselineRow, 'from_source_ip'),
    withUserAgent: countIn(baselineRow, 'with_user_agent'),
    inRegion: countIn(baselineRow, 'in_region'),
    withEventName: countIn(baselineRow, 'with_event_name'),
    distinctSourceIps: countIn(baselineRow, 'distinct_source_ips'),
  };
  const recent: RecentFacts = { previousCase };
  if (burstRows) {
    recent.deniedBursts = burstRows.map((row) => ({
      denied: countIn(row, 'denied'),
      distinctActions: countIn(row, 'distinct_actions'),
      firstDenied: textIn(row, 'first_denied') ?? '',
      lastDenied: textIn(row, 'last_denied') ?? '',
    }));
  }
  if (footholdRows) {
    const triggerInstant = toInstant(triggerTime);
    recent.otherFootholds = footholdRows
      .filter((row) => textIn(row, 'errorcode') === null)
      .map((row) => ({
        eventName: textIn(row, 'eventname') ?? '',
        target: textIn(row, 'target'),
        eventTime: textIn(row, 'eventtime') ?? '',
      }))
      .filter((row) => !(row.eventName === trigger.eventName && row.eventTime === triggerInstant));
  }
  return assessEvidence(baseline, recent, trigger, deps.config);
}
