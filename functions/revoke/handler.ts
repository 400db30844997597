// Revoke a confirmed case, or apply (and roll back) an approved refinement: the function that
// changes IAM for a case. Thin edge around the revoke and refinement use cases.
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { createRevokeHandler } from '../../lib/handlers/revoke.ts';

export const handler = deployed('revoke', async () =>
  createRevokeHandler({
    iam: await aws.iam(),
    config: await aws.config(),
    clock: systemClock,
    cases: aws.cases(),
  }),
);
