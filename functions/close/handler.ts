// Record a case's outcome: thin edge around the close use case.
import { deployed, systemClock } from '../../lib/compose/aws/deployed.ts';
import { cases } from '../../lib/compose/aws/dynamodb.ts';
import { notifier } from '../../lib/compose/aws/notifier.ts';
import { archive } from '../../lib/compose/aws/s3.ts';
import { createCloseHandler } from '../../lib/handlers/close.ts';

export const handler = deployed('close', async () =>
  createCloseHandler({
    cases: cases(),
    clock: systemClock,
    notifier: notifier(),
    archive: archive(),
  }),
);
