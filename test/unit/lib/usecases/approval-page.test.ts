import { describe, expect, it } from 'vitest';
import { signApprovalLink } from '../../../../lib/domain/approval.ts';
import { showApprovalPage, submitApprovalAnswer } from '../../../../lib/usecases/approval-page.ts';
import { escalationParts, linkFor, pageOnCall, SETTINGS, trigger } from '../../../fixtures/escalation.ts';

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

  it('refuses a forged link: altered, or signed with another secret under the key’s ID', async () => {
    const { parts, link, steps } = await paged();
    const { id } = await parts.keys.current();
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
      { id, key: 'another-secret-that-is-at-least-32-bytes!' },
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
      await parts.keys.current(),
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

describe('the approval page across key rotations', () => {
  it('takes a link signed with the previous key until the link expires', async () => {
    const { parts, link } = await paged();
    await parts.keys.rotate();

    const page = await showApprovalPage(link, parts);
    parts.clock.advance(SETTINGS.approvalTimeoutSeconds);
    const expired = await showApprovalPage(link, parts);

    expect(page.status).toBe(200);
    expect(page.html).toContain('For <strong>oncall@example.com</strong>');
    expect(expired.status).toBe(410);
    expect(expired.html).toContain('the link expired at 2026-01-15T13:00:00Z');
  });

  it('approves with a link signed with the previous key', async () => {
    const { parts, link, answer } = await paged();
    await parts.keys.rotate();

    const page = await submitApprovalAnswer({ link, answer: 'approve', reason: '' }, parts);

    expect(page.status).toBe(200);
    await expect(answer).resolves.toMatchObject({ decision: 'approved', approver: 'oncall@example.com' });
  });

  it('refuses a link naming a key ID it never held, with that reason', async () => {
    const { parts, steps } = await paged();
    const unknown = signApprovalLink(
      {
        caseId: 'case-1',
        approver: 'oncall@example.com',
        principal: trigger.target.kind === 'assumed-role' ? trigger.target.roleArn : '',
        expiresAt: '2026-01-15T13:00:00Z',
      },
      { id: 'made-up', key: 'a-key-revoker-never-held-of-32-bytes!!' },
    );

    const page = await submitApprovalAnswer({ link: unknown, answer: 'approve', reason: '' }, parts);

    expect(page.status).toBe(403);
    expect(page.html).toContain('the link names a signing key revoker does not hold (key ID made-up');
    expect(await steps()).toEqual(['opened', 'escalate']);
  });

  it('refuses a link once its key is two rotations old', async () => {
    const { parts, link, steps } = await paged();
    const { id } = await parts.keys.current();
    await parts.keys.rotate();
    await parts.keys.rotate();

    const page = await submitApprovalAnswer({ link, answer: 'approve', reason: '' }, parts);

    expect(page.status).toBe(403);
    expect(page.html).toContain(`the link names a signing key revoker does not hold (key ID ${id}:`);
    expect(await steps()).toEqual(['opened', 'escalate']);
  });
});

describe('the approval page’s deadlines', () => {
  it('states both deadlines and what happens at each: the escalation times out and onTimeout applies', async () => {
    const { parts, link } = await paged();

    const { html } = await showApprovalPage(link, parts);

    // Paged at 12:00 with a 15-minute heartbeat and a 60-minute timeout; this severity expires.
    expect(html).toContain(
      '<dd id="acknowledge-by">2026-01-15T12:15:00Z, and again within 15 minutes of each acknowledgement until someone decides. If nobody acknowledges in time, the escalation times out (its heartbeat) and <strong>the case closes as expired and the on-call is paged again</strong>.</dd>',
    );
    expect(html).toContain(
      '<dd id="decide-by">2026-01-15T13:00:00Z. If nobody approves or rejects in time, the escalation times out and <strong>the case closes as expired and the on-call is paged again</strong>.</dd>',
    );
  });

  it('moves the acknowledgement deadline with each acknowledgement, never past the decision’s', async () => {
    const { parts, link } = await paged();
    parts.clock.advance(600);
    expect((await submitApprovalAnswer({ link, answer: 'acknowledge', reason: '' }, parts)).status).toBe(200);
    const after = await showApprovalPage(link, parts);
    for (const seconds of [600, 840, 840]) {
      parts.clock.advance(seconds);
      expect((await submitApprovalAnswer({ link, answer: 'acknowledge', reason: '' }, parts)).status).toBe(
        200,
      );
    }
    const late = await showApprovalPage(link, parts);

    expect(after.html).toContain('<dd id="acknowledge-by">2026-01-15T12:25:00Z,');
    // Acknowledged at 12:48: another 15 minutes would be 13:03, past the decision deadline.
    expect(late.html).toContain('<dd id="acknowledge-by">2026-01-15T13:00:00Z,');
    expect(late.html).toContain('<dd id="decide-by">2026-01-15T13:00:00Z.');
  });

  it('says a timeout revokes where the severity’s onTimeout is revoke', async () => {
    const parts = await escalationParts();
    await pageOnCall(parts, 'case-1', { ...SETTINGS, onApprovalTimeout: 'revoke' });

    const { html } = await showApprovalPage(linkFor(parts, 'oncall@example.com'), parts);

    expect(
      html.match(
        /<strong>revoker revokes anyway, within the guard rails \(only an approval lifts them\)<\/strong>/g,
      ),
    ).toHaveLength(2);
  });
});
