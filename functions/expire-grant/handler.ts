// End a just-in-time grant: thin edge around the expire-grant use case.
import middy from '@middy/core';
import { deployedHandler } from '../../lib/aws/deployed.ts';
import { parseAtEdge } from '../../lib/edge.ts';
import { type ExpireGrantDependencies, ExpireGrantInputSchema, expireGrant } from '../../lib/usecases/jit.ts';

export function createExpireGrantHandler(deps: ExpireGrantDependencies) {
  return middy(async (event: unknown) =>
    expireGrant(parseAtEdge(ExpireGrantInputSchema, event, 'expire-grant input'), deps),
  );
}

export const handler = deployedHandler('expire-grant', ['IAM', 'Athena', 'DynamoDB']);
