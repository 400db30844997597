// The approval page behind a signed link: showing it (GET) changes nothing; answering it
// (POST) checks the link again and answers the escalation as the approver the link names.
// A link is refused when forged or altered, signed with a key revoker no longer holds (two
// rotations old), expired, already used for a decision, from an earlier escalation of the
// case, or for a case no longer waiting.
import { type ApprovalGrant, approvalLinkKeyId, verifyApprovalLink } from '../domain/approval.ts';
import { type ApprovalPageView, renderApprovalPage, renderMessagePage } from '../domain/approval-page.ts';
import {
  type Case,
  type EntryOf,
  entriesOf,
  evidenceFacts,
  lastEntry,
  pendingEscalation,
} from '../domain/case.ts';
import { notificationFor } from '../domain/notification.ts';
import { toInstant } from '../domain/time.ts';
import type { CaseStore, Clock, SigningKeys, TaskCallbacks } from '../ports.ts';
import { type Answer, answerEscalation, EscalationAnswerError } from './answer-escalation.ts';

export interface ApprovalPageDependencies {
  cases: CaseStore;
  callbacks: TaskCallbacks;
  clock: Clock;
  /** The keys links are verified with: the one each link's key ID names, if still held. */
  keys: SigningKeys;
}

export interface PageResponse {
  status: number;
  html: string;
}

type LinkCheck =
  | { ok: true; grant: ApprovalGrant; record: Case; pending: EntryOf<'escalate'> }
  | { ok: false; response: PageResponse };

function refused(status: number, reason: string): LinkCheck {
  return { ok: false, response: { status, html: renderMessagePage('This link cannot be used', reason) } };
}

/** Nonces of links already used for a decision (acknowledging does not use a link up). */
function usedNonces(record: Case): Set<string> {
  return new Set(
    entriesOf(record, 'decision')
      .map((entry) => entry.detail.nonce)
      .filter((nonce) => nonce !== null),
  );
}

async function checkLink(link: string, deps: ApprovalPageDependencies): Promise<LinkCheck> {
  const now = deps.clock.now();
  // The key the link names, looked up among the keys held (the ID itself is only compared).
  const keyId = approvalLinkKeyId(link);
  const key = keyId === null ? null : await deps.keys.find(keyId);
  const signed = verifyApprovalLink(link, key, now, new Set());
  if (!signed.ok) return refused(signed.reason.includes('expired') ? 410 : 403, `Refused: ${signed.reason}.`);
  const { grant } = signed;
  const record = await deps.cases.get(grant.caseId);
  if (!record) return refused(404, `Refused: there is no case ${grant.caseId}.`);
  if (usedNonces(record).has(grant.nonce)) return refused(410, 'Refused: the link was already used.');
  const pending = pendingEscalation(record);
  if (!pending) {
    return refused(
      410,
      `Refused: case ${grant.caseId} is not waiting for a decision${record.header.outcome ? ` (it closed as ${record.header.outcome})` : ''}.`,
    );
  }
  if (!pending.detail.links.some((issued) => issued.nonce === grant.nonce))
    return refused(410, 'Refused: the link belongs to an earlier escalation of this case.');
  return { ok: true, grant, record, pending };
}

export async function showApprovalPage(link: string, deps: ApprovalPageDependencies): Promise<PageResponse> {
  const check = await checkLink(link, deps);
  if (!check.ok) return check.response;
  const { grant, record } = check;
  const pending = check.pending.detail;
  const { trigger } = record.header.standing;
  const confirmation = lastEntry(record, 'confirm')?.detail;
  const summary = notificationFor('approval-requested', record.header.caseId, trigger, {
    reason: pending.reason,
    outcome: null,
    severity: record.header.standing.severity,
    facts: evidenceFacts(record),
    commands: [],
  });
  const view: ApprovalPageView = {
    caseId: record.header.caseId,
    approver: grant.approver,
    expiresAt: grant.expiresAt,
    headline: summary.headline,
    reason: pending.reason,
    principal: summary.principal,
    facts: summary.facts,
    evidence: (confirmation?.evidence ?? []).map((entry) => ({ runbook: entry.runbook, rows: entry.rows })),
    planPreview: pending.planPreview,
    acknowledgeBy: acknowledgeDeadline(record, check.pending),
    acknowledgeEveryMinutes: acknowledgeWindowMs(check.pending) / 60_000,
    decideBy: pending.decideBy,
    onTimeout: pending.onTimeout,
    link,
  };
  return { status: 200, html: renderApprovalPage(view) };
}

/** The heartbeat: how long the escalation may go without an acknowledgement (or a decision). */
function acknowledgeWindowMs(escalation: EntryOf<'escalate'>): number {
  return Date.parse(escalation.detail.acknowledgeBy) - Date.parse(escalation.at);
}

/**
 * When the escalation times out unless someone acknowledges (Step Functions' heartbeat): the
 * window after the page, or after the latest acknowledgement, and never past the decision deadline.
 */
function acknowledgeDeadline(record: Case, escalation: EntryOf<'escalate'>): string {
  const acknowledged = entriesOf(record, 'acknowledge').filter(
    (entry) => entry.detail.escalationId === escalation.id,
  );
  const lastSign = Date.parse(acknowledged.at(-1)?.at ?? escalation.at);
  const deadline = Math.min(
    lastSign + acknowledgeWindowMs(escalation),
    Date.parse(escalation.detail.decideBy),
  );
  return toInstant(new Date(deadline));
}

const ANSWERS: readonly Answer[] = ['acknowledge', 'approve', 'reject'];

export async function submitApprovalAnswer(
  form: { link: string; answer: string; reason: string },
  deps: ApprovalPageDependencies,
): Promise<PageResponse> {
  const check = await checkLink(form.link, deps);
  if (!check.ok) return check.response;
  const answer = ANSWERS.find((candidate) => candidate === form.answer);
  if (!answer)
    return {
      status: 400,
      html: renderMessagePage('Unknown answer', 'Choose Approve, Reject or Acknowledge.'),
    };
  try {
    await answerEscalation(
      {
        caseId: check.grant.caseId,
        answer,
        approver: check.grant.approver,
        reason: form.reason,
        via: 'approval-page',
        nonce: check.grant.nonce,
      },
      deps,
    );
  } catch (error) {
    if (!(error instanceof EscalationAnswerError)) throw error;
    return { status: 409, html: renderMessagePage('Not recorded', error.message) };
  }
  const done = {
    acknowledge: ['Acknowledged', 'The case knows you are on it; the link still works for your decision.'],
    approve: ['Approved', 'The revocation goes ahead; the case records you as its approver.'],
    reject: ['Rejected', 'Nothing is revoked; the case closes as rejected, with your reason.'],
  } as const;
  const [title, message] = done[answer];
  return { status: 200, html: renderMessagePage(title, `${message} Case ${check.grant.caseId}.`) };
}
