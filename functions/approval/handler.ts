// The approval page, behind API Gateway (HTTP API, payload 2.0): GET shows a signed link's
// case, POST answers it. Locally the same handler is served on localhost.
import { deployed, systemClock } from '../../lib/compose/aws/deployed.ts';
import { cases } from '../../lib/compose/aws/dynamodb.ts';
import { signingKeys } from '../../lib/compose/aws/secrets.ts';
import { callbacks } from '../../lib/compose/aws/step-functions.ts';
import { createApprovalHandler } from '../../lib/handlers/approval.ts';

export const handler = deployed('approval', async () =>
  createApprovalHandler({
    cases: cases(),
    callbacks: callbacks(),
    clock: systemClock,
    keys: signingKeys(),
  }),
);
