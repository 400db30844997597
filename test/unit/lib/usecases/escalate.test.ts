import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verifyApprovalLink } from '../../../../lib/domain/approval.ts';
import { lastEntry } from '../../../../lib/domain/case.ts';
import type { Config } from '../../../../lib/domain/config.ts';
import type { Notification } from '../../../../lib/domain/notification.ts';
import type { Trigger } from '../../../../lib/domain/trigger.ts';
import { CaseRaisedError } from '../../../../lib/usecases/cases.ts';
import { escalate, PagingFailedError } from '../../../../lib/usecases/escalate.ts';
import {
  approvalUrlsIn,
  escalationParts,
  linkFor,
  pageOnCall,
  raiseByStopLogging,
  SETTINGS,
  trigger,
} from '../../../fixtures/escalation.ts';
import { roleTarget } from '../../../fixtures/records.ts';

/** The stolen instance session, had its holder named it `oncall`. */
const sessionNamedOnCall: Trigger = {
  ...trigger,
  target: { ...roleTarget(trigger), sessionName: 'oncall' },
};
/** An IAM user named `oncall` under revocation. */
const userNamedOnCall: Trigger = {
  ...trigger,
  credentialId: 'user-oncall',
  target: {
    kind: 'iam-user',
    accountId: trigger.target.accountId,
    userArn: `arn:aws:iam::${trigger.target.accountId}:user/oncall`,
    userName: 'oncall',
    accessKeyId: null,
  },
};

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

  it('pages the approvers of the case’s account when it has its own', async () => {
    const parts = await escalationParts((config) => ({
      ...config,
      accounts: {
        memberRoleName: 'revoker-member',
        enrolled: [{ id: trigger.target.accountId, approvers: ['prod-oncall@example.com'] }],
      },
    }));

    const { escalation } = await pageOnCall(parts);

    expect(escalation.approvers).toEqual(['prod-oncall@example.com']);
  });

  it('pages each approver with a link of their own that verifies for them only', async () => {
    const parts = await escalationParts(
      withApprovers(['oncall@example.com', 'arn:aws:iam::111122223333:user/sam']),
    );

    await pageOnCall(parts);

    const [summary, ...own] = parts.sent();
    expect(summary!.kind).toBe('approval-requested');
    expect(summary!.sns.attributes).toMatchObject({ audience: 'everyone' });
    expect(approvalUrlsIn(JSON.stringify(summary))).toEqual([]);
    expect(summary!.sns.message).toContain(
      'Asked: oncall@example.com, arn:aws:iam::111122223333:user/sam (each received their own link)',
    );
    expect(own.map((sent) => sent.sns.attributes)).toEqual([
      expect.objectContaining({ audience: 'approver', approver: 'oncall@example.com' }),
      expect.objectContaining({ audience: 'approver', approver: 'arn:aws:iam::111122223333:user/sam' }),
    ]);
    expect(own.map((sent) => sent.slack)).toEqual([null, null]);
    const links = ['oncall@example.com', 'arn:aws:iam::111122223333:user/sam'].map((approver) =>
      linkFor(parts, approver),
    );
    expect(new Set(links).size).toBe(2);
    const verdict = verifyApprovalLink(links[1]!, await parts.keys.current(), parts.clock.now(), new Set());
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

  it('never sends a link to the principal under revocation, known by its ARN, and says so on the page', async () => {
    // The stolen session's role, and another session of it: both are the principal.
    const role = roleTarget(trigger).roleArn;
    const session = `arn:aws:sts::${trigger.target.accountId}:assumed-role/${roleTarget(trigger).roleName}/ops`;
    const parts = await escalationParts(withApprovers(['oncall@example.com', role, session]));

    const { escalation } = await pageOnCall(parts);

    expect(escalation.approvers).toEqual(['oncall@example.com']);
    const pending = lastEntry((await parts.cases.get('case-1'))!, 'escalate')!.detail;
    expect(pending.refused).toEqual([role, session]);
    expect(parts.sent()[0]!.sns.message).toContain(
      `Not asked: ${role}, ${session} (the principal under revocation)`,
    );
    expect(parts.sent().map((sent) => sent.approver)).toEqual([undefined, 'oncall@example.com']);
  });

  it.each([
    ['a role session named oncall', sessionNamedOnCall],
    ['an IAM user named oncall', userNamedOnCall],
  ])(
    'sends oncall@example.com their link though the principal is %s: names decide nothing',
    async (_what, named) => {
      const parts = await escalationParts((config) => config, named);

      const { escalation } = await pageOnCall(parts);

      expect(escalation.approvers).toEqual(['oncall@example.com']);
      expect(lastEntry((await parts.cases.get('case-1'))!, 'escalate')!.detail.refused).toEqual([]);
      expect(linkFor(parts, 'oncall@example.com')).toMatch(/^[\w-]+\.[\w-]+$/);
    },
  );

  it('still pages when every approver is the principal: nobody can approve from the page, why, and the commands', async () => {
    const role = roleTarget(trigger).roleArn;
    const parts = await escalationParts(withApprovers([role]));

    const { escalation } = await pageOnCall(parts);

    expect(escalation.approvers).toEqual([]);
    const sent = parts.sent();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.sns.attributes).toMatchObject({ audience: 'everyone', kind: 'approval-requested' });
    expect(sent[0]!.sns.message).toContain(
      `Why:       Nobody can approve this case from the approval page: its one approver, ${role}, is the principal under revocation, so no link was sent; someone else answers with credentials (the commands below). It needs a human because the evidence is ambiguous`,
    );
    expect(sent[0]!.sns.message).toContain('revoker approve case-1 --approver <you>');
    expect(JSON.stringify(sent[0]!.slack)).toContain('Nobody can approve this case from the approval page');
    expect(approvalUrlsIn(JSON.stringify(sent))).toEqual([]);
  });

  it('sends every other page when one fails, then fails naming it', async () => {
    const parts = await escalationParts(withApprovers(['oncall@example.com', 'sam@example.com']));
    const notifier = {
      notify: (page: Notification) =>
        page.audience === 'approver' && page.approver === 'oncall@example.com'
          ? Promise.reject(new Error('SNS throttled'))
          : parts.notifier.notify(page),
    };
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
      { ...parts, notifier },
    );

    await expect(paging).rejects.toThrow(
      new PagingFailedError('1 of 3 pages failed: the page to oncall@example.com: SNS throttled'),
    );
    expect(parts.sent().map((sent) => sent.approver ?? sent.audience)).toEqual([
      'everyone',
      'sam@example.com',
    ]);
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
