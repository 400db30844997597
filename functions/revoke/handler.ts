// Revoke a confirmed case: thin edge around the revoke use case.
import middy from '@middy/core';
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { parseAtEdge } from '../../lib/edge.ts';
import { type RevokeDependencies, RevokeInputSchema, revoke } from '../../lib/usecases/revoke.ts';

export function createRevokeHandler(deps: RevokeDependencies) {
  return middy(async (event: unknown) => revoke(parseAtEdge(RevokeInputSchema, event, 'revoke input'), deps));
}

export const handler = deployed(async () =>
  createRevokeHandler({
    iam: await aws.iam(),
    config: await aws.config(),
    clock: systemClock,
    cases: aws.cases(),
  }),
);
