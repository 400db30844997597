// Keep every trail region's logs moving, and end any grant its schedule missed: thin edge
// around the heartbeat use case, run on a schedule. The scheduled event carries nothing the
// use case needs.
import middy from '@middy/core';
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { type HeartbeatDependencies, heartbeat } from '../../lib/usecases/heartbeat.ts';

export function createHeartbeatHandler(deps: HeartbeatDependencies) {
  return middy(async () => heartbeat(deps));
}

export const handler = deployed(async () =>
  createHeartbeatHandler({
    heartbeat: aws.heartbeat(),
    config: await aws.config(),
    cases: aws.cases(),
    workflow: aws.workflow(),
    clock: systemClock,
  }),
);
