// Keep every trail region's logs moving, and end any grant its schedule missed: thin edge
// around the heartbeat use case, run on a schedule. The scheduled event carries nothing the
// use case needs.
import middy from '@middy/core';
import { type HeartbeatDependencies, heartbeat } from '../usecases/heartbeat.ts';

export function createHeartbeatHandler(deps: HeartbeatDependencies) {
  return middy(async () => heartbeat(deps));
}
