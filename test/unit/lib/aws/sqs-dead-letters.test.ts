import 'aws-sdk-client-mock-vitest/extend';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsDeadLetters } from '../../../../lib/aws/sqs-dead-letters.ts';

const sqs = mockClient(SQSClient);
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/111122223333/revoker-detect-dead-letters';

beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});

describe('SqsDeadLetters', () => {
  it('sends the event with its reason, the reason also as an attribute to filter on', async () => {
    const event = { id: 'e-1', source: 'aws.iam', detail: { eventName: 'CreateUser' } };

    await new SqsDeadLetters(new SQSClient({}), QUEUE).send(event, 'principal: an AWS service');

    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: QUEUE,
      MessageBody: JSON.stringify({ reason: 'principal: an AWS service', event }),
      MessageAttributes: { reason: { DataType: 'String', StringValue: 'principal: an AWS service' } },
    });
  });

  it('sends an event too large for a message as its identity, so it is still counted and findable', async () => {
    const event = {
      id: 'e-2',
      source: 'aws.s3',
      'detail-type': 'AWS API Call via CloudTrail',
      detail: 'x'.repeat(300_000),
    };

    await new SqsDeadLetters(new SQSClient({}), QUEUE).send(event, 'too large');

    const body = JSON.parse(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageBody!);
    expect(body).toEqual({
      reason: 'too large',
      truncated: true,
      event: { id: 'e-2', source: 'aws.s3', 'detail-type': 'AWS API Call via CloudTrail' },
    });
  });
});
