// What revoker tells people, and the exact payloads it sends: an SNS message (email, SMS,
// chat integrations) and a Slack Block Kit message. A notification is a summary for everyone
// (no link) or one approver's own message (their link alone): a link is a credential, so it
// never reaches a channel or a topic subscription shared with anyone else. Many values here
// were chosen by the attacker (session names, user agents), so each payload escapes them for
// its medium and cuts them to the medium's limits instead of letting the send fail.
import { JIT_SEVERITY } from './jit.ts';
import { OFFBOARDING_SEVERITY } from './offboarding.ts';
import { RULES, type Severity } from './rules.ts';
import { principalArnOf, type Trigger } from './trigger.ts';

export interface ApprovalLinkForPerson {
  approver: string;
  url: string;
  expiresAt: string;
}

interface NotificationBody {
  kind: 'approval-requested' | 'case-closed';
  caseId: string;
  /** One line: what happened and to whom. */
  headline: string;
  severity: Severity;
  ruleId: string;
  principal: string;
  /** Why a human is needed, or how the case ended. */
  reason: string;
  outcome: string | null;
  /** The evidence, as label and value. */
  facts: [string, string][];
  /** How to answer without the page, for engineers with credentials. */
  commands: string[];
}

/** What everyone watching may read (the channel, the topic's summary subscribers): never a link. */
export interface SummaryNotification extends NotificationBody {
  audience: 'everyone';
}

/** What one approver alone receives: the summary with their own link, and nobody else's. */
export interface ApproverNotification extends NotificationBody {
  audience: 'approver';
  /** The one person this message and its link are for (an email or an IAM ARN). */
  approver: string;
  link: { url: string; expiresAt: string };
}

export type Notification = SummaryNotification | ApproverNotification;

/** The summary, addressed to one approver with the link signed for them. */
export function forApprover(summary: SummaryNotification, link: ApprovalLinkForPerson): ApproverNotification {
  const { audience: _everyone, ...body } = summary;
  return {
    ...body,
    audience: 'approver',
    approver: link.approver,
    link: { url: link.url, expiresAt: link.expiresAt },
  };
}

/**
 * The SNS message attributes subscribers filter on: `audience` (`everyone` for summaries,
 * `approver` for one person's link) and, on a person's message, `approver` = who it is for.
 */
export function snsAttributes(notification: Notification): Record<string, string> {
  return {
    kind: notification.kind,
    severity: notification.severity,
    caseId: notification.caseId,
    audience: notification.audience,
    ...(notification.audience === 'approver' ? { approver: notification.approver } : {}),
  };
}

/** SNS: Subject ≤ 100 printable ASCII characters, no line breaks. */
const SNS_SUBJECT_LIMIT = 100;
/** Slack: a section's text ≤ 3,000 characters, a header ≤ 150. */
const SLACK_SECTION_LIMIT = 3000;
const SLACK_HEADER_LIMIT = 150;

function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/**
 * URLs and host names in free text the caller wrote into the logs (a user agent) are defanged
 * — `hxxps[://]evil[.]example` — so no mail client or chat turns an attacker's text into a link
 * beside revoker's name. Version numbers and addresses (a dot before a digit) stay as they are.
 */
