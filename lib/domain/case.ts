// A case: everything revoker knows and did about one credential, from the call that opened it
// to its outcome. Pure: the lifecycle's rules (who joins, what raises, when it may close) are
// functions over plain data; stores persist it and use cases act on it.
//
// One credential has at most one open case. A later call that matches a rule joins it, and
// raises it when the call's rule is more severe or its response stronger; a closed case never
// takes a new call (the next one opens a new case, linked to it). Every step leaves one typed
// entry, whose ID comes from the step and attempt, so a retried step writes it once.
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { type Approval, ApprovalSchema } from './approval.ts';
import type { Confirmation } from './confirmation.ts';
import { IamAccountStateSchema } from './iam-state.ts';
import { GrantSchema } from './jit.ts';
import type { RevocationPlan } from './revocation/plan.ts';
import { ActionSchema, AppliedPlanSchema, IamScopeSchema } from './revocation/record.ts';
import type { Severity } from './rules.ts';
import { type Trigger, TriggerSchema } from './trigger.ts';
import type { Verification } from './verification.ts';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const satisfies readonly Severity[];
/** Weakest first: a case rises along this order, never down it. */
export const RESPONSES = ['notify', 'escalate', 'auto-revoke'] as const;
export type Response = (typeof RESPONSES)[number];

