// Answer an escalation: an on-call engineer acknowledges, approves or rejects a case that is
// waiting for a decision — through a signed link on the approval page, or `revoker approve`.
// The answer goes to the paused execution (SendTaskSuccess / SendTaskFailure, heartbeats); it is
// recorded first; an answer Step Functions no longer takes (already answered, timed out) is
// followed on the case by the reason it did not take effect.
import { approverIsSubject, mayBeTheAsker } from '../domain/approval.ts';
import {
  type Case,
  decisionIdFor,
  decisionOn,
  digest,
  type EntryOf,
  entriesOf,
  isOpen,
  lastEntry,
  pendingEscalation,
} from '../domain/case.ts';
import { toInstant } from '../domain/time.ts';
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
    // A decision recorded whose sending failed (a throttle, a network error): the same answer
    // again sends the recorded one, so a transient error never leaves the task without it.
    const undelivered = undeliveredDecision(record);
    if (undelivered && request.answer === undelivered.detail.answer && isOpen(record.header)) {
      await deliver(record, undelivered, deps);
      return { caseId: request.caseId, answer: request.answer, approver: undelivered.detail.approver };
    }
    const decided = lastEntry(record, 'decision');
    const why = record.header.outcome
      ? `it closed as ${record.header.outcome}`
      : decided
        ? `already answered: ${decided.summary}`
        : 'no escalation is open';
    throw new EscalationAnswerError(`case ${request.caseId} is not waiting for a decision (${why})`);
  }
  const { trigger } = record.header.standing;
  // Judged on identities, never on names alike: see approverIsSubject.
  if (approverIsSubject(request.approver, trigger.target)) {
    throw new EscalationAnswerError(
      `${request.approver} is the principal under revocation, or the same person, and cannot answer this case`,
    );
  }
  // Two people: whoever asked for a refinement never approves it.
  if (trigger.refinement && mayBeTheAsker(request.approver, trigger.refinement.requestedBy)) {
    throw new EscalationAnswerError(
      `${request.approver} asked for this refinement and cannot approve it: another approver decides`,
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
  if (request.answer === 'acknowledge') {
    await send(
      () => deps.callbacks.heartbeat(taskToken),
      { caseId: request.caseId, answerId, approver: request.approver, at },
      deps,
    );
  } else {
    const current = await requireCase(deps.cases, request.caseId);
    const decision = decisionOn(current, pending.id);
    if (decision) await deliver(current, decision, deps);
  }
  return { caseId: request.caseId, answer: request.answer, approver: request.approver };
}

/** The last escalation's decision, when it was recorded and never took effect nor was refused. */
function undeliveredDecision(record: Case): EntryOf<'decision'> | null {
  const escalation = lastEntry(record, 'escalate');
  const decision = escalation ? decisionOn(record, escalation.id) : undefined;
  if (!decision) return null;
  const refused = record.entries.some(
    (entry) => entry.step === 'refused' && entry.detail.answerId === decision.id,
  );
  const movedOn = record.entries.some(
    (entry) =>
      entry.seq > decision.seq && !['detection', 'raise', 'acknowledge', 'refused'].includes(entry.step),
  );
  return refused || movedOn ? null : decision;
}

/** Send a recorded decision to the task its escalation waits with. */
async function deliver(record: Case, decision: EntryOf<'decision'>, deps: AnswerDependencies): Promise<void> {
  const escalation = entriesOf(record, 'escalate').find((entry) => entry.id === decision.detail.escalationId);
  if (!escalation)
    throw new EscalationAnswerError(`case ${record.header.caseId}: the decision names no escalation`);
  const token = escalation.detail.taskToken;
  const { approver, answer, reason } = decision.detail;
  await send(
    () =>
      answer === 'approve'
        ? deps.callbacks.succeed(token, { decision: 'approved', approver, at: decision.at })
        : deps.callbacks.fail(token, REJECTED_ERROR, `Rejected by ${approver}: ${reason}`),
    { caseId: record.header.caseId, answerId: decision.id, approver, at: decision.at },
    deps,
  );
}

/** Attempts at sending an answer before a transient error (a throttle, the network) is passed on. */
const SEND_ATTEMPTS = 3;

/**
 * Send an answer to the waiting task, retrying transient errors. A task no longer waiting
 * (answered, timed out) is recorded as the reason the answer did not take effect.
 */
async function send(
  call: () => Promise<void>,
  answer: { caseId: string; answerId: string; approver: string; at: string },
  deps: AnswerDependencies,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await call();
      return;
    } catch (error) {
      if (error instanceof TaskNotWaitingError) {
        await recordEntry(deps.cases, answer.caseId, {
          id: `refused:${answer.answerId}`,
          at: answer.at,
          step: 'refused',
          summary: `${answer.approver}'s answer did not take effect: ${error.message}.`,
          detail: { answerId: answer.answerId, approver: answer.approver, reason: error.message },
        });
        throw new EscalationAnswerError(`case ${answer.caseId} is no longer waiting: ${error.message}`, {
          cause: error,
        });
      }
      if (attempt >= SEND_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  }
}
