// End a just-in-time grant: thin edge around the expire-grant use case.
import middy from '@middy/core';
import { parseAtEdge } from '../edge.ts';
import { type ExpireGrantDependencies, ExpireGrantInputSchema, expireGrant } from '../usecases/jit.ts';

export function createExpireGrantHandler(deps: ExpireGrantDependencies) {
  return middy(async (event: unknown) =>
    expireGrant(parseAtEdge(ExpireGrantInputSchema, event, 'expire-grant input'), deps),
  );
}