export function defang(text: string): string {
  return text
    .replace(/\bhttp(s?):\/\//gi, 'hxxp$1://')
    .replace(/:\/\//g, '[://]')
    .replace(/([a-z0-9-])\.(?=[a-z])/gi, '$1[.]');
}

/** Control characters (line breaks included) become spaces: no value can forge a line. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
}

export function snsMessage(notification: Notification): { subject: string; message: string } {
  const subject = cut(
    `[revoker ${notification.severity}] ${notification.headline}`.replace(/[^\x20-\x7e]/g, '?').trim(),
    SNS_SUBJECT_LIMIT,
  );
  const lines = [
    notification.headline,
    '',
    `Case:      ${notification.caseId}`,
    `Rule:      ${notification.ruleId} (${notification.severity})`,
    `Principal: ${notification.principal}`,
    ...(notification.outcome ? [`Outcome:   ${notification.outcome}`] : []),
    `Why:       ${notification.reason}`,
    '',
    ...notification.facts.map(([label, value]) => `${label}: ${value}`),
  ].map(oneLine);
  if (notification.audience === 'approver') {
    lines.push(
      '',
      `Your link, for ${oneLine(notification.approver)} alone (it works once, until ${notification.link.expiresAt}; whoever holds it answers as you, so never forward it):`,
      `  ${notification.link.url}`,
    );
  }
  if (notification.commands.length > 0) lines.push('', 'Or, with credentials:', ...notification.commands);
  return { subject, message: `${lines.join('\n')}\n` };
}

/** Slack's three control characters; escaping them also defuses `<!channel>` and fake links. */
function slackEscape(text: string): string {
  return oneLine(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function mrkdwn(text: string) {
  return { type: 'mrkdwn', text: cut(text, SLACK_SECTION_LIMIT) };
}

/** Slack's channel is everyone's: only a summary can be posted there, and it carries no link. */
export function slackPayload(notification: SummaryNotification): { text: string; blocks: unknown[] } {
  const title =
    notification.kind === 'approval-requested'
      ? `Approval needed: ${notification.headline}`
      : notification.headline;
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(oneLine(title), SLACK_HEADER_LIMIT) } },
    {
      type: 'section',
      fields: [
        mrkdwn(`*Case*\n${slackEscape(notification.caseId)}`),
        mrkdwn(`*Rule*\n${slackEscape(notification.ruleId)} (${notification.severity})`),
        mrkdwn(`*Principal*\n\`${slackEscape(notification.principal)}\``),
        mrkdwn(`*Outcome*\n${slackEscape(notification.outcome ?? 'waiting for a decision')}`),
      ],
    },
    { type: 'section', text: mrkdwn(`*Why*\n${slackEscape(notification.reason)}`) },
  ];
  if (notification.facts.length > 0) {
    blocks.push({
      type: 'section',
      text: mrkdwn(
        notification.facts
          .map(([label, value]) => `*${slackEscape(label)}:* ${slackEscape(value)}`)
          .join('\n'),
      ),
    });
  }
  if (notification.commands.length > 0) {
    blocks.push({
      type: 'context',
      elements: [mrkdwn(notification.commands.map((command) => `\`${slackEscape(command)}\``).join('\n'))],
    });
  }
  // `text` is what notifications and screen readers show.
  return { text: cut(slackEscape(title), SLACK_SECTION_LIMIT), blocks };
}

/** A case's notification, as a summary for everyone: the trigger's facts first, then what the step adds. */
export function notificationFor(
  kind: Notification['kind'],
  caseId: string,
  trigger: Trigger,
  details: Pick<NotificationBody, 'reason' | 'outcome' | 'facts' | 'commands'> & {
    /** The case's standing severity, when it has been raised above the trigger's rule. */
    severity?: Severity;
  },
): SummaryNotification {
  const rule = RULES.find((candidate) => candidate.id === trigger.ruleId);
  const principal = principalArnOf(trigger.target);
  const headline =
    kind === 'approval-requested'
      ? `${trigger.ruleId} on ${principal}`
      : `${details.outcome}: ${trigger.ruleId} on ${principal}`;
  return {
    kind,
    audience: 'everyone',
    caseId,
    headline,
    // A rule removed since the case opened is treated as the most severe: fail loud.
    severity:
      details.severity ??
      (trigger.target.kind === 'person'
        ? OFFBOARDING_SEVERITY
        : trigger.target.kind === 'grant'
          ? JIT_SEVERITY
          : trigger.target.kind === 'refinement'
            ? 'low'
            : (trigger.finding?.level ?? rule?.severity ?? 'critical')),
    ruleId: trigger.ruleId,
    principal,
    ...details,
    facts: [
      ...(trigger.refinement
        ? ([
            ['Refined policy', trigger.refinement.document],
            [
              'Proof',
              `allows all ${trigger.refinement.proof.calls} calls to ${trigger.refinement.proof.resources} resources from ${trigger.refinement.window.start} to ${trigger.refinement.window.end}; replaces every policy the role holds (undo restores them); watched ${trigger.refinement.watchMinutes} minutes for access-denied errors`,
            ],
            ['Asked by', trigger.refinement.requestedBy],
          ] as [string, string][])
        : []),
      ...(trigger.finding
        ? [
            [
              'Finding',
              `${trigger.finding.type} (${trigger.finding.id}), severity ${trigger.finding.severity}${trigger.finding.title ? `: ${defang(trigger.finding.title)}` : ''}`,
            ] as [string, string],
          ]
        : []),
      ['Call', `${trigger.eventSource} ${trigger.eventName} at ${trigger.eventTime} in ${trigger.region}`],
      [
        'From',
        `${trigger.sourceIp ?? 'an unknown address'} with user agent ${trigger.userAgent === null ? '(none)' : defang(trigger.userAgent)}`,
      ],
      ...details.facts,
    ],
  };
}
