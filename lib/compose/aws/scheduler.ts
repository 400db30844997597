// EventBridge Scheduler: the one-off schedules that end just-in-time grants.
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { EventBridgeScheduler } from '../../aws/event-scheduler.ts';
import { once, setting } from './deployed.ts';

export const scheduler = once(
  () =>
    new EventBridgeScheduler(new SchedulerClient({}), {
      eventBusArn: setting('EVENT_BUS_ARN'),
      roleArn: setting('SCHEDULER_ROLE_ARN'),
    }),
);
