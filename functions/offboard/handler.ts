// Offboard a person: thin edge around the offboard use case. Returns what the state machine
// needs to verify; the inventory, plans and manual steps stay on the case.
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { createOffboardHandler } from '../../lib/handlers/offboard.ts';

export const handler = deployed('offboard', async () =>
  createOffboardHandler({
    engine: aws.engine(),
    runbooks: aws.runbooks(),
    iam: await aws.iam(),
    config: await aws.config(),
    clock: systemClock,
    cases: aws.cases(),
  }),
);
