// Undo a case's revocations: restore exactly the IAM state each one recorded before it began,
// latest first. IAM's read-back decides how far each got (an interrupted one is undone from
// where it stopped); if IAM changed since any of them, nothing is changed. A failure halfway
// is recorded with exactly what was and was not restored, and a later undo carries on.
// A just-in-time grant's case is never undone: its changes are the grant and its end, and an
// undo would put the policy and its guard back with no end scheduled, no heartbeat entry and no
// grant holding the guard (the next grant's end would take the guard off and leave the policy).

import { entriesOf } from '../domain/case.ts';
import { toInstant } from '../domain/time.ts';
import { plural } from '../domain/words.ts';
import type { CaseStore, Clock, IamGateway } from '../ports.ts';
import { type ApplyOptions, UndoIncompleteError, UndoRefusedError, undoRevocations } from './apply-plan.ts';
import { recordEntry } from './cases.ts';
import { revocationsToUndo } from './revocations.ts';

export interface UndoDependencies extends Omit<ApplyOptions, 'iam'> {
  iam: IamGateway;
  cases: CaseStore;
  clock: Clock;
}

export interface UndoResult {
  caseId: string;
  /** The revocations restored, and each change reversed. */
  restored: string[];
  reversed: string[];
}

export async function undoRevocation(caseId: string, deps: UndoDependencies): Promise<UndoResult> {
  const record = await deps.cases.get(caseId);
  if (!record) throw new UndoRefusedError(`there is no case ${caseId}`);
  if (record.header.origin === 'grant')
    throw new UndoRefusedError(
      `case ${caseId} is a just-in-time grant's: undoing its end would give the policy back with nothing to take it away again, so nothing was changed; ask for a new grant instead (revoker jit request)`,
    );
  const revocations = revocationsToUndo(record);
  if (revocations.length === 0) {
    throw new UndoRefusedError(
      entriesOf(record, 'undo').length === 0
        ? `case ${caseId} has no applied revocation to undo`
        : `case ${caseId}'s revocation was already undone`,
    );
  }
  const id = `undo:${entriesOf(record, 'undo').length + 1}`;
  const at = toInstant(deps.clock.now());
  try {
    const { restored, reversed } = await undoRevocations(revocations, deps);
    await recordEntry(deps.cases, caseId, {
      id,
      at,
      step: 'undo',
      summary: `Undone: ${plural(reversed.length, 'change')} reversed; IAM matches the state recorded before each revocation (${restored.join(', ')}).`,
      detail: { restored, reversed, failure: null },
    });
    return { caseId, restored, reversed };
  } catch (error) {
    if (error instanceof UndoIncompleteError) {
      await recordEntry(deps.cases, caseId, {
        id,
        at,
        step: 'undo',
        summary: `Undo stopped halfway: ${error.message}`,
        detail: { restored: error.restored, reversed: error.reversed, failure: error.message },
      });
    }
    throw error;
  }
}
