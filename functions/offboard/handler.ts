// Offboard a person: thin edge around the offboard use case. Returns what the state machine
// needs to verify; the inventory, plans and manual steps stay on the case.
import middy from '@middy/core';
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { parseAtEdge } from '../../lib/edge.ts';
import { type OffboardDependencies, OffboardInputSchema, offboard } from '../../lib/usecases/offboard.ts';

export function createOffboardHandler(deps: OffboardDependencies) {
  return middy(
    async (event: unknown) =>
      (await offboard(parseAtEdge(OffboardInputSchema, event, 'offboard input'), deps)).revocation,
  );
}

export const handler = deployed(async () =>
  createOffboardHandler({
    engine: aws.engine(),
    runbooks: aws.runbooks(),
    iam: await aws.iam(),
    config: await aws.config(),
    clock: systemClock,
    cases: aws.cases(),
  }),
);
