// Every branch of statemachines/revocation.asl.json, run by the local runner. The definition
// is the thing under test: its tasks answer from a script (the handlers have their own tests),
// the callback task waits on the real local task tokens, and each test asserts the path from
// the execution history (and, where the definition moves data, what each task was given). The
// state transitions each path costs are printed at the end.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../../lib/local/pipeline.ts';
import { type LocalFunction, LocalStateMachine } from '../../../lib/local/state-machine.ts';
import { LocalTaskCallbacks } from '../../../lib/local/task-callbacks.ts';
import { REJECTED_ERROR } from '../../../lib/usecases/answer-escalation.ts';
import { RAISED_ERROR } from '../../../lib/usecases/cases.ts';
import { RevocationNeedsHumanError } from '../../../lib/usecases/revoke.ts';
import { ESCALATED_AND_APPROVED } from '../../fixtures/workflow.ts';

const SETTINGS = {
  logDeliveryWaitSeconds: 300,
  maxVerifyAttempts: 3,
  acknowledgeTimeoutSeconds: 900,
  approvalTimeoutSeconds: 3600,
  onApprovalTimeout: 'expire',
};

/** The call the execution starts with: the one that opened the case. */
const OPENING = { ruleId: 'scripted', eventName: 'SendCommand' };
/** The call that raised the case while it was being decided. */
const RAISING = { ruleId: 'scripted-critical', eventName: 'StopLogging' };

/** Where confirm found the case standing: its revision, the call it stands on, that severity's settings. */
interface Standing {
  revision: number;
  trigger: Record<string, unknown>;
  settings: typeof SETTINGS;
}

const confirmed = (decision: string, standing: Partial<Standing> = {}) => ({
  verdict: decision === 'close' ? 'benign' : 'confirmed',
  score: 80,
  explanation: 'scripted evidence',
  decision,
  decisionReason: `scripted decision ${decision}`,
  signals: [],
  bytesScanned: null,
  revision: 0,
  trigger: OPENING,
  settings: SETTINGS,
  ...standing,
});
/** Confirm again after a raise: the case now stands on the raising call, one revision on. */
const reconfirmed = (decision: string) => confirmed(decision, { revision: 1, trigger: RAISING });
const revoked = (applied = true) => ({
  mode: applied ? 'enforce' : 'dry-run',
  applied,
  cutoff: '2026-01-15T12:00:00.000Z',
  target: 'arn:aws:iam::111122223333:role/app',
  actions: [],
  escalationOnly: [],
  notes: [],
});
const verified = (status: string, retry = false) => ({
  status,
  attempt: 1,
  retry,
  explanation: `scripted ${status}`,
  watermarks: [],
  succeeded: status === 'still-active' ? 3 : 0,
  denied: 0,
});

type Step = unknown | Error;

/** Each task answers with the next scripted result; an Error is thrown, as a failing Lambda's is. */
function scripted(results: Step[]): LocalFunction {
  let next = 0;
  return async () => {
    const result = results[Math.min(next++, results.length - 1)];
    if (result instanceof Error) throw result;
    return result;
  };
}

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

interface Script {
  confirm?: Step[];
  /** Start as an offboarding request instead of a detection. */
  offboarding?: boolean;
  offboard?: Step[];
  /** Start as a just-in-time grant's end instead of a detection. */
  grant?: boolean;
  expireGrant?: Step[];
  /** Called each time the expire-grant task runs. */
  onAttempt?: () => void;
  revoke?: Step[];
  verify?: Step[];
  close?: Step[];
  escalate?: Step[];
  /** The execution's input settings (a detection goes on with the settings its confirmation returns). */
  settings?: Partial<typeof SETTINGS>;
  /** What the on-call does once paged: answer through the callback API, or let time pass. */
  onPage?: (page: {
    token: string;
    callbacks: LocalTaskCallbacks;
    clock: SimulatedClock;
    /** 0 for the first page of the execution, 1 for the next... */
    index: number;
  }) => Promise<void>;
}

/** What each task was given, in order: the payloads, as the definition built them. */
type Calls = Record<'confirm' | 'revoke' | 'verify' | 'escalate' | 'close', Record<string, unknown>[]>;

const costs = new Map<string, number>();

