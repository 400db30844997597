// Confirm a trigger: thin edge around the confirm use case.
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { createConfirmHandler } from '../../lib/handlers/confirm.ts';

export const handler = deployed('confirm', async () =>
  createConfirmHandler({
    engine: aws.engine(),
    runbooks: aws.runbooks(),
    config: await aws.config(),
    clock: systemClock,
    cases: aws.cases(),
  }),
);
