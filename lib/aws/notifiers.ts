// The deployed notifiers: the SNS topic (email, SMS, chat integrations subscribe to it) and a
// Slack incoming webhook for the Block Kit message. Every notifier is tried; if any fails, the
// failure names each one that did, after the others were sent.
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type Notification, slackPayload, snsMessage } from '../domain/notification.ts';
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
        // Subscribers can filter: only escalations to the pager, everything to the channel.
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: notification.kind },
          severity: { DataType: 'String', StringValue: notification.severity },
          caseId: { DataType: 'String', StringValue: notification.caseId },
        },
      }),
    );
  }
}

export class SlackWebhookNotifier implements Notifier {
  constructor(
    private readonly webhookUrl: string,
    private readonly post: typeof fetch = fetch,
  ) {}

  async notify(notification: Notification): Promise<void> {
    const response = await this.post(this.webhookUrl, {
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
