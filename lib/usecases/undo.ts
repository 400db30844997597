// Undo a case's revocation: restore exactly the IAM state recorded before it, or refuse,
// changing nothing, when IAM has drifted since (or there is nothing applied to undo).
import { z } from 'zod';
import { IamAccountStateSchema } from '../domain/iam-state.ts';
import { parseAction } from '../domain/revocation/actions.ts';
import { toInstant } from '../domain/time.ts';
import type { CaseStore, Clock, IamGateway } from '../ports.ts';
import { type AppliedPlan, type ApplyOptions, UndoRefusedError, undoPlan } from './apply-plan.ts';

export interface UndoDependencies extends Omit<ApplyOptions, 'iam'> {
  iam: IamGateway;
  cases: CaseStore;
  clock: Clock;
}

export interface UndoResult {
  caseId: string;
  restoredSteps: number;
}

const Action = z.unknown().transform((value) => parseAction(value));
/** The applied record as stored on the case, validated before anything acts on it. */
const AppliedPlanSchema = z.object({
  scope: z.object({
    accountId: z.string(),
    roles: z.array(z.string()),
    users: z.array(z.string()),
    managedPolicies: z.array(z.string()),
    identityCenter: z.boolean(),
  }),
  before: IamAccountStateSchema,
  after: IamAccountStateSchema,
  steps: z.array(
    z.object({
      action: Action,
      description: z.string(),
      status: z.enum(['applied', 'already-applied']),
      undo: z.array(Action),
    }),
  ),
});

export async function undoRevocation(caseId: string, deps: UndoDependencies): Promise<UndoResult> {
  const record = await deps.cases.get(caseId);
  if (!record) throw new UndoRefusedError(`there is no case ${caseId}`);
  // Everything revoked since the last undo; a retried revoke step may have recorded twice.
  const lastUndo = record.audit.findLastIndex((entry) => entry.step === 'undo');
  const revocations = record.audit
    .slice(lastUndo + 1)
    .filter(
      (entry) =>
        entry.step === 'revoke' && (entry.detail as { applied?: boolean } | undefined)?.applied === true,
    );
  if (revocations.length === 0) {
    throw new UndoRefusedError(
      lastUndo === -1
        ? `case ${caseId} has no applied revocation to undo`
        : `case ${caseId}'s revocation was already undone`,
    );
  }
  // Validate every record before changing anything.
  const records: AppliedPlan[] = revocations.map((entry) => {
    const parsed = AppliedPlanSchema.safeParse((entry.detail as { record?: unknown }).record);
    if (!parsed.success) {
      throw new UndoRefusedError(
        `case ${caseId}'s revocation record is incomplete or damaged: ${parsed.error.issues[0]?.message}`,
      );
    }
    return parsed.data;
  });
  for (const applied of [...records].reverse()) await undoPlan(applied, deps);
  const restoredSteps = records
    .flatMap((applied) => applied.steps)
    .filter((step) => step.status === 'applied').length;
  const original = records[0]!.before;
  await deps.cases.append(
    caseId,
    { caseId, openedAt: record.openedAt, trigger: record.trigger },
    {
      at: toInstant(deps.clock.now()),
      step: 'undo',
      summary: `Undone: ${restoredSteps} change(s) reversed; IAM matches the state recorded before the revocation.`,
      detail: { restored: original },
    },
  );
  return { caseId, restoredSteps };
}