export const OUTCOMES = [
  'contained',
  'benign',
  'notified',
  'rejected',
  'expired',
  'kept',
  'needs-human',
  'dry-run',
  /** A just-in-time grant refused before anything was attached (a cap, or its end already passed). */
  'refused',
  /** A refined policy applied, and watched without an access-denied error the old policies would have allowed. */
  'refined',
  /** A refined policy taken back: an access-denied error during the watch (or a person's undo). */
  'rolled-back',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const CASE_ORIGINS = ['detection', 'offboarding', 'grant', 'refinement'] as const;
export type CaseOrigin = (typeof CASE_ORIGINS)[number];

/** Step Functions execution names allow 80 characters of [A-Za-z0-9-_]; a case ID fits in one. */
export const CaseId = z.string().regex(/^[\w-]{1,64}$/, 'a case ID');

/** A rule's weight on a case: which rule, how severe, what response it asks for. */
export const RankingSchema = z.object({
  ruleId: z.string().min(1),
  severity: z.enum(SEVERITIES),
  response: z.enum(RESPONSES),
});
export type Ranking = z.infer<typeof RankingSchema>;

/**
 * Where a case stands: the most severe rule any of its calls matched (and its severity), the
 * strongest response any of them earned, and the call that raised it last.
 */
export const StandingSchema = RankingSchema.extend({ trigger: TriggerSchema });
export type Standing = z.infer<typeof StandingSchema>;

export const CaseHeaderSchema = z.object({
  caseId: CaseId,
  /** The credential the case is about (see `credentialIdOf`). */
  credentialId: z.string().min(1),
  origin: z.enum(CASE_ORIGINS),
  openedAt: z.iso.datetime(),
  /** The call or request that opened the case. */
  trigger: TriggerSchema,
  standing: StandingSchema,
  /** How many times the case was raised; a close is conditional on it. */
  revision: z.number().int().min(0),
  /** The credential's case before this one, when it had one. */
  previousCaseId: z.string().nullable(),
  outcome: z.enum(OUTCOMES).nullable(),
  closedAt: z.iso.datetime().nullable(),
  /** The execution that runs the case: its name (never reused) and input, kept to start it again. */
  execution: z.object({
    name: z.string().regex(/^[\w-]{1,80}$/),
    input: z.record(z.string(), z.unknown()),
    started: z.boolean(),
  }),
});
export type CaseHeader = z.infer<typeof CaseHeaderSchema>;

/** Details people read but nothing acts on: checked to be objects, typed for the reader. */
function shown<T>() {
  return z.custom<T>((value) => typeof value === 'object' && value !== null && !Array.isArray(value));
}

/** An answer to an escalation: acknowledge, approve or reject, by whom and through what. */
const AnswerDetail = z.object({
  /** The escalation entry answered. */
  escalationId: z.string(),
  approver: z.string().min(1),
  via: z.enum(['approval-page', 'cli', 'operator-api']),
  /** The approval link's nonce, when answered through one. */
  nonce: z.string().nullable(),
});

export const PendingEscalationSchema = z.object({
  from: z.enum(['confirm', 'revoke', 'verify', 'refinement']),
  reason: z.string(),
  taskToken: z.string().min(1),
  acknowledgeBy: z.iso.datetime(),
  decideBy: z.iso.datetime(),
  onTimeout: z.enum(['revoke', 'expire']),
  links: z.array(z.object({ approver: z.string(), nonce: z.string(), expiresAt: z.iso.datetime() })),
  /** The approvers not sent a link because they are the principal under revocation. */
  refused: z.array(z.string()),
  /** What an approval would do, read from IAM when paged (the revocation re-plans when it runs). */
  planPreview: z.string(),
  /** The case's revision when paged: a raise since makes the escalation stale. */
  revision: z.number().int().min(0),
});
export type PendingEscalation = z.infer<typeof PendingEscalationSchema>;

const base = {
  /** Unique within the case, derived from the step and its attempt: a retried write finds it. */
  id: z.string().min(1).max(256),
  /** The case's own order of entries, assigned by the store. */
  seq: z.number().int().min(0),
  at: z.iso.datetime(),
  summary: z.string(),
};

const CallDetail = z.object({
  /** The CloudTrail event ID, or a digest of the record when it has none. */
  eventKey: z.string().min(1),
  eventName: z.string(),
  eventTime: z.iso.datetime(),
  sourceIp: z.string().nullable(),
});

export const CaseEntrySchema = z.discriminatedUnion('step', [
  z.object({
    ...base,
    step: z.literal('opened'),
    detail: CallDetail.extend({ ranking: RankingSchema, previousCaseId: z.string().nullable() }),
  }),
  /** A later call that matched a rule and joined the case without raising it. */
  z.object({ ...base, step: z.literal('detection'), detail: CallDetail.extend({ ranking: RankingSchema }) }),
  z.object({
    ...base,
    step: z.literal('raise'),
    detail: CallDetail.extend({ from: RankingSchema, to: RankingSchema, revision: z.number().int() }),
  }),
  z.object({ ...base, step: z.literal('confirm'), detail: shown<Confirmation>() }),
  /** Recorded before the first IAM change: what will change, and the state the undo restores. */
  z.object({
    ...base,
    step: z.literal('revoke-intent'),
    detail: z.object({
      revocationId: z.string(),
      label: z.string(),
      /** No human approved it: it counts against the blast-radius cap. */
      automatic: z.boolean(),
      approval: ApprovalSchema.nullable(),
      plan: shown<RevocationPlan>(),
      scope: IamScopeSchema,
      before: IamAccountStateSchema,
      actions: z.array(ActionSchema),
    }),
  }),
  /** One change made (or found already made), read back from IAM. */
  z.object({
    ...base,
    step: z.literal('iam-change'),
    detail: z.object({
      revocationId: z.string(),
      index: z.number().int().min(0),
      action: ActionSchema,
      status: z.enum(['applied', 'already-applied']),
      undo: z.array(ActionSchema),
    }),
  }),
  z.object({
    ...base,
    step: z.literal('revoked'),
    detail: z.object({
      revocationId: z.string(),
      record: AppliedPlanSchema,
      approval: ApprovalSchema.nullable(),
    }),
  }),
  /** Planned, and stopped for a human (a guard rail, or nothing automatic to do). */
  z.object({
    ...base,
    step: z.literal('revoke-held'),
    detail: z.object({ plan: shown<RevocationPlan>(), reason: z.string() }),
  }),
  z.object({ ...base, step: z.literal('dry-run'), detail: z.object({ plan: shown<RevocationPlan>() }) }),
  z.object({ ...base, step: z.literal('escalate'), detail: PendingEscalationSchema }),
  z.object({ ...base, step: z.literal('acknowledge'), detail: AnswerDetail }),
  z.object({
    ...base,
    step: z.literal('decision'),
    detail: AnswerDetail.extend({ answer: z.enum(['approve', 'reject']), reason: z.string() }),
  }),
  /** An answer Step Functions did not take (already answered, timed out). */
  z.object({
    ...base,
    step: z.literal('refused'),
    detail: z.object({ answerId: z.string(), approver: z.string(), reason: z.string() }),
  }),
  z.object({ ...base, step: z.literal('verify'), detail: shown<Verification>() }),
  /** A refinement's watch for access-denied errors after its policy went in. */
  z.object({
    ...base,
    step: z.literal('refinement-watch'),
    detail: z.object({
      status: z.enum(['clean', 'regressed', 'watching', 'unverified']),
      attempt: z.number().int().min(1),
      regressions: z.array(
        z.object({
          api: z.string(),
          action: z.string(),
          resource: z.string(),
          calls: z.number(),
          at: z.string(),
        }),
      ),
      explanation: z.string(),
    }),
  }),
  z.object({
    ...base,
    step: z.literal('offboard'),
    detail: z.object({
      inventory: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))),
      manualSteps: z.array(z.string()),
    }),
  }),
  z.object({
    ...base,
    step: z.literal('grant'),
    detail: z.object({ grant: GrantSchema, record: AppliedPlanSchema.nullable() }),
  }),
  z.object({
    ...base,
    step: z.literal('expire'),
    detail: z.object({
      grant: GrantSchema,
      kept: z.string().nullable(),
      sessions: z.number().int().min(0),
      needsHuman: z.array(z.string()),
    }),
  }),
  z.object({
    ...base,
    step: z.literal('undo'),
    detail: z.object({
      /** Revocations restored completely by this undo. */
      restored: z.array(z.string()),
      /** Changes reversed, in order. */
      reversed: z.array(z.string()),
      /** What stopped it halfway, if anything: the rest is still in place. */
      failure: z.string().nullable(),
    }),
  }),
  z.object({
    ...base,
    step: z.literal('close'),
    detail: z.object({ outcome: z.enum(OUTCOMES), reason: z.string() }),
  }),
]);
export type CaseEntry = z.output<typeof CaseEntrySchema>;
export type CaseStep = CaseEntry['step'];
export type EntryOf<S extends CaseStep> = Extract<CaseEntry, { step: S }>;

