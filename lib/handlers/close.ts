// Record a case's outcome: thin edge around the close use case.
import middy from '@middy/core';
import { parseAtEdge } from '../edge.ts';
import { type CloseDependencies, CloseInputSchema, close } from '../usecases/close.ts';

export function createCloseHandler(deps: CloseDependencies) {
  return middy(async (event: unknown) => close(parseAtEdge(CloseInputSchema, event, 'close input'), deps));
}
