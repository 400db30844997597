import { describe, expect, it } from 'vitest';
import { entriesOf, lastEntry, pendingEscalation } from '../../../../lib/domain/case.ts';
import {
  answerEscalation,
  EscalationAnswerError,
  REJECTED_ERROR,
} from '../../../../lib/usecases/answer-escalation.ts';
import { escalationParts, pageOnCall, SETTINGS, trigger } from '../../../fixtures/escalation.ts';
import { roleTarget } from '../../../fixtures/records.ts';

const asOnCall = { caseId: 'case-1', approver: 'oncall@example.com', via: 'cli' as const };

describe('answerEscalation', () => {
  it('approves: the waiting task gets the approver, and the case records who decided', async () => {
    const parts = await escalationParts();
    const { answer } = await pageOnCall(parts);

    await answerEscalation({ ...asOnCall, answer: 'approve', reason: 'stolen, clearly' }, parts);

    await expect(answer).resolves.toEqual({
      decision: 'approved',
      approver: 'oncall@example.com',
      at: '2026-01-15T12:00:00Z',
    });
    const record = (await parts.cases.get('case-1'))!;
    expect(record.entries.at(-1)).toMatchObject({
      step: 'decision',
      summary: 'oncall@example.com approved the revocation: stolen, clearly (cli).',
      detail: {
        escalationId: lastEntry(record, 'escalate')!.id,
        approver: 'oncall@example.com',
        via: 'cli',
        answer: 'approve',
        reason: 'stolen, clearly',
      },
    });
  });

  it('rejects with a reason, failing the task with the error the state machine catches', async () => {
    const parts = await escalationParts();
    const { answer } = await pageOnCall(parts);

    await answerEscalation({ ...asOnCall, answer: 'reject', reason: 'a planned pentest' }, parts);

    await expect(answer).rejects.toMatchObject({
      name: REJECTED_ERROR,
      message: 'Rejected by oncall@example.com: a planned pentest',
    });
  });

  it('refuses a rejection without a reason, and changes nothing', async () => {
    const parts = await escalationParts();
    await pageOnCall(parts);

    await expect(answerEscalation({ ...asOnCall, answer: 'reject', reason: '  ' }, parts)).rejects.toThrow(
      'a rejection needs a reason',
    );
    expect((await parts.cases.get('case-1'))!.entries.map((entry) => entry.step)).toEqual([
      'opened',
      'escalate',
    ]);
  });

  it('never lets the principal under revocation answer its own case: the role, or a session of it', async () => {
    const parts = await escalationParts();
    await pageOnCall(parts);
    const { roleArn, roleName, accountId } = roleTarget(trigger);

    for (const approver of [
      roleArn,
      `arn:aws:sts::${accountId}:assumed-role/${roleName}/i-786a3A8B5C0d92eF4`,
    ]) {
      await expect(answerEscalation({ ...asOnCall, approver, answer: 'approve' }, parts)).rejects.toThrow(
        `${approver} is the principal under revocation, or the same person, and cannot answer this case`,
      );
    }
    expect(entriesOf((await parts.cases.get('case-1'))!, 'decision')).toEqual([]);
  });

  it('lets an approver answer whose name only looks like the session’s: names decide nothing', async () => {
    // The stolen session, had its holder named it after the on-call.
    const named = { ...trigger, target: { ...roleTarget(trigger), sessionName: 'oncall' } };
    const parts = await escalationParts((config) => config, named);
    const { answer } = await pageOnCall(parts);

    await answerEscalation({ ...asOnCall, answer: 'approve' }, parts);

    await expect(answer).resolves.toMatchObject({ decision: 'approved', approver: 'oncall@example.com' });
  });

  it('acknowledging resets the acknowledgement deadline; the decision is still open', async () => {
    const parts = await escalationParts();
    const { answer } = await pageOnCall(parts);
    let settled = false;
    answer.then(
      () => (settled = true),
      () => (settled = true),
    );

    parts.clock.advance(SETTINGS.acknowledgeTimeoutSeconds - 60);
    await answerEscalation({ ...asOnCall, answer: 'acknowledge' }, parts);
    parts.clock.advance(120);
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(settled).toBe(false);
    const acknowledged = (await parts.cases.get('case-1'))!;
    expect(entriesOf(acknowledged, 'acknowledge').map((entry) => entry.detail)).toEqual([
      {
        escalationId: lastEntry(acknowledged, 'escalate')!.id,
        approver: 'oncall@example.com',
        via: 'cli',
        nonce: null,
      },
    ]);
    expect(pendingEscalation(acknowledged)).not.toBeNull();
    await answerEscalation({ ...asOnCall, answer: 'approve' }, parts);
    await expect(answer).resolves.toMatchObject({ decision: 'approved' });
  });

  it('refuses a second answer once one was given', async () => {
    const parts = await escalationParts();
    await pageOnCall(parts);
    await answerEscalation({ ...asOnCall, answer: 'approve' }, parts);

    await expect(
      answerEscalation({ ...asOnCall, approver: 'sam@example.com', answer: 'reject', reason: 'no' }, parts),
    ).rejects.toThrow(
      new EscalationAnswerError(
        'case case-1 is not waiting for a decision (already answered: oncall@example.com approved the revocation (cli).)',
      ),
    );
    expect(entriesOf((await parts.cases.get('case-1'))!, 'decision')).toHaveLength(1);
  });

  it('of two answers given at once, records and sends exactly one', async () => {
    const parts = await escalationParts();
    const { answer } = await pageOnCall(parts);

    const answers = await Promise.allSettled([
      answerEscalation({ ...asOnCall, answer: 'approve' }, parts),
      answerEscalation(
        { ...asOnCall, approver: 'sam@example.com', answer: 'reject', reason: 'a pentest' },
        parts,
      ),
    ]);

    expect(answers.map((settled) => settled.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refusal = answers.find((settled) => settled.status === 'rejected') as PromiseRejectedResult;
    expect(refusal.reason).toBeInstanceOf(EscalationAnswerError);
    const [decision, ...more] = entriesOf((await parts.cases.get('case-1'))!, 'decision');
    expect(more).toEqual([]);
    const sent = await answer.then(
      () => 'approve',
      () => 'reject',
    );
    expect(decision!.detail.answer).toBe(sent);
  });

  it('records an answer that came after the timeout as not taken', async () => {
    const parts = await escalationParts();
    const { answer } = await pageOnCall(parts);
    parts.clock.advance(SETTINGS.approvalTimeoutSeconds);
    await expect(answer).rejects.toMatchObject({ name: 'States.Timeout' });

    await expect(answerEscalation({ ...asOnCall, answer: 'approve' }, parts)).rejects.toThrow(
      /no longer waiting: the task timed out/,
    );
    expect((await parts.cases.get('case-1'))!.entries.at(-1)).toMatchObject({
      step: 'refused',
      summary: expect.stringContaining('did not take effect'),
    });
  });

  it('retries a send that fails for a moment, and sends a recorded decision again when the same answer comes back', async () => {
    const parts = await escalationParts();
    const { answer } = await pageOnCall(parts);
    // Step Functions throttles every send for a while: three in a row fail.
    let throttled = 3;
    const flaky = {
      ...parts,
      callbacks: {
        heartbeat: (token: string) => parts.callbacks.heartbeat(token),
        fail: (token: string, error: string, cause: string) => parts.callbacks.fail(token, error, cause),
        succeed: async (token: string, output: unknown) => {
          if (throttled-- > 0)
            throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
          await parts.callbacks.succeed(token, output);
        },
      },
    };

    await expect(answerEscalation({ ...asOnCall, answer: 'approve' }, flaky)).rejects.toThrow(
      'Rate exceeded',
    );
    const other = await answerEscalation(
      { ...asOnCall, approver: 'second@example.com', answer: 'reject', reason: 'no' },
      flaky,
    ).catch((error: Error) => error.message);
    await answerEscalation({ ...asOnCall, answer: 'approve' }, flaky);

    await expect(answer).resolves.toMatchObject({ decision: 'approved', approver: 'oncall@example.com' });
    expect(other).toContain('already answered');
    expect(entriesOf((await parts.cases.get('case-1'))!, 'decision')).toHaveLength(1);
  });
});
