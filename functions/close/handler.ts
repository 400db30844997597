// Record a case's outcome: thin edge around the close use case.
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { createCloseHandler } from '../../lib/handlers/close.ts';

export const handler = deployed('close', async () =>
  createCloseHandler({
    cases: aws.cases(),
    clock: systemClock,
    notifier: aws.notifier(),
    archive: aws.archive(),
  }),
);
