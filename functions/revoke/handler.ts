// Revoke a confirmed case, or apply (and roll back) an approved refinement: the function that
// changes IAM for a case. Thin edge around the revoke and refinement use cases.
import { config, deployed, systemClock } from '../../lib/compose/aws/deployed.ts';
import { cases } from '../../lib/compose/aws/dynamodb.ts';
import { iam } from '../../lib/compose/aws/iam.ts';
import { createRevokeHandler } from '../../lib/handlers/revoke.ts';

export const handler = deployed('revoke', async () =>
  createRevokeHandler({
    iam: await iam(),
    config: await config(),
    clock: systemClock,
    cases: cases(),
  }),
);
