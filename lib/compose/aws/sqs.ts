// SQS: the dead-letter queue where rejected events are set aside with their reason.
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsDeadLetters } from '../../aws/sqs-dead-letters.ts';
import { once, setting } from './deployed.ts';

export const deadLetters = once(
  () => new SqsDeadLetters(new SQSClient({}), setting('DEAD_LETTER_QUEUE_URL')),
);
