// Keep every trail region's logs moving, and end any grant its schedule missed: thin edge
// around the heartbeat use case, run on a schedule. The scheduled event carries nothing the
// use case needs.
import { alarmLog } from '../../lib/aws/alarm-log.ts';
import { config, deployed, setting, systemClock } from '../../lib/compose/aws/deployed.ts';
import { cases } from '../../lib/compose/aws/dynamodb.ts';
import { workflow } from '../../lib/compose/aws/step-functions.ts';
import { heartbeat } from '../../lib/compose/aws/sts.ts';
import { createHeartbeatHandler } from '../../lib/handlers/heartbeat.ts';

export const handler = deployed('heartbeat', async () =>
  createHeartbeatHandler({
    heartbeat: await heartbeat(),
    config: await config(),
    homeAccountId: setting('REVOKER_ACCOUNT_ID'),
    globalEvents: {
      region: setting('AWS_REGION'),
      forwarded: process.env.REVOKER_GLOBAL_EVENTS_FORWARDED === 'true',
    },
    alarm: alarmLog(),
    cases: cases(),
    workflow: workflow(),
    clock: systemClock,
  }),
);
