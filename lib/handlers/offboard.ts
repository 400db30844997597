// Offboard a person: thin edge around the offboard use case. Returns what the state machine
// needs to verify; the inventory, plans and manual steps stay on the case.
import middy from '@middy/core';
import { parseAtEdge } from '../edge.ts';
import { type OffboardDependencies, OffboardInputSchema, offboard } from '../usecases/offboard.ts';

export function createOffboardHandler(deps: OffboardDependencies) {
  return middy(
    async (event: unknown) =>
      (await offboard(parseAtEdge(OffboardInputSchema, event, 'offboard input'), deps)).revocation,
  );
}
