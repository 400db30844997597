// `Grant Requested` events (revoker.jit): an announcement of a request made through the
// operator API, never a grant by itself. A recorded request an interruption left approved is
// finished; anything else is set aside in the dead-letter queue with the reason.
import middy from '@middy/core';
import { aws, deployed, operatorDependencies } from '../../lib/aws/deployed.ts';
import type { DeadLetters } from '../../lib/ports.ts';
import { type OperatorDependencies, takeGrantAnnouncement } from '../../lib/usecases/operator.ts';

export function createGrantHandler(deps: OperatorDependencies & { deadLetters: DeadLetters }) {
  return middy(async (event: unknown) => takeGrantAnnouncement(event, deps));
}

export const handler = deployed(async () =>
  createGrantHandler({ ...(await operatorDependencies()), deadLetters: aws.deadLetters() }),
);
