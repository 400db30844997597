// Revoke several targets for one case — an offboarded person's credentials, the sessions a
// grant issued — each planned against IAM as it is now, only the one session or identity
// named (never every session of a shared role), held back for a human when a guard rail
// stops it, or only recorded in dry-run mode. Every outcome is an entry on the case.
import type { Config } from '../domain/config.ts';
import {
  describePlan,
  planRevocation,
  type RevocationPlan,
  type RevocationTarget,
  scopeFor,
} from '../domain/revocation/plan.ts';
import type { Trigger } from '../domain/trigger.ts';
import type { CaseStore, Clock, IamGateway } from '../ports.ts';
import { type AppliedPlan, applyPlan } from './apply-plan.ts';
import { openCaseEntry } from './case-audit.ts';
import type { Approval, Revocation } from './revoke.ts';

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
  const entry = (summary: string, detail: unknown) =>
    context.cases.append(context.caseId, openCaseEntry(context.caseId, context.trigger, context.clock), {
      at: cutoff,
      step: 'revoke',
      summary,
      detail,
    });
  const outcomes: TargetOutcome[] = [];
  for (const target of targets) {
    const scope = scopeFor(target);
    const state = await context.iam.readState(scope);
    const plan = planRevocation(target, {
      config,
      state,
      cutoff,
      // Asked for (an offboarding) or scheduled (a grant's end), not detected: the cap on
      // automatic revocations per window does not apply.
      recentRevocations: 0,
      ...(approvedBy ? { approvedBy } : {}),
    });
    if (plan.requiresHuman) {
      await entry(`${context.label}: not revoked automatically: ${plan.requiresHuman}.`, {
        plan,
        applied: false,
      });
      outcomes.push({ target, plan, status: 'needs-human', record: null });
    } else if (context.dryRun) {
      await entry(`${context.label}: dry run: would ${describePlan(plan)}.`, { plan, applied: false });
      outcomes.push({ target, plan, status: 'planned', record: null });
    } else {
      const record = await applyPlan(
        scope,
        plan.actions.map((planned) => planned.action),
        { iam: context.iam, sleep: context.sleep },
        state,
      );
      await entry(
        `${context.label}: revoked${approvedBy ? ` (approved by ${approvedBy})` : ''}: ${describePlan(plan)}.`,
        { plan, applied: true, record, approval: approval ?? null },
      );
      outcomes.push({ target, plan, status: 'applied', record });
    }
  }
  return outcomes;
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
