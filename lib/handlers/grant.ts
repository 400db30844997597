// `Grant Requested` events (revoker.jit): an announcement of a request made through the
// operator API, never a grant by itself. A recorded request an interruption left approved is
// finished; anything else is set aside in the dead-letter queue with the reason.
import middy from '@middy/core';
import type { DeadLetters } from '../ports.ts';
import { type OperatorDependencies, takeGrantAnnouncement } from '../usecases/operator.ts';

export function createGrantHandler(deps: OperatorDependencies & { deadLetters: DeadLetters }) {
  return middy(async (event: unknown) => takeGrantAnnouncement(event, deps));
}