/** An entry before the store numbers it. */
export type NewCaseEntry = CaseEntry extends infer E ? (E extends CaseEntry ? Omit<E, 'seq'> : never) : never;

/** A case as stored: the header, the store's version of it, and the entries in order. */
export interface Case {
  header: CaseHeader;
  version: number;
  entries: CaseEntry[];
}

export function entriesOf<S extends CaseStep>(record: Case, step: S): EntryOf<S>[] {
  return record.entries.filter((entry): entry is EntryOf<S> => entry.step === step);
}

export function lastEntry<S extends CaseStep>(record: Case, step: S): EntryOf<S> | undefined {
  return entriesOf(record, step).at(-1);
}

export function isOpen(header: CaseHeader): boolean {
  return header.outcome === null;
}

/** Short, stable digests used in IDs and store keys. */
export function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

/**
 * The case a call opens: named after the credential and the call, so a retried opening by the
 * same call names the same case, and a later case of the credential gets a new name.
 */
export function caseIdFor(credentialId: string, eventKey: string): string {
  return digest(credentialId, eventKey);
}

export function executionNameOf(caseId: string): string {
  return `case-${caseId}`;
}

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };
const RESPONSE_RANK: Record<Response, number> = { notify: 0, escalate: 1, 'auto-revoke': 2 };

export function moreSevere(a: Severity, b: Severity): boolean {
  return SEVERITY_RANK[a] > SEVERITY_RANK[b];
}

export function stronger(a: Response, b: Response): boolean {
  return RESPONSE_RANK[a] > RESPONSE_RANK[b];
}

/**
 * Where the case stands after a call with this ranking: raised when the call's rule is more
 * severe or its response stronger (each only ever goes up), else null — the call just joins.
 * The standing names the most severe rule it holds (its severity's), and the call that raised it
 * last, which confirm judges. A finding raises a case its calls opened but never takes their
 * place: the calls carry what the principal's history can be weighed against.
 */
export function raisedStanding(current: Standing, call: Ranking, trigger: Trigger): Standing | null {
  const severer = moreSevere(call.severity, current.severity);
  const firmer = stronger(call.response, current.response);
  if (!severer && !firmer) return null;
  return {
    ruleId: severer ? call.ruleId : current.ruleId,
    severity: severer ? call.severity : current.severity,
    response: firmer ? call.response : current.response,
    trigger: trigger.finding && !current.trigger.finding ? current.trigger : trigger,
  };
}

export function rankingOf(standing: Standing): Ranking {
  return { ruleId: standing.ruleId, severity: standing.severity, response: standing.response };
}

export function describeRanking(ranking: Ranking): string {
  return `${ranking.ruleId} (${ranking.severity}, ${ranking.response})`;
}

/** The header of a case a call opens. */
export function openedHeader(opening: {
  caseId: string;
  origin: CaseOrigin;
  trigger: Trigger;
  ranking: Ranking;
  openedAt: string;
  previousCaseId: string | null;
  executionInput: Record<string, unknown>;
}): CaseHeader {
  return {
    caseId: opening.caseId,
    credentialId: opening.trigger.credentialId,
    origin: opening.origin,
    openedAt: opening.openedAt,
    trigger: opening.trigger,
    standing: { ...opening.ranking, trigger: opening.trigger },
    revision: 0,
    previousCaseId: opening.previousCaseId,
    outcome: null,
    closedAt: null,
    execution: { name: executionNameOf(opening.caseId), input: opening.executionInput, started: false },
  };
}

/** Lifecycle errors: a step asked of a case in a state that does not allow it. */
export class CaseStateError extends Error {
  override name = 'CaseStateError';
}

