import 'aws-sdk-client-mock-vitest/extend';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AllNotifiers,
  NotifyFailedError,
  SlackWebhookNotifier,
  SnsNotifier,
} from '../../../../lib/aws/notifiers.ts';
import {
  forApprover,
  notificationFor,
  slackPayload,
  snsMessage,
} from '../../../../lib/domain/notification.ts';
import { trigger } from '../../../fixtures/escalation.ts';

const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:revoker';
const notification = notificationFor('approval-requested', 'case-1', trigger, {
  reason: 'the evidence is ambiguous',
  outcome: null,
  facts: [],
  commands: [],
});
/** The same page, for one approver alone, with their link. */
const forOnCall = forApprover(notification, {
  approver: 'oncall@example.com',
  url: 'https://approve.example/approval?link=abc',
  expiresAt: '2026-01-15T13:00:00Z',
});

/** A stand-in for Slack's webhook endpoint: records each body and answers with `status`. */
async function slackEndpoint(status: number, answer = 'ok') {
  const bodies: unknown[] = [];
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    bodies.push(JSON.parse(body));
    response.writeHead(status, { 'content-type': 'text/plain' }).end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/secret`;
  return { url, bodies, close: () => new Promise((resolve) => server.close(resolve)) };
}

let endpoints: { close: () => Promise<unknown> }[] = [];
beforeEach(() => sns.reset());
afterEach(async () => {
  await Promise.all(endpoints.map((endpoint) => endpoint.close()));
  endpoints = [];
});

describe('SnsNotifier', () => {
  it('publishes the summary to the topic, with attributes subscribers can filter on: for everyone', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    await new SnsNotifier(new SNSClient({}), TOPIC).notify(notification);

    const { subject, message } = snsMessage(notification);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: subject,
      Message: message,
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'approval-requested' },
        severity: { DataType: 'String', StringValue: 'high' },
        caseId: { DataType: 'String', StringValue: 'case-1' },
        audience: { DataType: 'String', StringValue: 'everyone' },
      },
    });
    expect(message).not.toContain('link=');
  });

  it('publishes one approver’s message with their link, attributed to them alone', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-2' });

    await new SnsNotifier(new SNSClient({}), TOPIC).notify(forOnCall);

    const { subject, message } = snsMessage(forOnCall);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: subject,
      Message: message,
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'approval-requested' },
        severity: { DataType: 'String', StringValue: 'high' },
        caseId: { DataType: 'String', StringValue: 'case-1' },
        audience: { DataType: 'String', StringValue: 'approver' },
        approver: { DataType: 'String', StringValue: 'oncall@example.com' },
      },
    });
    expect(message).toContain('https://approve.example/approval?link=abc');
  });
});

describe('SlackWebhookNotifier', () => {
  it('posts the Block Kit payload to the webhook', async () => {
    const slack = await slackEndpoint(200);
    endpoints.push(slack);

    await new SlackWebhookNotifier(slack.url).notify(notification);

    expect(slack.bodies).toEqual([slackPayload(notification)]);
  });

  it('never posts one approver’s message (their link) to the channel', async () => {
    const slack = await slackEndpoint(200);
    endpoints.push(slack);

    await new SlackWebhookNotifier(slack.url).notify(forOnCall);

    expect(slack.bodies).toEqual([]);
  });

  it('reads the webhook URL when it sends, as the deployed notifier reads its secret', async () => {
    const slack = await slackEndpoint(200);
    endpoints.push(slack);
    let reads = 0;

    await new SlackWebhookNotifier(async () => {
      reads++;
      return slack.url;
    }).notify(notification);

    expect(reads).toBe(1);
    expect(slack.bodies).toEqual([slackPayload(notification)]);
  });

  it('fails, with Slack’s reason and without the secret URL, when Slack refuses', async () => {
    const slack = await slackEndpoint(400, 'invalid_blocks');
    endpoints.push(slack);

    const sending = new SlackWebhookNotifier(slack.url).notify(notification);

    await expect(sending).rejects.toThrow(
      new NotifyFailedError('Slack refused the message: HTTP 400 invalid_blocks'),
    );
  });
});

describe('AllNotifiers', () => {
  it('still sends through the others when one fails, then names the failure', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const slack = await slackEndpoint(500, 'rollup_error');
    endpoints.push(slack);

    const sending = new AllNotifiers([
      new SlackWebhookNotifier(slack.url),
      new SnsNotifier(new SNSClient({}), TOPIC),
    ]).notify(notification);

    await expect(sending).rejects.toThrow(
      '1 of 2 notifiers failed: Slack refused the message: HTTP 500 rollup_error',
    );
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });
});
