// Answer an escalation: an on-call engineer acknowledges, approves or rejects a case that is
// waiting for a decision — through a signed link on the approval page, or `revoker approve`.
// The answer goes to the paused execution (SendTaskSuccess / SendTaskFailure, heartbeats); it is
// recorded first; an answer Step Functions no longer takes (already answered, timed out) is
// followed on the case by the reason it did not take effect.
import { isSelfApproval } from '../domain/approval.ts';
import { decisionIdFor, decisionOn, digest, lastEntry, pendingEscalation } from '../domain/case.ts';
import { toInstant } from '../domain/time.ts';
import { revokedPrincipalArnOf } from '../domain/trigger.ts';
import { type CaseStore, type Clock, type TaskCallbacks, TaskNotWaitingError } from '../ports.ts';
import { recordEntry, requireCase } from './cases.ts';

export { pendingEscalation };

/** The error a rejection fails the waiting task with; the state machine's Catch names it. */
export const REJECTED_ERROR = 'revoker.Rejected';

export type Answer = 'acknowledge' | 'approve' | 'reject';

export interface EscalationAnswer {
  caseId: string;
  answer: Answer;
  approver: string;
  /** Required to reject: the next reader needs to know why. */
  reason?: string;
  via: 'approval-page' | 'cli' | 'operator-api';
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

export async function answerEscalation(
  request: EscalationAnswer,
  deps: AnswerDependencies,
): Promise<{ caseId: string; answer: Answer; approver: string }> {
  const record = await deps.cases.get(request.caseId);
  if (!record) throw new EscalationAnswerError(`no case ${request.caseId}`);
  const pending = pendingEscalation(record);
  if (!pending) {
    const decided = lastEntry(record, 'decision');
    const why = record.header.outcome
      ? `it closed as ${record.header.outcome}`
      : decided
        ? `already answered: ${decided.summary}`
        : 'no escalation is open';
    throw new EscalationAnswerError(`case ${request.caseId} is not waiting for a decision (${why})`);
  }
  const { trigger } = record.header.standing;
  // Judged on identities, never on names alike: see isSelfApproval.
  if (isSelfApproval(request.approver, revokedPrincipalArnOf(trigger.target))) {
    throw new EscalationAnswerError(
      `${request.approver} is the principal under revocation and cannot answer this case`,
    );
  }
  const reason = request.reason?.trim() ?? '';
  if (request.answer === 'reject' && reason === '')
    throw new EscalationAnswerError('a rejection needs a reason');

  const at = toInstant(deps.clock.now());
  const answered = {
    escalationId: pending.id,
    approver: request.approver,
    via: request.via,
    nonce: request.nonce ?? null,
  };
  const said =
    request.answer === 'acknowledge'
      ? 'acknowledged the page'
      : request.answer === 'approve'
        ? `approved the revocation${reason ? `: ${reason}` : ''}`
        : `rejected the revocation: ${reason}`;
  const summary = `${request.approver} ${said} (${request.via}).`;
  const { taskToken } = pending.detail;
  // Recorded before it is sent, so the case shows the answer ahead of what it set going. One
  // decision per escalation: the entry's ID is the escalation's, so of concurrent answers
  // (the same link posted twice, two approvers at once) exactly one is recorded and sent.
  let answerId: string;
  if (request.answer === 'acknowledge') {
    // Each acknowledgement is recorded (it restarts the heartbeat): the page reads the latest.
    answerId = `acknowledge:${pending.id}:${digest(request.approver)}:${at}`;
    await recordEntry(deps.cases, request.caseId, {
      id: answerId,
      at,
      step: 'acknowledge',
      summary,
      detail: answered,
    });
  } else {
    answerId = decisionIdFor(pending.id);
    const recorded = await recordEntry(deps.cases, request.caseId, {
      id: answerId,
      at,
      step: 'decision',
      summary,
      detail: { ...answered, answer: request.answer, reason },
    });
    if (!recorded) {
      const first = decisionOn(await requireCase(deps.cases, request.caseId), pending.id);
      throw new EscalationAnswerError(
        `case ${request.caseId} is not waiting for a decision (already answered: ${first?.summary ?? 'by someone else'})`,
      );
    }
  }
  try {
    if (request.answer === 'acknowledge') await deps.callbacks.heartbeat(taskToken);
    else if (request.answer === 'approve')
      await deps.callbacks.succeed(taskToken, { decision: 'approved', approver: request.approver, at });
    else await deps.callbacks.fail(taskToken, REJECTED_ERROR, `Rejected by ${request.approver}: ${reason}`);
  } catch (error) {
    if (!(error instanceof TaskNotWaitingError)) throw error;
    await recordEntry(deps.cases, request.caseId, {
      id: `refused:${answerId}`,
      at,
      step: 'refused',
      summary: `${request.approver}'s answer did not take effect: ${error.message}.`,
      detail: { answerId, approver: request.approver, reason: error.message },
    });
    throw new EscalationAnswerError(`case ${request.caseId} is no longer waiting: ${error.message}`, {
      cause: error,
    });
  }
  return { caseId: request.caseId, answer: request.answer, approver: request.approver };
}
