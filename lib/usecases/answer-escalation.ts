// Answer an escalation: an on-call engineer acknowledges, approves or rejects a case that is
// waiting for a decision — through a signed link on the approval page, or `revoker approve`.
// The answer goes to the paused execution (SendTaskSuccess / SendTaskFailure, heartbeats); it is
// recorded first; an answer Step Functions no longer takes (already answered, timed out) is
// followed on the case by the reason it did not take effect.
import { isSelfApproval } from '../domain/approval.ts';
import { toInstant } from '../domain/time.ts';
import { identitiesOf, TriggerSchema } from '../domain/trigger.ts';
import {
  type CaseRecord,
  type CaseStore,
  type Clock,
  type TaskCallbacks,
  TaskNotWaitingError,
} from '../ports.ts';
import { openCaseEntry } from './case-audit.ts';
import type { PendingEscalation } from './escalate.ts';

/** The error a rejection fails the waiting task with; the state machine's Catch names it. */
export const REJECTED_ERROR = 'revoker.Rejected';

export type Answer = 'acknowledge' | 'approve' | 'reject';

export interface EscalationAnswer {
  caseId: string;
  answer: Answer;
  approver: string;
  /** Required to reject: the next reader needs to know why. */
  reason?: string;
  via: 'approval-page' | 'cli';
  /** The link's nonce, when answered through one. */
  nonce?: string;
}

export interface AnswerDependencies {
  cases: CaseStore;
  callbacks: TaskCallbacks;
  clock: Clock;
}

export class EscalationAnswerError extends Error {
  override name = 'EscalationAnswerError';
}

/**
 * The escalation the case is waiting on, or null when it is not waiting. An answer that did
 * not take effect (a `refused` entry follows it) leaves the escalation open.
 */
export function pendingEscalation(record: CaseRecord): PendingEscalation | null {
  const last = record.audit.findLastIndex((entry) => entry.step === 'escalate');
  if (last === -1 || record.outcome !== null) return null;
  let answered = false;
  for (const entry of record.audit.slice(last + 1)) {
    if (entry.step === 'refused') answered = false;
    else if (['decision', 'revoke', 'close'].includes(entry.step)) answered = true;
  }
  return answered ? null : (record.audit[last]!.detail as PendingEscalation);
}

export async function answerEscalation(
  request: EscalationAnswer,
  deps: AnswerDependencies,
): Promise<{ caseId: string; answer: Answer; approver: string }> {
  const record = await deps.cases.get(request.caseId);
  if (!record) throw new EscalationAnswerError(`no case ${request.caseId}`);
  const pending = pendingEscalation(record);
  if (!pending) {
    const decided = record.audit.findLast((entry) => entry.step === 'decision');
    const why = record.outcome
      ? `it closed as ${record.outcome}`
      : decided
        ? `already answered: ${decided.summary}`
        : 'no escalation is open';
    throw new EscalationAnswerError(`case ${request.caseId} is not waiting for a decision (${why})`);
  }
  const trigger = TriggerSchema.parse(record.trigger);
  if (identitiesOf(trigger.target).some((name) => isSelfApproval(request.approver, name))) {
    throw new EscalationAnswerError(
      `${request.approver} is the principal under revocation and cannot answer this case`,
    );
  }
  const reason = request.reason?.trim() ?? '';
  if (request.answer === 'reject' && reason === '')
    throw new EscalationAnswerError('a rejection needs a reason');

  const at = toInstant(deps.clock.now());
  const entry = (step: string, summary: string) =>
    deps.cases.append(request.caseId, openCaseEntry(request.caseId, trigger, deps.clock), {
      at,
      step,
      summary,
      detail: { ...request, reason },
    });
  const said =
    request.answer === 'acknowledge'
      ? 'acknowledged the page'
      : request.answer === 'approve'
        ? `approved the revocation${reason ? `: ${reason}` : ''}`
        : `rejected the revocation: ${reason}`;
  // Recorded before it is sent, so the case shows the answer ahead of what it set going.
  await entry(
    request.answer === 'acknowledge' ? 'acknowledge' : 'decision',
    `${request.approver} ${said} (${request.via}).`,
  );
  try {
    if (request.answer === 'acknowledge') await deps.callbacks.heartbeat(pending.taskToken);
    else if (request.answer === 'approve')
      await deps.callbacks.succeed(pending.taskToken, {
        decision: 'approved',
        approver: request.approver,
        at,
      });
    else
      await deps.callbacks.fail(
        pending.taskToken,
        REJECTED_ERROR,
        `Rejected by ${request.approver}: ${reason}`,
      );
  } catch (error) {
    await entry('refused', `${request.approver}'s answer did not take effect: ${(error as Error).message}.`);
    if (!(error instanceof TaskNotWaitingError)) throw error;
    throw new EscalationAnswerError(`case ${request.caseId} is no longer waiting: ${error.message}`, {
      cause: error,
    });
  }
  return { caseId: request.caseId, answer: request.answer, approver: request.approver };
}
