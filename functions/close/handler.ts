// Record a case's outcome: thin edge around the close use case.
import middy from '@middy/core';
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { parseAtEdge } from '../../lib/edge.ts';
import { type CloseDependencies, CloseInputSchema, close } from '../../lib/usecases/close.ts';

export function createCloseHandler(deps: CloseDependencies) {
  return middy(async (event: unknown) => close(parseAtEdge(CloseInputSchema, event, 'close input'), deps));
}

export const handler = deployed(async () =>
  createCloseHandler({ cases: aws.cases(), clock: systemClock, notifier: aws.notifier() }),
);
