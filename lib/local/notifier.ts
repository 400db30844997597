// The local stand-in for SNS and Slack: each notification's exact payloads, one JSON line per
// notification in a file (what would have been sent), and a short line for the console. As
// deployed, a summary goes to the topic (`audience=everyone`) and to Slack; one approver's
// message, with their link, goes to the topic alone, attributed to that approver, and never to
// Slack (`slack` is null on its line).
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Notification, slackPayload, snsAttributes, snsMessage } from '../domain/notification.ts';
import type { Clock, Notifier } from '../ports.ts';

/** One line of the notifications file: what SNS would publish and what Slack would be posted. */
export interface SentPayloads {
  at: string;
  caseId: string;
  kind: Notification['kind'];
  audience: Notification['audience'];
  /** Who the message is for, on one approver's message. */
  approver?: string;
  sns: { subject: string; message: string; attributes: Record<string, string> };
  slack: ReturnType<typeof slackPayload> | null;
}

export class FileNotifier implements Notifier {
  /** Every notification sent by this instance, in order. */
  readonly sent: Notification[] = [];

  constructor(
    readonly file: string,
    private readonly clock: Clock,
    private readonly print: (line: string) => void = () => undefined,
  ) {}

  async notify(notification: Notification): Promise<void> {
    const sns = snsMessage(notification);
    const line: SentPayloads = {
      at: this.clock.now().toISOString(),
      caseId: notification.caseId,
      kind: notification.kind,
      audience: notification.audience,
      ...(notification.audience === 'approver' ? { approver: notification.approver } : {}),
      sns: { ...sns, attributes: snsAttributes(notification) },
      slack: notification.audience === 'everyone' ? slackPayload(notification) : null,
    };
    await mkdir(dirname(this.file), { recursive: true });
    await appendFile(this.file, `${JSON.stringify(line)}\n`);
    this.sent.push(notification);
    this.print(
      notification.audience === 'approver'
        ? `notify ${notification.approver} (their link, SNS only): ${sns.subject}`
        : `notify: ${sns.subject}`,
    );
  }
}
