// The deployed notifiers: the SNS topic (email, SMS, chat integrations subscribe to it) and a
// Slack incoming webhook for the Block Kit message. Every notifier is tried; if any fails, the
// failure names each one that did, after the others were sent.
//
// A link is a credential: each approver's link goes to the topic as a message of its own,
// attributed `audience=approver` and `approver=<who>`, so a subscription filter policy hands it
// to that person alone; the summary (`audience=everyone`) carries no link, and it is all Slack's
// channel ever receives.
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type Notification, slackPayload, snsAttributes, snsMessage } from '../domain/notification.ts';
import type { Notifier } from '../ports.ts';

export class NotifyFailedError extends Error {
  override name = 'NotifyFailedError';
}

export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async notify(notification: Notification): Promise<void> {
    const { subject, message } = snsMessage(notification);
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subject,
        Message: message,
        // Subscribers filter on these: a person on `approver`, a channel on `audience`.
        MessageAttributes: Object.fromEntries(
          Object.entries(snsAttributes(notification)).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value },
          ]),
        ),
      }),
    );
  }
}

export class SlackWebhookNotifier implements Notifier {
  /** `webhookUrl` is the URL, or how to read it (from Secrets Manager, at run time). */
  constructor(
    private readonly webhookUrl: string | (() => Promise<string>),
    private readonly post: typeof fetch = fetch,
  ) {}

  async notify(notification: Notification): Promise<void> {
    // The channel is everyone's: one approver's message (and link) is never posted there.
    if (notification.audience !== 'everyone') return;
    const url = typeof this.webhookUrl === 'string' ? this.webhookUrl : await this.webhookUrl();
    const response = await this.post(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(slackPayload(notification)),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) {
      // Slack answers with a short reason (invalid_blocks, no_service...); the URL is a secret.
      const reason = (await response.text()).slice(0, 200);
      throw new NotifyFailedError(`Slack refused the message: HTTP ${response.status} ${reason}`);
    }
  }
}

/** Send through every notifier; one failing does not keep the others from being told. */
export class AllNotifiers implements Notifier {
  constructor(private readonly notifiers: Notifier[]) {}

  async notify(notification: Notification): Promise<void> {
    const results = await Promise.allSettled(this.notifiers.map((notifier) => notifier.notify(notification)));
    const failures = results.filter((result) => result.status === 'rejected');
    if (failures.length > 0) {
      throw new NotifyFailedError(
        `${failures.length} of ${this.notifiers.length} notifiers failed: ${failures.map((failure) => String((failure.reason as Error).message)).join('; ')}`,
        { cause: failures.map((failure) => failure.reason) },
      );
    }
  }
}
