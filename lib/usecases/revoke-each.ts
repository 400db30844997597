// Revoke several targets for one case — an offboarded person's credentials, the sessions a
// grant issued — each planned against IAM as it is now, only the one session or identity
// named (never every session of a shared role), held back for a human when a guard rail
// stops it, or only recorded in dry-run mode. Every outcome is an entry on the case.

import { modeIn, ownApproversIn } from '../domain/accounts.ts';
import { type Approval, digest } from '../domain/case.ts';
import type { Config } from '../domain/config.ts';
import type { IamAccountState } from '../domain/iam-state.ts';
import {
  describePlan,
  planRevocation,
  type RevocationPlan,
  type RevocationTarget,
  scopeFor,
  targetAccount,
} from '../domain/revocation/plan.ts';
import type { Trigger } from '../domain/trigger.ts';
import type { CaseStore, Clock, IamGateway } from '../ports.ts';
import type { AppliedPlan } from './apply-plan.ts';
import { recordEntry, requireCase } from './cases.ts';
import { applyRecorded, RevocationNeedsHumanError, resumeRecorded } from './revocations.ts';
import { type Revocation, roundOf, stateForRevocation } from './revoke.ts';

export interface EachContext {
  caseId: string;
  trigger: Trigger;
  cutoff: string;
  dryRun: boolean;
  approval: Approval | undefined;
  /** Says in the case entry what the target is to this case, e.g. "Session the grant issued". */
  label: string;
  config: Config;
  iam: IamGateway;
  cases: CaseStore;
  clock: Clock;
  sleep?: (ms: number) => Promise<void>;
}

export interface TargetOutcome {
  target: RevocationTarget;
  plan: RevocationPlan;
  status: 'needs-human' | 'planned' | 'applied';
  record: AppliedPlan | null;
}

export async function revokeEach(
  targets: RevocationTarget[],
  context: EachContext,
): Promise<TargetOutcome[]> {
  const { cutoff, approval } = context;
  const approvedBy = approval?.decision === 'approved' ? approval.approver : undefined;
  // Each target names its session or identity: a deny on a role others share must name them.
  const config: Config = {
    ...context.config,
    revocation: { ...context.config.revocation, roleSessions: 'offending-session' },
  };
  const record = await requireCase(context.cases, context.caseId);
  const round = roundOf(record);
  const recording = {
    caseId: context.caseId,
    cases: context.cases,
    iam: context.iam,
    clock: context.clock,
    sleep: context.sleep,
  };
  const outcomes: TargetOutcome[] = [];
  for (const target of targets) {
    const scope = scopeFor(target);
    // Stable across retries of the step: the same target in the same round is the same revocation.
    const revocationId = `${round}-${digest(JSON.stringify(target))}`;
    const resumed = await resumeRecorded(revocationId, recording);
    if (resumed) {
      outcomes.push({ target, plan: resumed.plan, status: 'applied', record: resumed.applied });
      continue;
    }
    const account = targetAccount(target);
    // An account with approvers of its own takes an approval from them alone: the case's own
    // account's approvers do not lift another account's guard rails.
    const own = ownApproversIn(config, account);
    const approvedHere =
      approvedBy && own && !own.some((approver) => approver.toLowerCase() === approvedBy.toLowerCase())
        ? undefined
        : approvedBy;
    let plan: RevocationPlan;
    let state: IamAccountState | null = null;
    try {
      state = await stateForRevocation(context.iam, scope);
      plan = planRevocation(target, {
        config,
        state,
        cutoff,
        // Asked for (an offboarding) or scheduled (a grant's end), not detected: the cap on
        // automatic revocations per window does not apply.
        recentRevocations: 0,
        ...(approvedHere ? { approvedBy: approvedHere } : {}),
      });
    } catch (error) {
      // An account revoker does not act in holds this target for a human; the others go on.
      if (!(error instanceof RevocationNeedsHumanError)) throw error;
      plan = heldPlan(target, cutoff, error.message);
    }
    if (plan.requiresHuman) {
      const notHis =
        approvedBy && !approvedHere
          ? ` (approved by ${approvedBy}, who is not one of account ${account}'s own approvers)`
          : '';
      await recordEntry(context.cases, context.caseId, {
        id: `held:${revocationId}`,
        at: cutoff,
        step: 'revoke-held',
        summary: `${context.label}: not revoked automatically: ${plan.requiresHuman}${notHis}.`,
        detail: { plan, reason: plan.requiresHuman },
      });
      outcomes.push({ target, plan, status: 'needs-human', record: null });
    } else if (context.dryRun || modeIn(config, targetAccount(target)) === 'dry-run') {
      // Each target in its own account's mode: a grant's end at home never changes a member
      // account kept in dry run.
      await recordEntry(context.cases, context.caseId, {
        id: `dry-run:${revocationId}`,
        at: cutoff,
        step: 'dry-run',
        summary: `${context.label}: dry run: would ${describePlan(plan)}.`,
        detail: { plan },
      });
      outcomes.push({ target, plan, status: 'planned', record: null });
    } else {
      const applied = await applyRecorded(
        {
          revocationId,
          label: `${context.label}${approvedHere ? ` (approved by ${approvedHere})` : ''}`,
          plan,
          scope,
          // A plan that needs no human was made from the state read.
          before: state!,
          approval: approval ?? null,
          automatic: false,
        },
        recording,
      );
      outcomes.push({ target, plan, status: 'applied', record: applied });
    }
  }
  return outcomes;
}

/** A target no plan can be made for here (its account is not acted in): a human's, with why. */
function heldPlan(target: RevocationTarget, cutoff: string, reason: string): RevocationPlan {
  return {
    target,
    cutoff,
    actions: [],
    escalationOnly: [],
    requiresHuman: reason,
    manualSteps: [],
    notes: [],
  };
}

/** The state machine's view of what was done: each action, applied or only planned. */
export function actionsOf(outcomes: TargetOutcome[]): Revocation['actions'] {
  return outcomes.flatMap((outcome): Revocation['actions'] =>
    outcome.record
      ? outcome.record.steps.map((step) => ({ description: step.description, status: step.status }))
      : outcome.status === 'planned'
        ? outcome.plan.actions.map((planned) => ({ description: planned.why, status: 'planned' as const }))
        : [],
  );
}