export function raiseHeader(header: CaseHeader, standing: Standing): CaseHeader {
  if (!isOpen(header)) throw new CaseStateError(`case ${header.caseId} is closed; it cannot be raised`);
  return { ...header, standing, revision: header.revision + 1 };
}

export function closeHeader(header: CaseHeader, outcome: Outcome, at: string): CaseHeader {
  if (!isOpen(header)) throw new CaseStateError(`case ${header.caseId} already closed as ${header.outcome}`);
  return { ...header, outcome, closedAt: at };
}

/** Entries that may follow an escalation while it still waits: calls, and answers that are not decisions. */
const WHILE_WAITING: ReadonlySet<CaseStep> = new Set(['detection', 'raise', 'acknowledge', 'refused']);

/**
 * The escalation the case waits on, if it waits: the last one, unless a decision on it, the
 * close, or any later step of the execution (a timeout moved it on) followed.
 */
export function pendingEscalation(record: Case): EntryOf<'escalate'> | null {
  if (!isOpen(record.header)) return null;
  const escalation = lastEntry(record, 'escalate');
  if (!escalation) return null;
  const movedOn = record.entries.some(
    (entry) => entry.seq > escalation.seq && !WHILE_WAITING.has(entry.step),
  );
  return movedOn ? null : escalation;
}

/** The decision recorded for an escalation (there is at most one: its ID is the escalation's). */
export function decisionOn(record: Case, escalationId: string): EntryOf<'decision'> | undefined {
  return entriesOf(record, 'decision').find((entry) => entry.detail.escalationId === escalationId);
}

/** IDs of answers; a decision is one per escalation, so concurrent answers record exactly one. */
export function decisionIdFor(escalationId: string): string {
  return `decision:${escalationId}`;
}

export type { Approval };

/**
 * What a store writes, checked first: an entry or header that would not read back is refused
 * before it is written, so nothing can make a case unreadable.
 */
export function checkedEntry(caseId: string, entry: NewCaseEntry): NewCaseEntry {
  const parsed = CaseEntrySchema.safeParse({ ...entry, seq: 0 });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CaseStateError(
      `case ${caseId}: refusing to write entry ${String(entry.id).slice(0, 80)} (${issue?.path.join('.')}: ${issue?.message})`,
    );
  }
  return entry;
}

export function checkedHeader(header: CaseHeader): CaseHeader {
  const parsed = CaseHeaderSchema.safeParse(header);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CaseStateError(
      `case ${String(header.caseId).slice(0, 80)}: refusing to write its header (${issue?.path.join('.')}: ${issue?.message})`,
    );
  }
  return header;
}

/** A stored case read back, checked against the schemas: a damaged record fails here, named. */
export function decodeCase(source: string, header: unknown, version: number, entries: unknown[]): Case {
  const parsedHeader = CaseHeaderSchema.safeParse(header);
  if (!parsedHeader.success)
    throw new CaseStateError(
      `${source}: the case header is damaged: ${parsedHeader.error.issues[0]?.message}`,
    );
  const parsedEntries = entries.map((entry, index) => {
    const parsed = CaseEntrySchema.safeParse(entry);
    if (!parsed.success) {
      const path = parsed.error.issues[0]?.path.join('.') ?? '';
      throw new CaseStateError(
        `${source}: entry ${index} is damaged (${path}: ${parsed.error.issues[0]?.message})`,
      );
    }
    return parsed.data;
  });
  parsedEntries.sort((a, b) => a.seq - b.seq);
  return { header: parsedHeader.data, version, entries: parsedEntries };
}

/** The case's evidence as an approver or a closing page needs it: verdict, findings, raises, history. */
export function evidenceFacts(record: Case): [string, string][] {
  const facts: [string, string][] = [];
  const { header } = record;
  facts.push(['Standing', describeRanking(rankingOf(header.standing))]);
  for (const raise of entriesOf(record, 'raise'))
    facts.push([
      `Raised at ${raise.detail.eventTime}`,
      `${raise.detail.eventName}: ${describeRanking(raise.detail.from)} → ${describeRanking(raise.detail.to)}`,
    ]);
  const joined = entriesOf(record, 'detection').length;
  if (joined > 0)
    facts.push(['Other calls', `${joined} more matching calls by the same credential joined the case`]);
  if (header.previousCaseId) facts.push(['Previous case', header.previousCaseId]);
  const confirm = lastEntry(record, 'confirm')?.detail;
  if (!confirm) return [...facts, ['Evidence', 'none gathered (this case skips confirmation)']];
  return [
    ...facts,
    ['Verdict', `${confirm.verdict}, score ${confirm.score}`],
    ['Evidence', confirm.explanation],
    ...confirm.signals
      .filter((signal) => signal.present)
      .map((signal): [string, string] => [`+${signal.points} ${signal.name}`, signal.finding]),
  ];
}
