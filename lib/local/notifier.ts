// The local stand-in for SNS and Slack: each notification's exact payloads, one JSON line per
// notification in a file (what would have been sent), and a short line for the console.
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Notification, slackPayload, snsMessage } from '../domain/notification.ts';
import type { Clock, Notifier } from '../ports.ts';

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
    const line = JSON.stringify({
      at: this.clock.now().toISOString(),
      caseId: notification.caseId,
      kind: notification.kind,
      sns,
      slack: slackPayload(notification),
    });
    await mkdir(dirname(this.file), { recursive: true });
    await appendFile(this.file, `${line}\n`);
    this.sent.push(notification);
    this.print(`notify: ${sns.subject}`);
  }
}
