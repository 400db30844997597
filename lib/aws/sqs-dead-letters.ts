// The detect function's dead-letter queue in SQS: each rejected event with its reason. An
// event too large for a message (SQS takes 256 KiB; EventBridge events reach that too) is sent
// as its ID, source and detail type, so it is still counted and can be found in CloudTrail.
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetters } from '../ports.ts';

/** SQS's message size limit, with room for the attributes. */
const MESSAGE_LIMIT = 250 * 1024;

export class SqsDeadLetters implements DeadLetters {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(event: unknown, reason: string): Promise<void> {
    let body = JSON.stringify({ reason, event });
    if (Buffer.byteLength(body) > MESSAGE_LIMIT) {
      const { id, source, 'detail-type': detailType } = (event ?? {}) as Record<string, unknown>;
      body = JSON.stringify({ reason, truncated: true, event: { id, source, 'detail-type': detailType } });
    }
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: body,
        MessageAttributes: { reason: { DataType: 'String', StringValue: reason.slice(0, 256) } },
      }),
    );
  }
}
