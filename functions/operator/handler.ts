// The operator API, behind a Lambda function URL with AuthType AWS_IAM: AWS verifies each
// request's SigV4 signature and passes the caller's ARN in the request context — that ARN is
// who they are. Locally, `revoker operator serve` verifies the same signature and fills in the
// same context. JSON in, JSON out; every route authorises through the access configuration.

import { deployed } from '../../lib/compose/aws/deployed.ts';
import { operatorDependencies } from '../../lib/compose/aws/operator.ts';
import { workflow } from '../../lib/compose/aws/step-functions.ts';
import { createOperatorHandler } from '../../lib/handlers/operator.ts';

export const handler = deployed('operator', async () =>
  createOperatorHandler({ ...(await operatorDependencies()), workflow: workflow() }),
);