async function run(title: string, script: Script) {
  const clock = new SimulatedClock(new Date('2026-01-15T12:00:00Z'));
  const callbacks = new LocalTaskCallbacks(mkdtempSync(join(tmpdir(), 'revoker-callbacks-')), clock, 5);
  const pages: string[] = [];
  const calls: Calls = { confirm: [], revoke: [], verify: [], escalate: [], close: [] };
  const recorded = (task: keyof Calls, fn: LocalFunction): LocalFunction => {
    return async (payload) => {
      calls[task].push(payload as Record<string, unknown>);
      return fn(payload);
    };
  };
  const escalate = scripted(script.escalate ?? [{ paged: true }]);
  const expireGrant = scripted(
    script.expireGrant ?? [{ ...revoked(), verify: [], kept: null, sessionsToVerify: 0 }],
  );
  const machine = new LocalStateMachine(
    {
      confirm: recorded(
        'confirm',
        scripted(script.confirm ?? [named('UnexpectedConfirmError', 'an offboarding needs no evidence')]),
      ),
      offboard: scripted(script.offboard ?? [{ ...revoked(), verify: [] }]),
      expireGrant: async (payload) => {
        script.onAttempt?.();
        return expireGrant(payload);
      },
      revoke: recorded('revoke', scripted(script.revoke ?? [revoked()])),
      verify: recorded('verify', scripted(script.verify ?? [verified('contained')])),
      escalate: recorded('escalate', async (payload) => {
        const result = await escalate(payload);
        const token = (payload as { taskToken: string }).taskToken;
        pages.push(token);
        void script.onPage?.({ token, callbacks, clock, index: pages.length - 1 });
        return result;
      }),
      close: recorded(
        'close',
        scripted(script.close ?? [{ caseId: 'case-1', outcome: 'scripted', raised: false }]),
      ),
    },
    callbacks,
  );
  const execution = machine.start(title, {
    caseId: 'case-1',
    revision: 0,
    trigger: OPENING,
    ...(script.offboarding ? { offboarding: { person: 'alice', accountId: '111122223333' } } : {}),
    ...(script.grant ? { grant: { grantId: 'jit-0123456789abcdef01234567' } } : {}),
    settings: { ...SETTINGS, ...script.settings },
  });
  let output: Record<string, unknown> | null = null;
  let failure: Error | null = null;
  try {
    output = (await execution.output) as Record<string, unknown>;
  } catch (error) {
    failure = error as Error;
  }
  const path = execution.history
    .filter((event) => event.type === 'StateEntered')
    .map((event) => event.state!);
  costs.set(title, path.length);
  return { path, output, failure, pages, calls };
}

const approve = ({ token, callbacks }: { token: string; callbacks: LocalTaskCallbacks }) =>
  callbacks.succeed(token, {
    decision: 'approved',
    approver: 'oncall@example.com',
    at: '2026-01-15T12:05:00Z',
  });

