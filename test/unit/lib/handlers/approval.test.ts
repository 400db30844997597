// The approval function under concurrent answers: one link POSTed 50 times at once, and ten
// approvers' links POSTed at once. The case store records at most one decision per escalation
// and the waiting task hears exactly one answer; every other request gets a page saying why not.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { entriesOf } from '../../../../lib/domain/case.ts';
import type { Config } from '../../../../lib/domain/config.ts';
import { createApprovalHandler } from '../../../../lib/handlers/approval.ts';
import type { TaskCallbacks } from '../../../../lib/ports.ts';
import { escalationParts, linkFor, pageOnCall } from '../../../fixtures/escalation.ts';

/** A form POST as API Gateway (payload 2.0) hands it to the function. */
function post(form: Record<string, string>): APIGatewayProxyEventV2 {
  return {
    requestContext: { http: { method: 'POST' } },
    body: new URLSearchParams(form).toString(),
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

/** The local task callbacks, counting the answers that reached the waiting task. */
function counting(callbacks: TaskCallbacks) {
  const delivered: string[] = [];
  const counted: TaskCallbacks = {
    async succeed(token, output) {
      await callbacks.succeed(token, output);
      delivered.push('approve');
    },
    async fail(token, error, cause) {
      await callbacks.fail(token, error, cause);
      delivered.push('reject');
    },
    heartbeat: (token) => callbacks.heartbeat(token),
  };
  return { delivered, counted };
}

async function waitingCase(change?: (config: Config) => Config) {
  const parts = await escalationParts(change);
  const { answer } = await pageOnCall(parts);
  const { delivered, counted } = counting(parts.callbacks);
  const handler = createApprovalHandler({ ...parts, callbacks: counted });
  const send = async (form: Record<string, string>) =>
    (await handler(post(form), {} as Context)) as APIGatewayProxyStructuredResultV2;
  const decisions = async () => entriesOf((await parts.cases.get('case-1'))!, 'decision');
  return { parts, answer, delivered, send, decisions };
}

const REFUSED = /already used|already answered|not waiting for a decision/;

describe('the approval function, answered concurrently', () => {
  it('takes one link POSTed 50 times at once exactly once: one decision, one answer, 49 refusals', async () => {
    const { parts, answer, delivered, send, decisions } = await waitingCase();
    const link = linkFor(parts, 'oncall@example.com');

    const responses = await Promise.all(
      Array.from({ length: 50 }, () => send({ link, answer: 'approve', reason: '' })),
    );

    const accepted = responses.filter((response) => response.statusCode === 200);
    const refused = responses.filter((response) => response.statusCode !== 200);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.body).toContain('Approved');
    expect(refused).toHaveLength(49);
    for (const response of refused) {
      expect([409, 410]).toContain(response.statusCode);
      expect(response.body).toMatch(REFUSED);
    }
    expect(await decisions()).toHaveLength(1);
    expect(delivered).toEqual(['approve']);
    await expect(answer).resolves.toMatchObject({ decision: 'approved', approver: 'oncall@example.com' });
  });

  it('takes one of ten approvers’ links POSTed at once: one decision, one answer, the rest refused', async () => {
    const approvers = Array.from({ length: 10 }, (_, index) => `oncall-${index}@example.com`);
    const { parts, answer, delivered, send, decisions } = await waitingCase((config) => ({
      ...config,
      escalation: { ...config.escalation, approvers },
    }));
    const links = approvers.map((approver) => linkFor(parts, approver));

    const responses = await Promise.all(
      links.map((link, index) =>
        send(
          index % 2 === 0
            ? { link, answer: 'approve', reason: '' }
            : { link, answer: 'reject', reason: 'a planned test' },
        ),
      ),
    );

    expect(responses.filter((response) => response.statusCode === 200)).toHaveLength(1);
    for (const response of responses.filter((candidate) => candidate.statusCode !== 200))
      expect(response.body).toMatch(REFUSED);
    const [decision, ...more] = await decisions();
    expect(more).toEqual([]);
    expect(delivered).toEqual([decision!.detail.answer]);
    const heard = await answer.then(
      () => 'approve',
      () => 'reject',
    );
    expect(heard).toBe(decision!.detail.answer);
    expect(approvers).toContain(decision!.detail.approver);
  });
});
