// Verify containment: thin edge around the verify use case.
import middy from '@middy/core';
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { parseAtEdge } from '../../lib/edge.ts';
import { type VerifyDependencies, VerifyInputSchema, verify } from '../../lib/usecases/verify.ts';

export function createVerifyHandler(deps: VerifyDependencies) {
  return middy(async (event: unknown) => verify(parseAtEdge(VerifyInputSchema, event, 'verify input'), deps));
}

export const handler = deployed(async () =>
  createVerifyHandler({
    engine: aws.engine(),
    runbooks: aws.runbooks(),
    config: await aws.config(),
    clock: systemClock,
    cases: aws.cases(),
  }),
);
