import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verifyApprovalLink } from '../../../../lib/domain/approval.ts';
import { lastEntry } from '../../../../lib/domain/case.ts';
import type { Config } from '../../../../lib/domain/config.ts';
import { CaseRaisedError } from '../../../../lib/usecases/cases.ts';
import { escalate } from '../../../../lib/usecases/escalate.ts';
import {
  APPROVAL_SECRET,
  escalationParts,
  linkFor,
  pageOnCall,
  raiseByStopLogging,
  SETTINGS,
  trigger,
} from '../../../fixtures/escalation.ts';

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
    const record = (await parts.cases.get('case-1'))!;
    expect(record.entries.map((entry) => entry.step)).toEqual(['opened', 'escalate']);
    expect(lastEntry(record, 'escalate')!.detail).toMatchObject({
      taskToken,
      acknowledgeBy: '2026-01-15T12:15:00Z',
      decideBy: '2026-01-15T13:00:00Z',
      onTimeout: 'expire',
      reason: 'the evidence is ambiguous',
      planPreview: expect.stringMatching(/^deny every session of .* issued before/),
      revision: 0,
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
    const pending = lastEntry((await parts.cases.get('case-1'))!, 'escalate')!.detail;
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
    const pending = lastEntry((await parts.cases.get('case-1'))!, 'escalate')!.detail;
    expect(pending.refused).toEqual(['i-786a3A8B5C0d92eF4']);
    expect(parts.sent()[0]!.sns.message).toContain(
      'Not asked: i-786a3A8B5C0d92eF4 (the principal under revocation)',
    );
  });

  it('pages nobody about a case raised since the decision to escalate: the execution reconsiders it', async () => {
    const parts = await escalationParts();
    await raiseByStopLogging(parts);
    const taskToken = await parts.callbacks.issue({ timeoutSeconds: 3600, heartbeatSeconds: 900 });

    const paging = escalate(
      {
        caseId: 'case-1',
        trigger,
        revision: 0,
        escalation: { from: 'confirm', reason: 'the evidence is ambiguous' },
        settings: SETTINGS,
        taskToken,
      },
      parts,
    );

    await expect(paging).rejects.toThrow(CaseRaisedError);
    await expect(paging).rejects.toMatchObject({ name: 'revoker.Raised' });
    expect((await parts.cases.get('case-1'))!.entries.map((entry) => entry.step)).toEqual([
      'opened',
      'raise',
    ]);
    expect(existsSync(parts.notifier.file)).toBe(false);
  });

  it('pages about the case as it stands after a raise, with the raise in the evidence', async () => {
    const parts = await escalationParts();
    await raiseByStopLogging(parts);

    await pageOnCall(parts);

    const pending = lastEntry((await parts.cases.get('case-1'))!, 'escalate')!.detail;
    expect(pending.revision).toBe(1);
    const message = parts.sent()[0]!.sns.message;
    expect(message).toContain('cloudtrail-stopped-or-deleted (critical, auto-revoke)');
    expect(message).toContain(
      'StopLogging: instance-credentials-iam-escalation (high, auto-revoke) → cloudtrail-stopped-or-deleted (critical, auto-revoke)',
    );
  });
});
