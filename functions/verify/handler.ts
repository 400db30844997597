// Verify containment, or watch an applied refinement for access-denied errors: the function
// that reads the logs after a change. Thin edge around the verify and refinement use cases.
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { createVerifyHandler } from '../../lib/handlers/verify.ts';

export const handler = deployed('verify', async () =>
  createVerifyHandler({
    engine: aws.engine(),
    runbooks: aws.runbooks(),
    config: await aws.config(),
    clock: systemClock,
    cases: aws.cases(),
  }),
);
