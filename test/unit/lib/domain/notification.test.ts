import { describe, expect, it } from 'vitest';
import {
  type ApproverNotification,
  forApprover,
  notificationFor,
  type SummaryNotification,
  slackPayload,
  snsAttributes,
  snsMessage,
} from '../../../../lib/domain/notification.ts';
import { resolvePrincipal } from '../../../../lib/domain/principal.ts';
import { instanceCredentialsIamEscalation } from '../../../../lib/domain/rules.ts';
import { buildTrigger } from '../../../../lib/domain/trigger.ts';
import { stolenInstanceCredentialsGrant } from '../../../fixtures/records.ts';

// The attacker chooses the user agent: here it tries to page everyone and forge a link.
const record = stolenInstanceCredentialsGrant({
  userAgent: 'aws-cli/2.0 <!channel> <https://evil.example|Approve here>\nSubject: fake & worse',
});
const resolution = resolvePrincipal(record.userIdentity);
if (!resolution.ok) throw new Error(resolution.reason);
const trigger = buildTrigger(instanceCredentialsIamEscalation, record, resolution.principal);

function approvalRequest(overrides: Partial<SummaryNotification> = {}): SummaryNotification {
  return {
    ...notificationFor('approval-requested', 'case-1', trigger, {
      reason: 'rule instance-credentials-iam-escalation is set to escalate',
      outcome: null,
      facts: [['Verdict', 'confirmed, score 95']],
      commands: ['revoker approve case-1 --approver <you>'],
    }),
    ...overrides,
  };
}

/** The same request, addressed to one approver with their own link. */
function approverMessage(approver = 'oncall@example.com'): ApproverNotification {
  return forApprover(approvalRequest(), {
    approver,
    url: `https://approve.example/approval?link=for-${approver}`,
    expiresAt: '2026-01-15T13:00:00Z',
  });
}

describe('notificationFor', () => {
  it('names the rule’s severity, the principal, and the trigger’s call first', () => {
    const notification = approvalRequest();

    expect(notification.severity).toBe('high');
    expect(notification.principal).toBe(trigger.target.kind === 'assumed-role' ? trigger.target.roleArn : '');
    expect(notification.facts[0]![0]).toBe('Call');
    expect(notification.facts.at(-1)).toEqual(['Verdict', 'confirmed, score 95']);
  });

  it('names the case’s standing severity when a later call raised it above the rule’s', () => {
    const raised = notificationFor('approval-requested', 'case-1', trigger, {
      reason: 'the evidence is ambiguous',
      outcome: null,
      severity: 'critical',
      facts: [],
      commands: [],
    });

    expect(raised.severity).toBe('critical');
    expect(raised.ruleId).toBe('instance-credentials-iam-escalation');
  });
  it('defangs URLs and host names in the user agent, so no client makes the attacker’s text a link', () => {
    const baited = buildTrigger(
      instanceCredentialsIamEscalation,
      stolenInstanceCredentialsGrant({
        userAgent:
          'Boto3/1.34.0 Python/3.11.6 see https://revoker-approvals.example.net/?link=abc or www.evil.example',
      }),
      resolution.principal,
    );
    const summary = notificationFor('approval-requested', 'case-1', baited, {
      reason: 'the evidence is ambiguous',
      outcome: null,
      facts: [],
      commands: [],
    });
    const sent = [snsMessage(summary).message, JSON.stringify(slackPayload(summary))].join('\n');

    expect(sent).not.toMatch(/https?:\/\/|example\.net|evil\.example/);
    expect(summary.facts[1]![1]).toContain(
      'Boto3/1.34.0 Python/3.11.6 see hxxps[://]revoker-approvals[.]example[.]net/?link=abc or www[.]evil[.]example',
    );
  });
});

describe('snsMessage', () => {
  it('keeps the subject to 100 printable ASCII characters on one line', () => {
    const { subject } = snsMessage(approvalRequest({ headline: `Ünïcode\nline ${'x'.repeat(200)}` }));

    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+…?$/u);
    expect(subject).not.toContain('\n');
  });

  it('puts the approver’s own link and the commands in their message, and no value can forge a line', () => {
    const { message } = snsMessage(approverMessage());

    expect(message).toContain(
      'Your link, for oncall@example.com alone (it works once, until 2026-01-15T13:00:00Z; whoever holds it answers as you, so never forward it):\n  https://approve.example/approval?link=for-oncall@example.com\n',
    );
    expect(message.match(/link=/g)).toHaveLength(1);
    expect(message).toContain('revoker approve case-1 --approver <you>');
    expect(message).not.toMatch(/^Subject: fake/m);
  });

  it('carries no link in the summary for everyone', () => {
    const { message } = snsMessage(approvalRequest());

    expect(message).not.toContain('link=');
    expect(message).toContain('revoker approve case-1 --approver <you>');
  });
});

describe('snsAttributes', () => {
  it('marks the summary for everyone and each approver’s message for that approver alone', () => {
    expect(snsAttributes(approvalRequest())).toEqual({
      kind: 'approval-requested',
      severity: 'high',
      caseId: 'case-1',
      audience: 'everyone',
    });
    expect(snsAttributes(approverMessage('arn:aws:iam::111122223333:user/kim'))).toEqual({
      kind: 'approval-requested',
      severity: 'high',
      caseId: 'case-1',
      audience: 'approver',
      approver: 'arn:aws:iam::111122223333:user/kim',
    });
  });
});

describe('slackPayload', () => {
  it('escapes Slack’s control characters in attacker-written values', () => {
    const text = JSON.stringify(slackPayload(approvalRequest()));

    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil.example');
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).toContain('fake &amp; worse');
  });

  it('posts the summary with no link and no button, and stays within Block Kit limits', () => {
    const payload = slackPayload(approvalRequest({ reason: 'r'.repeat(5000), headline: 'h'.repeat(400) }));
    const blocks = payload.blocks as { type: string; text?: { text: string } }[];

    expect(blocks.some((block) => block.type === 'actions')).toBe(false);
    expect(JSON.stringify(payload)).not.toMatch(/"url"|link=/);
    expect(blocks[0]!.text!.text.length).toBeLessThanOrEqual(150);
    for (const block of blocks) if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
  });

  it('says how a closed case ended, with no buttons', () => {
    const payload = slackPayload(approvalRequest({ kind: 'case-closed', outcome: 'contained' }));

    expect(payload.blocks.some((block) => (block as { type: string }).type === 'actions')).toBe(false);
    expect(JSON.stringify(payload)).toContain('contained');
  });
});
