// Confirm a trigger: thin edge around the confirm use case.
import { engine } from '../../lib/compose/aws/athena.ts';
import { config, deployed, runbooks, systemClock } from '../../lib/compose/aws/deployed.ts';
import { cases } from '../../lib/compose/aws/dynamodb.ts';
import { createConfirmHandler } from '../../lib/handlers/confirm.ts';

export const handler = deployed('confirm', async () =>
  createConfirmHandler({
    engine: engine(),
    runbooks: runbooks(),
    config: await config(),
    clock: systemClock,
    cases: cases(),
  }),
);
