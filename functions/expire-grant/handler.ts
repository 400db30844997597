// End a just-in-time grant: thin edge around the expire-grant use case.
import middy from '@middy/core';
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { parseAtEdge } from '../../lib/edge.ts';
import { type ExpireGrantDependencies, ExpireGrantInputSchema, expireGrant } from '../../lib/usecases/jit.ts';

export function createExpireGrantHandler(deps: ExpireGrantDependencies) {
  return middy(async (event: unknown) =>
    expireGrant(parseAtEdge(ExpireGrantInputSchema, event, 'expire-grant input'), deps),
  );
}

export const handler = deployed(async () =>
  createExpireGrantHandler({
    // A grant is made in this account, so its end is too, enrolled or not.
    iam: (await aws.iam()).withHome(),
    cases: aws.cases(),
    clock: systemClock,
    config: await aws.config(),
    engine: aws.engine(),
    runbooks: aws.runbooks(),
  }),
);
