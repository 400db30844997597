import { describe, expect, it } from 'vitest';
import {
  answerEscalation,
  EscalationAnswerError,
  REJECTED_ERROR,
} from '../../../../lib/usecases/answer-escalation.ts';
import { escalationParts, pageOnCall, SETTINGS } from '../../../fixtures/escalation.ts';

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
    const entry = (await parts.cases.get('case-1'))!.audit.at(-1)!;
    expect(entry).toMatchObject({
      step: 'decision',
      summary: 'oncall@example.com approved the revocation: stolen, clearly (cli).',
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
    expect((await parts.cases.get('case-1'))!.audit.map((entry) => entry.step)).toEqual(['escalate']);
  });

  it('never lets the principal under revocation answer its own case', async () => {
    const parts = await escalationParts();
    await pageOnCall(parts);

    await expect(
      answerEscalation({ ...asOnCall, approver: 'i-786a3A8B5C0d92eF4', answer: 'approve' }, parts),
    ).rejects.toThrow('is the principal under revocation');
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
  });

  it('records an answer that came after the timeout as not taken', async () => {
    const parts = await escalationParts();
    const { answer } = await pageOnCall(parts);
    parts.clock.advance(SETTINGS.approvalTimeoutSeconds);
    await expect(answer).rejects.toMatchObject({ name: 'States.Timeout' });

    await expect(answerEscalation({ ...asOnCall, answer: 'approve' }, parts)).rejects.toThrow(
      /no longer waiting: the task timed out/,
    );
    expect((await parts.cases.get('case-1'))!.audit.at(-1)).toMatchObject({
      step: 'refused',
      summary: expect.stringContaining('did not take effect'),
    });
  });
});
