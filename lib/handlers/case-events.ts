// The events a step reports, read at the edge from what the step was given and what it returned
// (no use case carries a logger), and the middy middleware that hands them to a Telemetry port:
// Powertools deployed (observed.ts), stderr locally. Reporting never fails or changes a step.
import type { MiddlewareObj } from '@middy/core';
import * as z from 'zod';
import { executionNameOf } from '../domain/case.ts';
import type { CaseEvent, Step } from '../domain/case-events.ts';
import { principalArnOf, type Trigger, TriggerSchema } from '../domain/trigger.ts';
import type { Clock, Telemetry } from '../ports.ts';

type Subject = Pick<CaseEvent, 'caseId' | 'rule' | 'principal' | 'execution'>;

const NO_SUBJECT: Subject = { caseId: null, rule: null, principal: null, execution: null };

/** The case a step's input names, when it names one; nothing else is read from it. */
const CaseInputSchema = z.looseObject({ caseId: z.string().min(1), trigger: z.unknown().optional() });

function subjectOf(caseId: string | null, trigger: unknown): Subject {
  const parsed = TriggerSchema.safeParse(trigger);
  const known: Trigger | null = parsed.success ? parsed.data : null;
  return {
    caseId,
    rule: known?.ruleId ?? null,
    principal: known ? principalArnOf(known.target) : null,
    execution: caseId ? executionNameOf(caseId) : null,
  };
}

function inputSubject(input: unknown): Subject {
  const parsed = CaseInputSchema.safeParse(input);
  return parsed.success ? subjectOf(parsed.data.caseId, parsed.data.trigger) : NO_SUBJECT;
}

/** Whole seconds from the call the case stands on to now; null when the input names no call. */
function secondsSinceCall(input: unknown, now: Date): number | null {
  const parsed = z.object({ trigger: z.object({ eventTime: z.iso.datetime() }) }).safeParse(input);
  if (!parsed.success) return null;
  return Math.max(0, Math.round((now.getTime() - Date.parse(parsed.data.trigger.eventTime)) / 1000));
}

const DetectOutcomesSchema = z.array(
  z.union([
    z.object({
      status: z.enum(['opened', 'joined', 'raised', 'duplicate']),
      caseId: z.string().nullable(),
      ruleId: z.string(),
      alsoMatched: z.array(z.string()),
      trigger: z.unknown(),
    }),
    z.object({ status: z.literal('no-match'), reason: z.string() }),
    z.object({ status: z.literal('rejected'), reason: z.string() }),
  ]),
);

/** What a revoking step returns (revoke, offboard, a grant's end). */
const RevocationSchema = z.object({
  mode: z.string(),
  applied: z.boolean(),
  actions: z.array(z.object({ status: z.string() })),
  kept: z.string().nullable().optional(),
});

const RefinementStepSchema = z.object({ caseId: z.string(), refinementStep: z.string() });

const HttpRequestSchema = z.looseObject({
  requestContext: z.looseObject({ http: z.looseObject({ method: z.string() }) }),
  rawPath: z.string().optional(),
});

type Draft = Omit<CaseEvent, 'step'>;

function info(subject: Subject, event: string, detail: CaseEvent['detail'] = {}): Draft {
  return { level: 'info', ...subject, event, detail };
}

function detectEvents(result: unknown): Draft[] {
  const outcomes = DetectOutcomesSchema.safeParse(result);
  if (!outcomes.success) return [];
  return outcomes.data.map((outcome) => {
    if (outcome.status === 'rejected')
      return { level: 'warn', ...NO_SUBJECT, event: 'dead letter', detail: { reason: outcome.reason } };
    if (outcome.status === 'no-match')
      return { level: 'debug', ...NO_SUBJECT, event: 'no match', detail: { reason: outcome.reason } };
    const subject = { ...subjectOf(outcome.caseId, outcome.trigger), rule: outcome.ruleId };
    return info(subject, outcome.status === 'duplicate' ? 'delivered again' : `case ${outcome.status}`, {
      alsoMatched: outcome.alsoMatched.join(',') || null,
    });
  });
}

function revocationEvents(input: unknown, result: unknown, now: Date): Draft[] {
  const revocation = RevocationSchema.safeParse(result);
  if (!revocation.success) return [];
  const { mode, applied, actions, kept } = revocation.data;
  const changes = actions.filter((action) => action.status === 'applied').length;
  const subject = inputSubject(input);
  if (!applied) return [info(subject, 'planned', { mode, actions: actions.length })];
  if (changes === 0) return [info(subject, 'already revoked', { mode, kept: kept ?? null })];
  return [info(subject, 'revoked', { mode, changes, secondsSinceCall: secondsSinceCall(input, now) })];
}

