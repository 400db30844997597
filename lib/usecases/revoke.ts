// Revoke a confirmed case: read the principal's IAM state, plan (pure), check the guard
// rails again at the point of action, reserve the automatic revocation against the blast-radius
// cap, record the intent, then apply — or, in dry-run, only record the plan. The case keeps the
// plan, the state before and after, and each change with its exact undo.

import * as z from 'zod';
import { modeIn } from '../domain/accounts.ts';
import { type Approval, ApprovalSchema } from '../domain/approval.ts';
import { type Case, entriesOf } from '../domain/case.ts';
import type { Config } from '../domain/config.ts';
import { equivalentStates, type IamAccountState, type IamScope } from '../domain/iam-state.ts';
import { isApplied } from '../domain/revocation/actions.ts';
import {
  describePlan,
  planRevocation,
  type RevocationPlan,
  revocationTargetOf,
  scopeFor,
  targetAccount,
  targetArn,
} from '../domain/revocation/plan.ts';
import { toInstant } from '../domain/time.ts';
import { TriggerSchema } from '../domain/trigger.ts';
import { AccountNotEnrolledError, type CaseStore, type Clock, type IamGateway } from '../ports.ts';
import type { AppliedPlan } from './apply-plan.ts';
import { recordEntry, releaseRevocation, requireCase, reserveRevocation } from './cases.ts';
import { applyRecorded, RevocationNeedsHumanError, resumeRecorded } from './revocations.ts';

export { type Approval, ApprovalSchema };

export const RevokeInputSchema = z.object({
  caseId: z.string().min(1),
  trigger: TriggerSchema,
  /** The case's revision the decision to revoke was made on. */
  revision: z.number().int().min(0),
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

export { RevocationNeedsHumanError };

/**
 * The state a revocation plans from. An account revoker is not enrolled in is never acted on:
 * the case goes to a human, saying so.
 */
export async function stateForRevocation(iam: IamGateway, scope: IamScope): Promise<IamAccountState> {
  try {
    return await iam.readState(scope);
  } catch (error) {
    if (!(error instanceof AccountNotEnrolledError)) throw error;
    throw new RevocationNeedsHumanError(
      `${error.message}; nothing is changed in that account, a human must act there`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Which revocation of the case this is: one per revision and escalation, so the revocation
 * after an approval is a new one, and a retried Revoke task finds its own.
 */
export function revocationIdFor(revision: number, escalations: number): string {
  return `r${revision}-e${escalations}`;
}

/** The case's current round: its revision and how many escalations it has been through. */
export function roundOf(record: Case): string {
  return revocationIdFor(record.header.revision, entriesOf(record, 'escalate').length);
}

export async function revoke(input: RevokeInput, deps: RevokeDependencies): Promise<Revocation> {
  const record = await requireCase(deps.cases, input.caseId);
  const revocationId = revocationIdFor(input.revision, entriesOf(record, 'escalate').length);
  const recording = {
    caseId: input.caseId,
    cases: deps.cases,
    iam: deps.iam,
    clock: deps.clock,
    sleep: deps.sleep,
    readBackDeadlineMs: deps.readBackDeadlineMs,
  };
  // A retried task: the intent is on the case, so finish that rather than plan again.
  const resumed = await resumeRecorded(revocationId, recording);
  if (resumed) return summarize(resumed.plan, deps.config, resumed.applied);
  const target = revocationTargetOf(input.trigger.target);
  const now = deps.clock.now();
  const cutoff = toInstant(now);
  const scope = scopeFor(target);
  const state = await stateForRevocation(deps.iam, scope);
  const approved = input.approval?.decision === 'approved' ? input.approval : undefined;
  const context = {
    config: deps.config,
    state,
    cutoff,
    ...(approved ? { approvedBy: approved.approver } : {}),
  };
  let plan = planRevocation(target, { ...context, recentRevocations: 0 });
  const why = approved
    ? ` (approved by ${approved.approver})`
    : input.approval?.decision === 'timed-out'
      ? ' (the escalation timed out and the severity says revoke)'
      : '';
  const held = async (summary: string, reason: string) => {
    await recordEntry(deps.cases, input.caseId, {
      id: `held:${revocationId}`,
      at: cutoff,
      step: 'revoke-held',
      summary,
      detail: { plan, reason },
    });
    return new RevocationNeedsHumanError(`${reason}; a human must decide`);
  };

  if (plan.requiresHuman)
    throw await held(`Not revoked automatically: ${plan.requiresHuman}.`, plan.requiresHuman);
  if (modeIn(deps.config, targetAccount(target)) === 'dry-run') {
    await recordEntry(deps.cases, input.caseId, {
      id: `dry-run:${revocationId}`,
      at: cutoff,
      step: 'dry-run',
      summary: `Dry run${why}: would ${describePlan(plan)}.`,
      detail: { plan },
    });
    return summarize(plan, deps.config, null);
  }
  // Only a human's approval lifts the cap; an automatic revocation reserves its place in the
  // window before anything changes, so concurrent cases cannot overrun it.
  const automatic = !approved;
  // A plan IAM already shows in full changes nothing: it takes no place in the window.
  const changes = plan.actions.filter((planned) => !isApplied(state, planned.action)).length;
  if (automatic && changes > 0) {
    const reservation = await reserveRevocation(deps.cases, input.caseId, now, deps.config.guardRails);
    if (!reservation.granted) {
      plan = planRevocation(target, { ...context, recentRevocations: reservation.count });
      const reason = plan.requiresHuman ?? 'the blast-radius cap is reached';
      throw await held(`Not revoked automatically: ${reason}.`, reason);
    }
  }
  let applied: AppliedPlan;
  try {
    applied = await applyRecorded(
      {
        revocationId,
        label: `Revocation${why}`,
        plan,
        scope,
        before: state,
        approval: input.approval ?? null,
        automatic,
      },
      recording,
    );
  } catch (error) {
    // Nothing happened (IAM still shows the snapshot): the reservation goes back.
    if (automatic && (await unchanged(deps.iam, scope, state)))
      await releaseRevocation(deps.cases, input.caseId);
    throw error;
  }
  // Nothing was changed after all (another case got there first): the place goes back.
  if (automatic && applied.steps.every((step) => step.status === 'already-applied'))
    await releaseRevocation(deps.cases, input.caseId);
  return summarize(plan, deps.config, applied);
}

async function unchanged(iam: IamGateway, scope: IamScope, before: IamAccountState): Promise<boolean> {
  try {
    return equivalentStates(await iam.readState(scope), before);
  } catch {
    // IAM cannot say: keep the reservation (the cap errs on the side of asking a human).
    return false;
  }
}

function summarize(plan: RevocationPlan, config: Config, applied: AppliedPlan | null): Revocation {
  const target = plan.target;
  return {
    mode: modeIn(config, targetAccount(target)),
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
