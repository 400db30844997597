import { describe, expect, it } from 'vitest';
import { verifyApprovalLink } from '../../../../lib/domain/approval.ts';
import type { Config } from '../../../../lib/domain/config.ts';
import type { PendingEscalation } from '../../../../lib/usecases/escalate.ts';
import { APPROVAL_SECRET, escalationParts, linkFor, pageOnCall } from '../../../fixtures/escalation.ts';

const withApprovers =
  (approvers: string[]) =>
  (config: Config): Config => ({
    ...config,
    escalation: { ...config.escalation, approvers },
  });

describe('escalate', () => {
  it('records the pending decision with its task token, deadlines and the plan an approval runs', async () => {
    const parts = await escalationParts();

    const { taskToken, escalation } = await pageOnCall(parts);

    expect(escalation).toEqual({
      caseId: 'case-1',
      approvers: ['oncall@example.com'],
      decideBy: '2026-01-15T13:00:00Z',
    });
    const entry = (await parts.cases.get('case-1'))!.audit.at(-1)!;
    expect(entry.step).toBe('escalate');
    expect(entry.detail).toMatchObject({
      taskToken,
      acknowledgeBy: '2026-01-15T12:15:00Z',
      decideBy: '2026-01-15T13:00:00Z',
      onTimeout: 'expire',
      reason: 'the evidence is ambiguous',
      planPreview: expect.stringMatching(/^deny every session of .* issued before/),
    });
  });

  it('pages each approver with a link of their own that verifies for them only', async () => {
    const parts = await escalationParts(
      withApprovers(['oncall@example.com', 'arn:aws:iam::111122223333:user/sam']),
    );

    await pageOnCall(parts);

    const [sent] = parts.sent();
    expect(sent!.kind).toBe('approval-requested');
    const links = ['oncall@example.com', 'arn:aws:iam::111122223333:user/sam'].map((approver) =>
      linkFor(parts, approver),
    );
    expect(new Set(links).size).toBe(2);
    const verdict = verifyApprovalLink(links[1]!, APPROVAL_SECRET, parts.clock.now(), new Set());
    expect(verdict).toMatchObject({
      ok: true,
      grant: { caseId: 'case-1', approver: 'arn:aws:iam::111122223333:user/sam' },
    });
    const pending = (await parts.cases.get('case-1'))!.audit.at(-1)!.detail as PendingEscalation;
    expect(pending.links.map((link) => link.approver)).toEqual([
      'oncall@example.com',
      'arn:aws:iam::111122223333:user/sam',
    ]);
  });

  it('never sends a link to the principal under revocation, and says so on the page', async () => {
    // The stolen session is named after the instance; an approver by that name is the principal.
    const parts = await escalationParts(withApprovers(['oncall@example.com', 'i-786a3A8B5C0d92eF4']));

    const { escalation } = await pageOnCall(parts);

    expect(escalation.approvers).toEqual(['oncall@example.com']);
    const pending = (await parts.cases.get('case-1'))!.audit.at(-1)!.detail as PendingEscalation;
    expect(pending.refused).toEqual(['i-786a3A8B5C0d92eF4']);
    expect(parts.sent()[0]!.sns.message).toContain(
      'Not asked: i-786a3A8B5C0d92eF4 (the principal under revocation)',
    );
  });
});
