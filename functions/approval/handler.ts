// The approval page, behind API Gateway (HTTP API, payload 2.0): GET shows a signed link's
// case, POST answers it. Locally the same handler is served on localhost.
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { createApprovalHandler } from '../../lib/handlers/approval.ts';

export const handler = deployed('approval', async () =>
  createApprovalHandler({
    cases: aws.cases(),
    callbacks: aws.callbacks(),
    clock: systemClock,
    keys: aws.signingKeys(),
  }),
);
