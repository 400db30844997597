// Verify containment, or watch an applied refinement for access-denied errors: the function
// that reads the logs after a change. Thin edge around the verify and refinement use cases.
import { engine } from '../../lib/compose/aws/athena.ts';
import { config, deployed, runbooks, systemClock } from '../../lib/compose/aws/deployed.ts';
import { cases } from '../../lib/compose/aws/dynamodb.ts';
import { createVerifyHandler } from '../../lib/handlers/verify.ts';

export const handler = deployed('verify', async () =>
  createVerifyHandler({
    engine: engine(),
    runbooks: runbooks(),
    config: await config(),
    clock: systemClock,
    cases: cases(),
  }),
);
