// Keep every trail region's logs moving, and end any grant its schedule missed: thin edge
// around the heartbeat use case, run on a schedule. The scheduled event carries nothing the
// use case needs.
import { alarmLog } from '../../lib/aws/alarm-log.ts';
import { aws, deployed, setting, systemClock } from '../../lib/aws/deployed.ts';
import { createHeartbeatHandler } from '../../lib/handlers/heartbeat.ts';

export const handler = deployed('heartbeat', async () =>
  createHeartbeatHandler({
    heartbeat: await aws.heartbeat(),
    config: await aws.config(),
    homeAccountId: setting('REVOKER_ACCOUNT_ID'),
    globalEvents: {
      region: setting('AWS_REGION'),
      forwarded: process.env.REVOKER_GLOBAL_EVENTS_FORWARDED === 'true',
    },
    alarm: alarmLog(),
    cases: aws.cases(),
    workflow: aws.workflow(),
    clock: systemClock,
  }),
);
