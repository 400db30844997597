// SNS (and Slack, when its secret is set): where notifications go.
import { SNSClient } from '@aws-sdk/client-sns';
import { AllNotifiers, SlackWebhookNotifier, SnsNotifier } from '../../aws/notifiers.ts';
import type { Notifier } from '../../ports.ts';
import { once, optionalSetting, setting } from './deployed.ts';
import { secretNamed } from './secrets.ts';

export const notifier = once((): Notifier => {
  // The webhook URL is a secret: its name is in the environment, the URL is read at run time.
  const slack = optionalSetting('SLACK_WEBHOOK_SECRET');
  return new AllNotifiers([
    new SnsNotifier(new SNSClient({}), setting('NOTIFY_TOPIC_ARN')),
    ...(slack ? [new SlackWebhookNotifier(secretNamed(slack))] : []),
  ]);
});
