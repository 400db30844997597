// Revocations as the case records them: intent first (the plan, and the snapshot an undo
// restores), then each change as IAM shows it, then the result. Whatever stops in between (an
// error, a timeout, a crash), the case says what was meant to change, and IAM's read-back says
// how far it got: a retry or `revoker reconcile` finishes it; `revoker undo` restores the snapshot.

import { type Approval, type Case, type EntryOf, entriesOf } from '../domain/case.ts';
import type { IamAccountState, IamScope } from '../domain/iam-state.ts';
import type { RevocationPlan } from '../domain/revocation/plan.ts';
import { toInstant } from '../domain/time.ts';
import { plural } from '../domain/words.ts';
import type { CaseStore, Clock, IamGateway } from '../ports.ts';
import { type AppliedPlan, applyPlan, type RecordedRevocation } from './apply-plan.ts';
import { recordEntry, requireCase } from './cases.ts';

export interface RevocationContext {
  caseId: string;
  cases: CaseStore;
  iam: IamGateway;
  clock: Clock;
  readBackDeadlineMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RevocationIntent {
  /** Unique within the case and stable across retries of the step that makes it. */
  revocationId: string;
  /** What the revocation is to the case, in words ("Offboarding alice"). */
  label: string;
  plan: RevocationPlan;
  scope: IamScope;
  /** The state the plan was made from: what an undo restores. */
  before: IamAccountState;
  approval: Approval | null;
  /** No human approved it: it counts against the blast-radius cap. */
  automatic: boolean;
}

/**
 * Apply a plan with its intent recorded first. Called again with the same revocation ID (a
 * retried step), it resumes from the recorded intent instead of planning afresh: the changes
 * the first attempt made are found in IAM and recorded as its own, the rest are made.
 */
/** `, in account 222233334444 through arn:…:role/revoker-member` when a member role makes the changes. */
function actingIn(iam: IamGateway, accountId: string): string {
  const actor = iam.actingAs?.(accountId);
  return actor ? `, in account ${accountId} ${actor}` : '';
}

export async function applyRecorded(
  intent: RevocationIntent,
  context: RevocationContext,
): Promise<AppliedPlan> {
  const { caseId, cases } = context;
  const record = await requireCase(cases, caseId);
  const finished = revokedEntry(record, intent.revocationId);
  if (finished) return finished.detail.record;
  const recorded = intentEntry(record, intent.revocationId);
  const at = toInstant(context.clock.now());
  if (!recorded) {
    await recordEntry(cases, caseId, {
      id: `intent:${intent.revocationId}`,
      at,
      step: 'revoke-intent',
      summary: `${intent.label}: about to ${describeActions(intent.plan)}${actingIn(context.iam, intent.scope.accountId)}.`,
      detail: {
        revocationId: intent.revocationId,
        label: intent.label,
        automatic: intent.automatic,
        approval: intent.approval,
        plan: intent.plan,
        scope: intent.scope,
        before: intent.before,
        actions: intent.plan.actions.map((planned) => planned.action),
      },
    });
  }
  const { scope, before, actions, approval } = recorded?.detail ?? {
    ...intent,
    actions: intent.plan.actions.map((planned) => planned.action),
  };
  return finish(intent.revocationId, { scope, before, actions, approval }, context, recorded ? null : before);
}

/**
 * Resume a revocation whose intent is recorded (a retried step): finish what it set out to do,
 * or return what it did. Null when the case has no such intent.
 */
export async function resumeRecorded(
  revocationId: string,
  context: RevocationContext,
): Promise<{ plan: RevocationPlan; applied: AppliedPlan } | null> {
  const record = await requireCase(context.cases, context.caseId);
  const recorded = intentEntry(record, revocationId);
  if (!recorded) return null;
  // A person undid it since: never put it back behind their back.
  if (restoredByUndo(record).has(revocationId))
    throw new RevocationNeedsHumanError(
      `revocation ${revocationId} of case ${context.caseId} was undone; it is not applied again without a human`,
    );
  const done = revokedEntry(record, revocationId);
  const applied = done ? done.detail.record : await finish(revocationId, recorded.detail, context, null);
  return { plan: recorded.detail.plan, applied };
}

async function finish(
  revocationId: string,
  intent: {
    scope: IamScope;
    before: IamAccountState;
    actions: RecordedRevocation['actions'];
    approval: Approval | null;
  },
  context: RevocationContext,
  current: IamAccountState | null,
): Promise<AppliedPlan> {
  const { caseId, cases } = context;
  const applied = await applyPlan(
    intent.scope,
    intent.actions,
    {
      iam: context.iam,
      readBackDeadlineMs: context.readBackDeadlineMs,
      sleep: context.sleep,
      onStep: async (step, index) => {
        await recordEntry(cases, caseId, {
          id: `change:${revocationId}:${index}`,
          at: toInstant(context.clock.now()),
          step: 'iam-change',
          summary: `${step.status === 'applied' ? 'Changed' : 'Already so'}: ${step.description}.`,
          detail: { revocationId, index, action: step.action, status: step.status, undo: step.undo },
        });
      },
    },
    intent.before,
    current ?? undefined,
  );
  await recordEntry(cases, caseId, {
    id: `revoked:${revocationId}`,
    at: toInstant(context.clock.now()),
    step: 'revoked',
    summary: `Done: ${plural(applied.steps.filter((step) => step.status === 'applied').length, 'change')} made and read back from IAM.`,
    detail: { revocationId, record: applied, approval: intent.approval },
  });
  return applied;
}

function intentEntry(record: Case, revocationId: string): EntryOf<'revoke-intent'> | undefined {
  return entriesOf(record, 'revoke-intent').find((entry) => entry.detail.revocationId === revocationId);
}

function revokedEntry(record: Case, revocationId: string): EntryOf<'revoked'> | undefined {
  return entriesOf(record, 'revoked').find((entry) => entry.detail.revocationId === revocationId);
}

function describeActions(plan: RevocationPlan): string {
  return plan.actions.map((planned) => planned.why).join('; then ') || 'change nothing';
}

/** Revocations whose intent was recorded and whose result was not: interrupted (and not undone since). */
export function unfinishedRevocations(record: Case): EntryOf<'revoke-intent'>[] {
  const undone = restoredByUndo(record);
  return entriesOf(record, 'revoke-intent').filter(
    (entry) => !revokedEntry(record, entry.detail.revocationId) && !undone.has(entry.detail.revocationId),
  );
}

/** `revoker reconcile` will not finish this case's revocations: nothing was changed. */
export class ReconcileRefusedError extends Error {
  override name = 'ReconcileRefusedError';
}

/**
 * Finish what an interrupted revocation set out to do, from its recorded intent: IAM's
 * read-back decides what is already done. For `revoker reconcile`; a retried step does the same.
 * Never a just-in-time grant's case: its end's changes are finished by running the end again,
 * which reads the principal's grants first — a recorded detach of the grant guard, finished
 * alone, would take the guard off a grant that began since and holds it (its policy left on
 * without it), and the end's own retry puts the guard back where another grant holds it.
 */
export async function reconcile(context: RevocationContext): Promise<{ finished: string[] }> {
  const record = await requireCase(context.cases, context.caseId);
  if (record.header.origin === 'grant')
    throw new ReconcileRefusedError(
      `case ${context.caseId} is a just-in-time grant's: its end is finished by running the end again (the state machine's ExpireGrant step retries it), never by finishing its recorded changes alone, which could take the grant guard off another grant that holds it now; nothing was changed`,
    );
  const finished: string[] = [];
  for (const entry of unfinishedRevocations(record)) {
    await finish(entry.detail.revocationId, entry.detail, context, null);
    finished.push(entry.detail.revocationId);
  }
  return { finished };
}

/** The revocations an undo must restore: every recorded intent not restored by an earlier undo. */
export function revocationsToUndo(record: Case): RecordedRevocation[] {
  const restored = restoredByUndo(record);
  return entriesOf(record, 'revoke-intent')
    .filter((entry) => !restored.has(entry.detail.revocationId))
    .map((entry) => ({
      revocationId: entry.detail.revocationId,
      scope: entry.detail.scope,
      before: entry.detail.before,
      actions: entry.detail.actions,
      after: revokedEntry(record, entry.detail.revocationId)?.detail.record.after ?? null,
    }));
}

/** Automatic revocations the case made (each holds a reservation of the blast-radius cap). */
export function automaticRevocations(record: Case): string[] {
  return entriesOf(record, 'revoke-intent')
    .filter((entry) => entry.detail.automatic)
    .map((entry) => entry.detail.revocationId);
}

/** The revocations an undo restored. */
function restoredByUndo(record: Case): Set<string> {
  return new Set(entriesOf(record, 'undo').flatMap((entry) => entry.detail.restored));
}

/** A guard rail (or the lack of any automatic action) sends the case to a human. */
export class RevocationNeedsHumanError extends Error {
  override name = 'RevocationNeedsHumanError';
}
