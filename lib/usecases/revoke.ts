// Revoke a confirmed case: read the principal's IAM state, plan (pure), check the guard
// rails again at the point of action, then apply — or, in dry-run, only record the plan.
// The case keeps the plan, the state before and after, and each step's exact undo.
import { z } from 'zod';
import type { Config } from '../domain/config.ts';
import {
  describePlan,
  planRevocation,
  type RevocationPlan,
  revocationTargetOf,
  scopeFor,
  targetArn,
} from '../domain/revocation/plan.ts';
import { addMinutes, toInstant } from '../domain/time.ts';
import { TriggerSchema } from '../domain/trigger.ts';
import type { CaseStore, Clock, IamGateway } from '../ports.ts';
import { type AppliedPlan, applyPlan } from './apply-plan.ts';
import { openCaseEntry } from './case-audit.ts';

/** The answer to an escalation, when the case went through one. */
export const ApprovalSchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('approved'), approver: z.string().min(1), at: z.iso.datetime() }),
  z.object({ decision: z.literal('timed-out'), reason: z.string() }),
]);
export type Approval = z.infer<typeof ApprovalSchema>;

export const RevokeInputSchema = z.object({
  caseId: z.string().min(1),
  trigger: TriggerSchema,
  approval: ApprovalSchema.optional(),
});
export type RevokeInput = z.infer<typeof RevokeInputSchema>;

export interface RevokeDependencies {
  iam: IamGateway;
  config: Config;
  clock: Clock;
  cases: CaseStore;
  /** How long to keep reading a change back before giving up; IAM usually converges in seconds. */
  readBackDeadlineMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** What the state machine needs to go on; the full record stays on the case. */
export interface Revocation {
  mode: Config['mode'];
  applied: boolean;
  cutoff: string;
  target: string;
  actions: { description: string; status: 'applied' | 'already-applied' | 'planned' }[];
  escalationOnly: string[];
  notes: string[];
}

/** A guard rail (or the lack of any automatic action) sends the case to a human. */
export class RevocationNeedsHumanError extends Error {
  override name = 'RevocationNeedsHumanError';
}

export async function revoke(input: RevokeInput, deps: RevokeDependencies): Promise<Revocation> {
  const target = revocationTargetOf(input.trigger.target);
  const now = deps.clock.now();
  const cutoff = toInstant(now);
  const scope = scopeFor(target);
  const state = await deps.iam.readState(scope);
  const plan = planRevocation(target, {
    config: deps.config,
    state,
    cutoff,
    recentRevocations: await recentRevocations(
      deps.cases,
      now,
      deps.config.guardRails.windowMinutes,
      input.caseId,
    ),
    ...(input.approval?.decision === 'approved' ? { approvedBy: input.approval.approver } : {}),
  });
  const why =
    input.approval?.decision === 'approved'
      ? ` (approved by ${input.approval.approver})`
      : input.approval?.decision === 'timed-out'
        ? ' (the escalation timed out and the severity says revoke)'
        : '';
  const entry = (summary: string, detail: unknown) =>
    deps.cases.append(input.caseId, openCaseEntry(input.caseId, input.trigger, deps.clock), {
      at: cutoff,
      step: 'revoke',
      summary,
      detail,
    });

  if (plan.requiresHuman) {
    await entry(`Not revoked automatically: ${plan.requiresHuman}.`, { plan, applied: false });
    throw new RevocationNeedsHumanError(`${plan.requiresHuman}; a human must decide`);
  }
  if (deps.config.mode === 'dry-run') {
    await entry(`Dry run${why}: would ${describePlan(plan)}.`, { plan, applied: false });
    return summarize(plan, deps.config, null);
  }
  const applied = await applyPlan(
    scope,
    plan.actions.map((planned) => planned.action),
    { iam: deps.iam, readBackDeadlineMs: deps.readBackDeadlineMs, sleep: deps.sleep },
    state,
  );
  await entry(`Revoked${why}: ${describePlan(plan)}.`, {
    plan,
    applied: true,
    record: applied,
    approval: input.approval ?? null,
  });
  return summarize(plan, deps.config, applied);
}

function summarize(plan: RevocationPlan, config: Config, applied: AppliedPlan | null): Revocation {
  const target = plan.target;
  return {
    mode: config.mode,
    applied: applied !== null,
    cutoff: plan.cutoff,
    target: targetArn(target) ?? (target.kind === 'identity-center-user' ? target.userId : ''),
    actions: applied
      ? applied.steps.map((step) => ({ description: step.description, status: step.status }))
      : plan.actions.map((planned) => ({ description: planned.why, status: 'planned' as const })),
    escalationOnly: plan.escalationOnly.map((planned) => planned.why),
    notes: plan.notes,
  };
}

/**
 * Automatic revocations recorded on cases within the guard-rail window, other than
 * `exceptCaseId` (a retried step of that case must not count against itself).
 */
export async function recentRevocations(
  cases: CaseStore,
  now: Date,
  windowMinutes: number,
  exceptCaseId?: string,
): Promise<number> {
  const since = toInstant(addMinutes(now, -windowMinutes));
  return (await cases.list()).filter(
    (record) =>
      record.caseId !== exceptCaseId &&
      // A grant's scheduled end is not a detection: it does not count against the cap.
      (record.trigger as { target?: { kind?: string } } | null)?.target?.kind !== 'grant' &&
      record.audit.some(
        (entry) =>
          entry.step === 'revoke' &&
          entry.at >= since &&
          (entry.detail as { applied?: boolean })?.applied === true &&
          // A revocation a human approved is not an automatic one.
          (entry.detail as { approval?: Approval | null }).approval?.decision !== 'approved',
      ),
  ).length;
}