describe('the revocation state machine, branch by branch', () => {
  it('closes a benign case without touching IAM', async () => {
    const { path, output } = await run('benign', { confirm: [confirmed('close')] });

    expect(path).toEqual([
      'Origin',
      'Confirm',
      'Standing',
      'Decide',
      'MarkBenign',
      'Close',
      'Raised?',
      'Closed',
    ]);
    expect(output?.closing).toEqual({ outcome: 'benign', reason: 'scripted evidence' });
  });

  it('tells people and closes when the rule only notifies', async () => {
    const { path, output } = await run('notify only', { confirm: [confirmed('notify')] });

    expect(path).toEqual([
      'Origin',
      'Confirm',
      'Standing',
      'Decide',
      'MarkNotified',
      'Close',
      'Raised?',
      'Closed',
    ]);
    expect(output?.closing).toMatchObject({ outcome: 'notified' });
  });

  it('revokes, waits for the logs, verifies and closes as contained', async () => {
    const { path } = await run('automatic containment', {
      confirm: [confirmed('revoke')],
      verify: [verified('not-yet', true), verified('contained')],
    });

    expect(path).toEqual([
      'Origin',
      'Confirm',
      'Standing',
      'Decide',
      'Revoke',
      'RevokedOrPlanned',
      'WaitForLogDelivery',
      'Verify',
      'Contained?',
      'WaitForLogDelivery',
      'Verify',
      'Contained?',
      'MarkContained',
      'Close',
      'Raised?',
      'Closed',
    ]);
  });

  it('calls denied attempts after the cutoff contained: the access is gone', async () => {
    const { path } = await run('attempts denied', {
      confirm: [confirmed('revoke')],
      verify: [verified('attempts-denied')],
    });

    expect(path.slice(-5)).toEqual(['Contained?', 'MarkContained', 'Close', 'Raised?', 'Closed']);
  });

  it('hands the case to a human when the logs never catch up', async () => {
    const { path, output } = await run('logs never caught up', {
      confirm: [confirmed('revoke')],
      verify: [verified('not-yet', false)],
    });

    expect(path.slice(-5)).toEqual(['Contained?', 'MarkUnverified', 'Close', 'Raised?', 'Closed']);
    expect(output?.closing).toMatchObject({ outcome: 'needs-human' });
  });

  it('records a dry run without verifying anything', async () => {
    const { path } = await run('dry run', { confirm: [confirmed('revoke')], revoke: [revoked(false)] });

    expect(path).toEqual([
      'Origin',
      'Confirm',
      'Standing',
      'Decide',
      'Revoke',
      'RevokedOrPlanned',
      'MarkDryRun',
      'Close',
      'Raised?',
      'Closed',
    ]);
  });

  it('asks a human when confirmation does not allow revoking, and revokes once approved', async () => {
    const { path, output, pages } = await run('escalated and approved', {
      confirm: [confirmed('escalate')],
      onPage: approve,
    });

    expect(path.slice(0, ESCALATED_AND_APPROVED.length + 1)).toEqual([
      ...ESCALATED_AND_APPROVED,
      'RevokedOrPlanned',
    ]);
    expect(path.slice(-4)).toEqual(['MarkContained', 'Close', 'Raised?', 'Closed']);
    expect(pages).toHaveLength(1);
    expect(output?.escalation).toEqual({ from: 'confirm', reason: 'scripted decision escalate' });
    expect(output?.approval).toMatchObject({ decision: 'approved', approver: 'oncall@example.com' });
  });

  it('closes as rejected when the on-call rejects, with their reason', async () => {
    const { path, output } = await run('escalated and rejected', {
      confirm: [confirmed('escalate')],
      onPage: ({ token, callbacks }) =>
        callbacks.fail(token, REJECTED_ERROR, 'Rejected by oncall@example.com: a planned pentest'),
    });

    expect(path.slice(-5)).toEqual(['Escalate', 'MarkRejected', 'Close', 'Raised?', 'Closed']);
    expect(path).not.toContain('Revoke');
    expect(output?.closing).toEqual({
      outcome: 'rejected',
      reason: 'Rejected by oncall@example.com: a planned pentest',
    });
  });

  it('closes as expired when nobody decides and the severity says expire', async () => {
    const { path, output } = await run('escalation expired', {
      confirm: [confirmed('escalate')],
      onPage: async ({ token, callbacks, clock }) => {
        await callbacks.heartbeat(token);
        clock.advance(SETTINGS.approvalTimeoutSeconds);
      },
    });

    expect(path.slice(-6)).toEqual([
      'Escalate',
      'ApprovalTimedOut',
      'MarkExpired',
      'Close',
      'Raised?',
      'Closed',
    ]);
    expect(output?.closing).toMatchObject({ outcome: 'expired' });
  });

  it('revokes on timeout when the severity says revoke, with the timeout as the answer', async () => {
    // The settings are the ones confirm returns for the severity the case stands at, not the input's.
    const { path, output } = await run('escalation timed out: revoke', {
      confirm: [confirmed('escalate', { settings: { ...SETTINGS, onApprovalTimeout: 'revoke' } })],
      onPage: async ({ clock }) => clock.advance(SETTINGS.approvalTimeoutSeconds),
    });

    expect(path.slice(5, 10)).toEqual([
      'Escalate',
      'ApprovalTimedOut',
      'RevokeOnTimeout',
      'Approved',
      'Revoke',
    ]);
    expect(output?.approval).toMatchObject({ decision: 'timed-out' });
  });

  it('times out early when nobody acknowledges the page', async () => {
    const { path, output } = await run('page not acknowledged', {
      confirm: [confirmed('escalate')],
      onPage: async ({ clock }) => clock.advance(SETTINGS.acknowledgeTimeoutSeconds),
    });

    expect(path.slice(-6)).toEqual([
      'Escalate',
      'ApprovalTimedOut',
      'MarkExpired',
      'Close',
      'Raised?',
      'Closed',
    ]);
    expect(output?.approvalTimeout).toMatchObject({ Error: 'States.HeartbeatTimeout' });
  });

  it('asks a human when a guard rail stops the revocation, and revokes once approved', async () => {
    const { path, output } = await run('guard rail, then approved', {
      confirm: [confirmed('revoke')],
      revoke: [new RevocationNeedsHumanError('5 automatic revocations reach the cap'), revoked()],
      onPage: approve,
    });

    expect(path.slice(0, 10)).toEqual([
      'Origin',
      'Confirm',
      'Standing',
      'Decide',
      'Revoke',
      'RevokeRefused',
      'EscalateAfterRevoke',
      'Escalate',
      'Approved',
      'Revoke',
    ]);
    expect(output?.escalation).toMatchObject({
      from: 'revoke',
      reason: expect.stringContaining('reach the cap'),
    });
  });

  it('closes for a human when even an approved revocation cannot run', async () => {
    const { path, output } = await run('approved but not revocable', {
      confirm: [confirmed('escalate')],
      revoke: [new RevocationNeedsHumanError('no automatic action: the root user')],
      onPage: approve,
    });

    expect(path.slice(-6)).toEqual([
      'Revoke',
      'RevokeRefused',
      'MarkRefusedAfterApproval',
      'Close',
      'Raised?',
      'Closed',
    ]);
    expect(output?.closing).toMatchObject({ outcome: 'needs-human' });
  });

  it('escalates when the revoked credentials still work after the cutoff', async () => {
    const { path, pages } = await run('still active after revocation', {
      confirm: [confirmed('revoke')],
      verify: [verified('still-active'), verified('contained')],
      onPage: approve,
    });

    expect(path).toContain('EscalateAfterVerify');
    expect(path.slice(path.indexOf('EscalateAfterVerify'), path.indexOf('EscalateAfterVerify') + 4)).toEqual([
      'EscalateAfterVerify',
      'Escalate',
      'Approved',
      'Revoke',
    ]);
    expect(path.slice(-4)).toEqual(['MarkContained', 'Close', 'Raised?', 'Closed']);
    expect(pages).toHaveLength(1);
  });

  it('reconsiders a case raised while it waits for the on-call, and goes on as it now stands', async () => {
    const { path, output, pages, calls } = await run('raised while waiting', {
      confirm: [confirmed('escalate'), reconfirmed('revoke')],
      // Detect took in a higher-ranked call by the same credential and failed the wait.
      onPage: ({ token, callbacks }) =>
        callbacks.fail(token, RAISED_ERROR, 'Case case-1 was raised while it waited for a decision'),
    });

    expect(path).toEqual([
      'Origin',
      'Confirm',
      'Standing',
      'Decide',
      'EscalateAfterConfirm',
      'Escalate',
      'Reconsider',
      'Confirm',
      'Standing',
      'Decide',
      'Revoke',
      'RevokedOrPlanned',
      'WaitForLogDelivery',
      'Verify',
      'Contained?',
      'MarkContained',
      'Close',
      'Raised?',
      'Closed',
    ]);
    expect(pages).toHaveLength(1);
    // Paged on the opening call's decision, at its revision...
    expect(calls.escalate[0]).toMatchObject({ revision: 0, trigger: OPENING });
    // ...confirmed again with nothing carried over from that decision...
    expect(calls.confirm[1]).toEqual({ caseId: 'case-1', revision: 0, trigger: OPENING, settings: SETTINGS });
    // ...then revoked and closed on the raising call, at the revision confirm found.
    expect(calls.revoke[0]).toMatchObject({ revision: 1, trigger: RAISING });
    expect(calls.close).toHaveLength(1);
    expect(calls.close[0]).toMatchObject({
      revision: 1,
      trigger: RAISING,
      closing: { outcome: 'contained' },
    });
    expect(output).not.toHaveProperty('escalation');
    expect(output).not.toHaveProperty('raise');
    expect(output?.confirmation).toMatchObject({ decision: 'revoke', revision: 1 });
  });

  it('reconsiders a case its close finds raised since the decision, then closes it', async () => {
    const { path, output, calls } = await run('raised before the close', {
      // A notify-only call opened it; a critical call by the same credential arrived before the close.
      confirm: [confirmed('notify'), reconfirmed('revoke')],
      close: [
        { caseId: 'case-1', outcome: null, raised: true },
        { caseId: 'case-1', outcome: 'contained', raised: false },
      ],
    });

    expect(path).toEqual([
      'Origin',
      'Confirm',
      'Standing',
      'Decide',
      'MarkNotified',
      'Close',
      'Raised?',
      'Reconsider',
      'Confirm',
      'Standing',
      'Decide',
      'Revoke',
      'RevokedOrPlanned',
      'WaitForLogDelivery',
      'Verify',
      'Contained?',
      'MarkContained',
      'Close',
      'Raised?',
      'Closed',
    ]);
    // The first close was asked on revision 0, the one that held on revision 1.
    expect(
      calls.close.map((payload) => [payload.revision, (payload.closing as { outcome: string }).outcome]),
    ).toEqual([
      [0, 'notified'],
      [1, 'contained'],
    ]);
    expect(calls.confirm[1]).toEqual({ caseId: 'case-1', revision: 0, trigger: OPENING, settings: SETTINGS });
    expect(output?.closed).toEqual({ caseId: 'case-1', outcome: 'contained', raised: false });
    expect(output?.closing).toMatchObject({ outcome: 'contained' });
  });

  it('reconsiders a case escalate finds raised before it could page, and pages on the case as it stands', async () => {
    const { path, pages, calls } = await run('raised before the page', {
      confirm: [confirmed('escalate'), reconfirmed('escalate')],
      // Escalate's own invocation fails: the case's revision moved past the one it was given.
      escalate: [
        named(RAISED_ERROR, 'case case-1 was raised after its decision (revision 0)'),
        { paged: true },
      ],
      onPage: approve,
    });

    expect(path.slice(0, 14)).toEqual([
      'Origin',
      'Confirm',
      'Standing',
      'Decide',
      'EscalateAfterConfirm',
      'Escalate',
      'Reconsider',
      'Confirm',
      'Standing',
      'Decide',
      'EscalateAfterConfirm',
      'Escalate',
      'Approved',
      'Revoke',
    ]);
    expect(path.slice(-4)).toEqual(['MarkContained', 'Close', 'Raised?', 'Closed']);
    // One page only, on the raised case: the first invocation paged nobody.
    expect(pages).toHaveLength(1);
    expect(
      calls.escalate.map((payload) => [payload.revision, (payload.trigger as typeof RAISING).ruleId]),
    ).toEqual([
      [0, 'scripted'],
      [1, 'scripted-critical'],
    ]);
    expect(calls.close[0]).toMatchObject({ revision: 1, closing: { outcome: 'contained' } });
  });

  it('offboards a person without confirming anything, then verifies', async () => {
    const { path, output } = await run('offboarding', { offboarding: true });

    expect(path).toEqual([
      'Origin',
      'Offboard',
      'RevokedOrPlanned',
      'WaitForLogDelivery',
      'Verify',
      'Contained?',
      'MarkContained',
      'Close',
      'Raised?',
      'Closed',
    ]);
    expect(output?.revocation).toMatchObject({ applied: true, verify: [] });
  });

  it('asks a human when nothing a person holds can be revoked automatically, and offboards again once approved', async () => {
    const { path } = await run('offboarding needs a human', {
      offboarding: true,
      offboard: [
        new RevocationNeedsHumanError('nothing alice holds could be revoked automatically'),
        { ...revoked(), verify: [] },
      ],
      onPage: approve,
    });

    expect(path.slice(0, 8)).toEqual([
      'Origin',
      'Offboard',
      'RevokeRefused',
      'EscalateAfterRevoke',
      'Escalate',
      'Approved',
      'Offboard',
      'RevokedOrPlanned',
    ]);
  });

  it('ends a just-in-time grant without confirming anything, then verifies the sessions it issued', async () => {
    const sessions = [
      { principal: 'arn:aws:iam::111122223333:role/ops', sourceIdentity: '', sessionUserId: 'AROA1:alice' },
    ];
    const { path } = await run('grant ends', {
      grant: true,
      expireGrant: [{ ...revoked(), verify: sessions, kept: null, sessionsToVerify: 1 }],
    });

    expect(path.slice(0, 6)).toEqual([
      'Origin',
      'ExpireGrant',
      'RevokedOrPlanned',
      'WaitForLogDelivery',
      'Verify',
      'Contained?',
    ]);
    expect(path.slice(-4)).toEqual(['MarkContained', 'Close', 'Raised?', 'Closed']);
  });

  it('closes a grant that issued no sessions as soon as its policy is detached', async () => {
    const { path, output } = await run('grant ends, no sessions', { grant: true });

    expect(path).toEqual([
      'Origin',
      'ExpireGrant',
      'RevokedOrPlanned',
      'MarkGrantEnded',
      'Close',
      'Raised?',
      'Closed',
    ]);
    expect(output?.closing).toMatchObject({ outcome: 'contained' });
  });

  it('closes a grant whose policy another live grant still gives as kept, verifying nothing', async () => {
    const { path, output } = await run('grant ends, policy kept', {
      grant: true,
      expireGrant: [{ ...revoked(false), verify: [], kept: '1 other grant still live', sessionsToVerify: 0 }],
    });

    expect(path).toEqual([
      'Origin',
      'ExpireGrant',
      'RevokedOrPlanned',
      'MarkKept',
      'Close',
      'Raised?',
      'Closed',
    ]);
    expect(output?.closing).toEqual({ outcome: 'kept', reason: '1 other grant still live' });
  });

  it('runs a grant’s end again when it fails (its changes are made once, from what its case recorded)', async () => {
    const { path, output } = await run('grant end fails, then ends', {
      grant: true,
      expireGrant: [
        named('Throttling', 'Rate exceeded'),
        named('Error', 'the function stopped'),
        { ...revoked(), verify: [], kept: null, sessionsToVerify: 0 },
      ],
    });

    expect(path).toEqual([
      'Origin',
      'ExpireGrant',
      'RevokedOrPlanned',
      'MarkGrantEnded',
      'Close',
      'Raised?',
      'Closed',
    ]);
    expect(output?.closing).toMatchObject({ outcome: 'contained' });
  });

  it('sends a grant’s end that keeps failing to the needs-a-human path after its retries', async () => {
    let attempts = 0;
    const failing = named('Throttling', 'Rate exceeded');
    const { path, output } = await run('grant end keeps failing', {
      grant: true,
      expireGrant: [
        failing,
        failing,
        failing,
        failing,
        { ...revoked(), verify: [], kept: null, sessionsToVerify: 0 },
      ],
      onAttempt: () => {
        attempts++;
      },
    });

    expect(attempts).toBe(4);
    expect(path.slice(-5)).toEqual(['ExpireGrant', 'StepFailed', 'Close', 'Raised?', 'Closed']);
    expect(output?.closing).toMatchObject({ outcome: 'needs-human' });
  });

  it('does not run again a grant’s end that asks for a human', async () => {
    let attempts = 0;
    const { path } = await run('grant end needs a human', {
      grant: true,
      expireGrant: [
        new RevocationNeedsHumanError('the principal is protected'),
        { ...revoked(), verify: [], kept: null, sessionsToVerify: 0 },
      ],
      onAttempt: () => {
        attempts++;
      },
      onPage: ({ token, callbacks }) =>
        callbacks.fail(token, REJECTED_ERROR, 'Rejected by oncall@example.com'),
    });

    expect(attempts).toBe(1);
    expect(path.slice(0, 3)).toEqual(['Origin', 'ExpireGrant', 'RevokeRefused']);
  });

  it.each([
    ['Confirm', { confirm: [named('AthenaQueryFailedError', 'the query failed')] }],
    ['Revoke', { confirm: [confirmed('revoke')], revoke: [named('IamLimitExceededError', 'quota')] }],
    [
      'Verify',
      { confirm: [confirmed('revoke')], verify: [named('AthenaQueryFailedError', 'the query failed')] },
    ],
    ['Escalate', { confirm: [confirmed('escalate')], escalate: [named('NotifyFailedError', 'SNS refused')] }],
  ] as [string, Script][])('sends a failing %s to the one needs-a-human path', async (state, script) => {
    const { path, output } = await run(`${state} fails`, script);

    expect(path.slice(-5)).toEqual([state, 'StepFailed', 'Close', 'Raised?', 'Closed']);
    expect(output?.closing).toMatchObject({ outcome: 'needs-human' });
    expect(output?.error).toMatchObject({ Error: expect.stringMatching(/Error$/) });
  });

  it('fails the execution, so its alarm pages someone, when the outcome cannot be recorded', async () => {
    const { path, failure } = await run('close fails', {
      confirm: [confirmed('close')],
      close: [named('CaseStoreUnavailableError', 'DynamoDB refused')],
    });

    expect(path.at(-1)).toBe('Close');
    expect((failure?.cause as Error | undefined)?.name).toBe('CaseNotRecorded');
  });
});

afterAll(() => {
  const rows = [...costs].map(
    ([title, transitions]) =>
      `  ${title.padEnd(34)} ${String(transitions).padStart(3)} transitions  $${((transitions * 0.025) / 1000).toFixed(6)}`,
  );
  console.log(`State transitions per path (Standard workflow, $0.025 per 1,000):\n${rows.join('\n')}`);
});
