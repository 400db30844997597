// The events each step reports, read from what it was given and what it returned, and the
// middleware that reports them without ever changing what the step does.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { CaseEvent } from '../../../../lib/domain/case-events.ts';
import { resolvePrincipal } from '../../../../lib/domain/principal.ts';
import { instanceCredentialsIamEscalation } from '../../../../lib/domain/rules.ts';
import { buildTrigger, principalArnOf } from '../../../../lib/domain/trigger.ts';
import {
  eventOfFailure,
  eventsAfter,
  eventsBefore,
  reportCaseEvents,
} from '../../../../lib/handlers/case-events.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { stolenInstanceCredentialsGrant } from '../../../fixtures/records.ts';

const record = stolenInstanceCredentialsGrant();
const resolution = resolvePrincipal(record.userIdentity);
if (!resolution.ok) throw new Error(resolution.reason);
const trigger = buildTrigger(instanceCredentialsIamEscalation, record, resolution.principal);
const subject = {
  caseId: 'case-1',
  rule: 'instance-credentials-iam-escalation',
  principal: principalArnOf(trigger.target),
  execution: 'case-case-1',
};
const tenMinutesLater = new Date(Date.parse(trigger.eventTime) + 10 * 60_000);
const revocation = (applied: boolean, statuses: string[]) => ({
  mode: applied ? 'enforce' : 'dry-run',
  applied,
  cutoff: trigger.eventTime,
  target: subject.principal,
  actions: statuses.map((status) => ({ description: 'deny older sessions', status })),
  escalationOnly: [],
  notes: [],
});

describe('the events a step reports', () => {
  it('revoke: a revocation that changed IAM, with the seconds since the call (time to deny)', () => {
    expect(
      eventsAfter(
        'revoke',
        { caseId: 'case-1', trigger, revision: 0 },
        revocation(true, ['applied', 'already-applied']),
        tenMinutesLater,
      ),
    ).toEqual([
      {
        level: 'info',
        ...subject,
        event: 'revoked',
        detail: { mode: 'enforce', changes: 1, secondsSinceCall: 600 },
      },
    ]);
  });

  it.each([
    ['a dry run', revocation(false, ['planned']), 'planned'],
    ['a revocation IAM already showed', revocation(true, ['already-applied']), 'already revoked'],
  ])('revoke: %s is not a revocation applied', (_what, result, event) => {
    const [reported] = eventsAfter('revoke', { caseId: 'case-1', trigger }, result, tenMinutesLater);

    expect(reported?.event).toBe(event);
  });

  it('revoke after an escalation timed out: the decision deadline was missed, whatever revoke then does', () => {
    const input = { caseId: 'case-1', trigger, revision: 0, approval: { decision: 'timed-out', reason: '' } };

    expect(eventsBefore('revoke', input)).toEqual([
      { level: 'warn', ...subject, event: 'decision deadline missed', detail: { onTimeout: 'revoke' } },
    ]);
    expect(eventsBefore('revoke', { ...input, approval: { decision: 'approved' } })).toEqual([]);
    expect(eventsBefore('verify', input)).toEqual([]);
  });

  it('confirm: the case as it stands, from the trigger confirm judged', () => {
    const raised = { ...trigger, ruleId: 'cloudtrail-stopped-or-deleted' };

    expect(
      eventsAfter(
        'confirm',
        { caseId: 'case-1', trigger },
        { verdict: 'confirmed', score: 90, decision: 'revoke', trigger: raised, evidence: [] },
        tenMinutesLater,
      ),
    ).toEqual([
      {
        level: 'info',
        ...subject,
        rule: 'cloudtrail-stopped-or-deleted',
        event: 'confirmed',
        detail: { verdict: 'confirmed', score: 90, decision: 'revoke' },
      },
    ]);
  });

  it('a refinement step names its step, not a revocation', () => {
    expect(
      eventsAfter(
        'verify',
        { caseId: 'case-1', refinementStep: 'watch' },
        { status: 'clean' },
        tenMinutesLater,
      ),
    ).toEqual([
      {
        level: 'info',
        caseId: 'case-1',
        rule: null,
        principal: null,
        execution: 'case-case-1',
        event: 'refinement watch',
        detail: { status: 'clean' },
      },
    ]);
  });

  it('grant: an announcement no request recorded is a dead letter', () => {
    expect(
      eventsAfter('grant', {}, { status: 'rejected', reason: 'no grant request' }, tenMinutesLater),
    ).toEqual([
      {
        level: 'warn',
        caseId: null,
        rule: null,
        principal: null,
        execution: null,
        event: 'dead letter',
        detail: { reason: 'no grant request' },
      },
    ]);
  });

  it('the approval page: method and status, never the signed link', () => {
    const [reported] = eventsAfter(
      'approval',
      {
        requestContext: { http: { method: 'GET' } },
        rawPath: '/',
        rawQueryString: 'link=secret-signed-link',
        queryStringParameters: { link: 'secret-signed-link' },
      },
      { statusCode: 200, body: '<html>' },
      tenMinutesLater,
    );

    expect(reported?.detail).toEqual({ method: 'GET', path: null, status: 200 });
    expect(JSON.stringify(reported)).not.toContain('secret-signed-link');
  });

  it('a step that throws: its case and the error', () => {
    expect(eventOfFailure({ caseId: 'case-1', trigger }, new RangeError('too far'))).toEqual({
      level: 'error',
      ...subject,
      event: 'step failed',
      detail: { error: 'RangeError', cause: 'too far' },
    });
  });

  it('an input or result of another shape reports nothing rather than guess', () => {
    expect(eventsAfter('close', 'not an object', { unexpected: true }, tenMinutesLater)).toEqual([]);
    expect(eventsAfter('detect', {}, null, tenMinutesLater)).toEqual([]);
  });
});

describe('reportCaseEvents', () => {
  const clock = new SimulatedClock(tenMinutesLater);

  it('hands each event to the telemetry with its step', async () => {
    const recorded: CaseEvent[] = [];
    const handler = middy(async () => revocation(true, ['applied'])).use(
      reportCaseEvents('revoke', { record: (event) => recorded.push(event) }, clock),
    );

    await handler({ caseId: 'case-1', trigger, approval: { decision: 'timed-out' } }, {} as Context);

    expect(recorded.map((event) => [event.step, event.event])).toEqual([
      ['revoke', 'decision deadline missed'],
      ['revoke', 'revoked'],
    ]);
  });

  it('never fails or changes a step when reporting fails', async () => {
    const broken = {
      record: () => {
        throw new Error('stdout is gone');
      },
    };
    const succeeding = middy(async () => revocation(true, ['applied'])).use(
      reportCaseEvents('revoke', broken, clock),
    );
    const failing = middy(async () => {
      throw new Error('IAM said no');
    }).use(reportCaseEvents('revoke', broken, clock));
    const errors: string[] = [];
    const saved = console.error;
    console.error = (line: string) => errors.push(line);

    try {
      await expect(succeeding({ caseId: 'case-1', trigger }, {} as Context)).resolves.toMatchObject({
        applied: true,
      });
      await expect(failing({ caseId: 'case-1', trigger }, {} as Context)).rejects.toThrow('IAM said no');
    } finally {
      console.error = saved;
    }

    expect(errors).toEqual([
      'revoker revoke: an event could not be reported (stdout is gone)',
      'revoker revoke: an event could not be reported (stdout is gone)',
    ]);
  });
});