/** The events of a step that returned `result` for `input`. */
export function eventsAfter(step: Step, input: unknown, result: unknown, now: Date): Draft[] {
  const refinement = RefinementStepSchema.safeParse(input);
  if (refinement.success && (step === 'revoke' || step === 'verify')) {
    const status = z.object({ status: z.string() }).safeParse(result);
    return [
      info(inputSubject(input), `refinement ${refinement.data.refinementStep}`, {
        status: status.success ? status.data.status : null,
      }),
    ];
  }
  switch (step) {
    case 'detect':
      return detectEvents(result);
    case 'confirm': {
      const confirmed = z
        .object({ verdict: z.string(), score: z.number(), decision: z.string(), trigger: z.unknown() })
        .safeParse(result);
      if (!confirmed.success) return [];
      const { verdict, score, decision, trigger } = confirmed.data;
      // The case as it stands now: a raise since it opened changes its rule.
      return [
        info(subjectOf(inputSubject(input).caseId, trigger), 'confirmed', { verdict, score, decision }),
      ];
    }
    case 'escalate': {
      const escalation = z.object({ approvers: z.array(z.string()), decideBy: z.string() }).safeParse(result);
      const from = z.object({ escalation: z.object({ from: z.string() }) }).safeParse(input);
      if (!escalation.success) return [];
      return [
        info(inputSubject(input), 'escalated', {
          from: from.success ? from.data.escalation.from : null,
          approvers: escalation.data.approvers.length,
          decideBy: escalation.data.decideBy,
        }),
      ];
    }
    case 'revoke':
    case 'offboard':
    case 'expire-grant':
      return revocationEvents(input, result, now);
    case 'verify': {
      const verified = z
        .object({ status: z.string(), attempt: z.number(), retry: z.boolean() })
        .safeParse(result);
      if (!verified.success) return [];
      return [info(inputSubject(input), 'verified', verified.data)];
    }
    case 'close': {
      const closed = z.object({ outcome: z.string().nullable(), raised: z.boolean() }).safeParse(result);
      if (!closed.success) return [];
      const failure = z.object({ error: z.object({ Error: z.string() }) }).safeParse(input);
      if (closed.data.raised) return [info(inputSubject(input), 'reconsidered')];
      return [
        info(inputSubject(input), 'closed', {
          outcome: closed.data.outcome,
          failed: failure.success,
          error: failure.success ? failure.data.error.Error : null,
          secondsSinceCall: secondsSinceCall(input, now),
        }),
      ];
    }
    case 'grant': {
      const taken = z.object({ status: z.string(), reason: z.string() }).safeParse(result);
      if (!taken.success) return [];
      if (taken.data.status === 'rejected')
        return [
          { level: 'warn', ...NO_SUBJECT, event: 'dead letter', detail: { reason: taken.data.reason } },
        ];
      return [info(NO_SUBJECT, `grant announcement ${taken.data.status}`, { reason: taken.data.reason })];
    }
    case 'heartbeat': {
      const beat = z
        .object({ pinged: z.array(z.string()), grantsEnded: z.array(z.string()) })
        .safeParse(result);
      if (!beat.success) return [];
      return [
        info(NO_SUBJECT, 'heartbeat', {
          regions: beat.data.pinged.join(','),
          grantsEnded: beat.data.grantsEnded.length,
        }),
      ];
    }
    case 'operator':
    case 'approval': {
      // The method, the route and the status only: the approval page's query holds a signed link.
      const request = HttpRequestSchema.safeParse(input);
      const status = z.object({ statusCode: z.number() }).safeParse(result);
      return [
        info(NO_SUBJECT, `${step} request`, {
          method: request.success ? request.data.requestContext.http.method : null,
          path: step === 'operator' && request.success ? (request.data.rawPath ?? null) : null,
          status: status.success ? status.data.statusCode : null,
        }),
      ];
    }
  }
}

/**
 * Events known before the step runs: its input says the escalation's decision deadline passed
 * (a revocation the timeout started, or a case closing as expired). Counted whatever the step
 * then does; a retried task counts it again.
 */
export function eventsBefore(step: Step, input: unknown): Draft[] {
  const timedOut =
    (['revoke', 'offboard', 'expire-grant'] as Step[]).includes(step) &&
    z.object({ approval: z.object({ decision: z.literal('timed-out') }) }).safeParse(input).success;
  const expired =
    step === 'close' &&
    z.object({ closing: z.object({ outcome: z.literal('expired') }) }).safeParse(input).success;
  if (!timedOut && !expired) return [];
  return [
    {
      level: 'warn',
      ...inputSubject(input),
      event: 'decision deadline missed',
      detail: { onTimeout: timedOut ? 'revoke' : 'expire' },
    },
  ];
}

/** The event of a step that threw: the Lambda's error alarm pages; this says which case. */
export function eventOfFailure(input: unknown, error: unknown): Draft {
  const named = error instanceof Error ? error : new Error(String(error));
  return {
    level: 'error',
    ...inputSubject(input),
    event: 'step failed',
    detail: { error: named.name, cause: named.message.slice(0, 1000) },
  };
}

/**
 * The middleware that reports `step`'s events. A report that cannot be made is dropped (with
 * a line saying so): telemetry never fails, retries or changes a step.
 */
export function reportCaseEvents(step: Step, telemetry: Telemetry, clock: Clock): MiddlewareObj {
  const report = (drafts: () => Draft[]) => {
    try {
      for (const draft of drafts()) telemetry.record({ step, ...draft });
    } catch (error) {
      console.error(`revoker ${step}: an event could not be reported (${(error as Error).message})`);
    }
  };
  return {
    name: 'revoker-case-events',
    before: (request) => report(() => eventsBefore(step, request.event)),
    after: (request) => report(() => eventsAfter(step, request.event, request.response, clock.now())),
    onError: (request) => report(() => [eventOfFailure(request.event, request.error)]),
  };
}
