import { describe, expect, it } from 'vitest';
import { signApprovalLink } from '../../../../lib/domain/approval.ts';
import { showApprovalPage, submitApprovalAnswer } from '../../../../lib/usecases/approval-page.ts';
import {
  APPROVAL_SECRET,
  escalationParts,
  linkFor,
  pageOnCall,
  trigger,
} from '../../../fixtures/escalation.ts';

async function paged() {
  const parts = await escalationParts();
  const { answer } = await pageOnCall(parts);
  const link = linkFor(parts, 'oncall@example.com');
  const steps = async () => (await parts.cases.get('case-1'))!.entries.map((entry) => entry.step);
  return { parts, answer, link, steps };
}

describe('the approval page', () => {
  it('shows the case to the link’s approver, and showing it changes nothing', async () => {
    const { parts, link, steps } = await paged();

    const page = await showApprovalPage(link, parts);

    expect(page.status).toBe(200);
    expect(page.html).toContain('For <strong>oncall@example.com</strong>');
    expect(page.html).toContain('the evidence is ambiguous');
    expect(await steps()).toEqual(['opened', 'escalate']);
  });

  it('approves through a POST, as the approver the link names', async () => {
    const { parts, link, answer } = await paged();

    const page = await submitApprovalAnswer({ link, answer: 'approve', reason: '' }, parts);

    expect(page.status).toBe(200);
    expect(page.html).toContain('Approved');
    await expect(answer).resolves.toMatchObject({ approver: 'oncall@example.com' });
    expect((await parts.cases.get('case-1'))!.entries.at(-1)).toMatchObject({
      step: 'decision',
      detail: { via: 'approval-page', approver: 'oncall@example.com' },
    });
  });

  it('refuses a reused link', async () => {
    const { parts, link } = await paged();
    await submitApprovalAnswer({ link, answer: 'approve', reason: '' }, parts);

    const again = await submitApprovalAnswer({ link, answer: 'reject', reason: 'changed my mind' }, parts);

    expect(again.status).toBe(410);
    expect(again.html).toContain('the link was already used');
    expect((await showApprovalPage(link, parts)).status).toBe(410);
  });

  it('refuses an expired link', async () => {
    const { parts, link } = await paged();
    parts.clock.advance(3600);

    const page = await showApprovalPage(link, parts);

    expect(page.status).toBe(410);
    expect(page.html).toContain('the link expired at 2026-01-15T13:00:00Z');
  });

  it('refuses a forged link: altered, or signed with another secret', async () => {
    const { parts, link, steps } = await paged();
    const [payload, signature] = link.split('.');
    const altered = `${Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload!, 'base64url').toString()),
        approver: 'mallory@example.com',
      }),
    ).toString('base64url')}.${signature}`;
    const otherSecret = signApprovalLink(
      {
        caseId: 'case-1',
        approver: 'mallory@example.com',
        principal: 'arn:aws:iam::1:role/x',
        expiresAt: '2026-01-15T13:00:00Z',
      },
      'another-secret-that-is-at-least-32-bytes!',
    );

    for (const forged of [altered, otherSecret]) {
      const page = await submitApprovalAnswer({ link: forged, answer: 'approve', reason: '' }, parts);
      expect(page.status).toBe(403);
      expect(page.html).toContain('signature is not valid');
    }
    expect(await steps()).toEqual(['opened', 'escalate']);
  });

  it('refuses a genuine link from an earlier escalation of the case', async () => {
    const { parts } = await paged();
    const stale = signApprovalLink(
      {
        caseId: 'case-1',
        approver: 'oncall@example.com',
        principal: trigger.target.kind === 'assumed-role' ? trigger.target.roleArn : '',
        expiresAt: '2026-01-15T13:00:00Z',
      },
      APPROVAL_SECRET,
    );

    const page = await showApprovalPage(stale, parts);

    expect(page.status).toBe(410);
    expect(page.html).toContain('an earlier escalation');
  });

  it('acknowledges without using the link up', async () => {
    const { parts, link } = await paged();

    const acknowledged = await submitApprovalAnswer({ link, answer: 'acknowledge', reason: '' }, parts);
    const approved = await submitApprovalAnswer({ link, answer: 'approve', reason: '' }, parts);

    expect([acknowledged.status, approved.status]).toEqual([200, 200]);
  });
});
