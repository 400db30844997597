// Confirm: run the rule's runbook over the principal's history, return a verdict with its
// evidence and the decision it leads to.
import { z } from 'zod';
import type { Config } from '../domain/config.ts';
import {
  assessFirstSeen,
  assessWithoutAddress,
  type Decision,
  decide,
  type Verdict,
} from '../domain/confirmation.ts';
import { RULES } from '../domain/rules.ts';
import { addMinutes, toInstant, toPartitionDay } from '../domain/time.ts';
import { type Trigger, TriggerSchema } from '../domain/trigger.ts';
import type { CaseStore, Clock, QueryEngine } from '../ports.ts';
import { bindRunbook, PARAMETER_TYPES, type Runbook, requireRunbook } from '../runbooks/catalog.ts';
import { openCaseEntry } from './case-audit.ts';

export const ConfirmInputSchema = z.object({ caseId: z.string().min(1), trigger: TriggerSchema });
export type ConfirmInput = z.infer<typeof ConfirmInputSchema>;

export interface ConfirmDependencies {
  engine: QueryEngine;
  runbooks: Map<string, Runbook>;
  config: Config;
  clock: Clock;
  cases: CaseStore;
}

export interface Confirmation {
  verdict: Verdict;
  score: number;
  explanation: string;
  decision: Decision;
  decisionReason: string;
  /** What the runbook was asked and answered; null when there was nothing to compare. */
  evidence: {
    runbook: string;
    parameters: Record<string, string>;
    rows: Record<string, string | null>[];
  } | null;
  bytesScanned: number | null;
}

export class UnknownRuleError extends Error {
  override name = 'UnknownRuleError';
}

export async function confirm(input: ConfirmInput, deps: ConfirmDependencies): Promise<Confirmation> {
  const { trigger } = input;
  const rule = RULES.find((candidate) => candidate.id === trigger.ruleId);
  if (!rule) throw new UnknownRuleError(`trigger names rule ${trigger.ruleId}, which is not in the catalog`);
  const runbook = requireRunbook(deps.runbooks, rule.confirmWith);

  const { assessment, evidence, bytesScanned } = PARAMETER_TYPES.ip.safeParse(trigger.sourceIp).success
    ? await firstSeen(runbook, trigger, deps)
    : { assessment: assessWithoutAddress(trigger), evidence: null, bytesScanned: null };
  const { decision, reason } = decide(assessment, rule, trigger, deps.config);
  const confirmation: Confirmation = {
    ...assessment,
    decision,
    decisionReason: reason,
    evidence,
    bytesScanned,
  };
  await deps.cases.append(input.caseId, openCaseEntry(input.caseId, trigger, deps.clock), {
    at: toInstant(deps.clock.now()),
    step: 'confirm',
    summary: `${assessment.verdict} (score ${assessment.score}): ${assessment.explanation} Decision: ${decision}, because ${reason}.`,
    detail: confirmation,
  });
  return confirmation;
}

/** Compare the trigger's address and user agent with the role's baseline window. */
async function firstSeen(runbook: Runbook, trigger: Trigger, deps: ConfirmDependencies) {
  const triggerTime = new Date(trigger.eventTime);
  const baselineEnd = addMinutes(triggerTime, -deps.config.confirm.excludeRecentMinutes);
  const baselineStart = addMinutes(triggerTime, -deps.config.confirm.baselineDays * 1440);
  const parameters = {
    account: trigger.target.accountId,
    role_arn: trigger.target.roleArn,
    source_ip: trigger.sourceIp ?? '',
    // CloudTrail itself caps user agents; a longer one can only lower the match count.
    user_agent: (trigger.userAgent ?? '').slice(0, 8192),
    baseline_start: toInstant(baselineStart),
    baseline_end: toInstant(baselineEnd),
    baseline_start_day: toPartitionDay(baselineStart),
    baseline_end_day: toPartitionDay(baselineEnd),
  };
  const result = await deps.engine.run(bindRunbook(runbook, parameters));
  const row = result.rows[0] ?? {};
  const facts = {
    baselineEvents: Number(row.baseline_events ?? 0),
    fromSourceIp: Number(row.from_source_ip ?? 0),
    withUserAgent: Number(row.with_user_agent ?? 0),
    distinctSourceIps: Number(row.distinct_source_ips ?? 0),
  };
  return {
    assessment: assessFirstSeen(facts, trigger, deps.config),
    evidence: { runbook: runbook.id, parameters, rows: result.rows },
    bytesScanned: result.bytesScanned,
  };
}
