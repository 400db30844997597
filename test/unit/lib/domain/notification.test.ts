import { describe, expect, it } from 'vitest';
import {
  type Notification,
  notificationFor,
  slackPayload,
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

function approvalRequest(overrides: Partial<Notification> = {}): Notification {
  return {
    ...notificationFor('approval-requested', 'case-1', trigger, {
      reason: 'rule instance-credentials-iam-escalation is set to escalate',
      outcome: null,
      facts: [['Verdict', 'confirmed, score 95']],
      links: [
        {
          approver: 'oncall@example.com',
          url: 'https://approve.example/approval?link=abc',
          expiresAt: '2026-01-15T13:00:00Z',
        },
      ],
      commands: ['revoker approve case-1 --approver <you>'],
    }),
    ...overrides,
  };
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
      links: [],
      commands: [],
    });

    expect(raised.severity).toBe('critical');
    expect(raised.ruleId).toBe('instance-credentials-iam-escalation');
  });
});

describe('snsMessage', () => {
  it('keeps the subject to 100 printable ASCII characters on one line', () => {
    const { subject } = snsMessage(approvalRequest({ headline: `Ünïcode\nline ${'x'.repeat(200)}` }));

    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+…?$/u);
    expect(subject).not.toContain('\n');
  });

  it('puts each approver’s link and the commands in the body, and no value can forge a line', () => {
    const { message } = snsMessage(approvalRequest());

    expect(message).toContain(
      'oncall@example.com: https://approve.example/approval?link=abc (until 2026-01-15T13:00:00Z)',
    );
    expect(message).toContain('revoker approve case-1 --approver <you>');
    expect(message).not.toMatch(/^Subject: fake/m);
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

  it('gives each approver a button to their own link and stays within Block Kit limits', () => {
    const payload = slackPayload(approvalRequest({ reason: 'r'.repeat(5000), headline: 'h'.repeat(400) }));
    const blocks = payload.blocks as {
      type: string;
      text?: { text: string };
      elements?: { url?: string; text?: { text: string } }[];
    }[];

    expect(blocks.find((block) => block.type === 'actions')?.elements?.[0]).toMatchObject({
      url: 'https://approve.example/approval?link=abc',
      text: { text: 'Review as oncall@example.com' },
    });
    expect(blocks[0]!.text!.text.length).toBeLessThanOrEqual(150);
    for (const block of blocks) if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
  });

  it('says how a closed case ended, with no buttons', () => {
    const payload = slackPayload(approvalRequest({ kind: 'case-closed', outcome: 'contained', links: [] }));

    expect(payload.blocks.some((block) => (block as { type: string }).type === 'actions')).toBe(false);
    expect(JSON.stringify(payload)).toContain('contained');
  });
});
