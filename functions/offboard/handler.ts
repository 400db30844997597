// Offboard a person: thin edge around the offboard use case. Returns what the state machine
// needs to verify; the inventory, plans and manual steps stay on the case.
import { engine } from '../../lib/compose/aws/athena.ts';
import { config, deployed, runbooks, systemClock } from '../../lib/compose/aws/deployed.ts';
import { cases } from '../../lib/compose/aws/dynamodb.ts';
import { iam } from '../../lib/compose/aws/iam.ts';
import { createOffboardHandler } from '../../lib/handlers/offboard.ts';

export const handler = deployed('offboard', async () =>
  createOffboardHandler({
    engine: engine(),
    runbooks: runbooks(),
    iam: await iam(),
    config: await config(),
    clock: systemClock,
    cases: cases(),
  }),
);
