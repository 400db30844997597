// EventBridge Scheduler for the deployed pipeline: a one-time schedule per grant that puts the
// grant's expiry event on the bus at its end, then deletes itself.
//
// A one-time schedule whose at() has passed is refused by CreateSchedule (ValidationException),
// never run at once; the API reference leaves it unsaid, so this adapter does not ask: a time
// already past (by the function's clock) is a ScheduleInPastError, and the grant is refused
// before anything is attached. Its case is already listed for the heartbeat, whose sweep ends it.
import { ConflictException, CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { ScheduleInPastError, type Scheduler } from '../ports.ts';

export class EventBridgeScheduler implements Scheduler {
  constructor(
    private readonly client: SchedulerClient,
    private readonly target: {
      /** The event bus the expiry event is put on. */
      eventBusArn: string;
      /** The role EventBridge Scheduler assumes to put it there (events:PutEvents on the bus). */
      roleArn: string;
      groupName?: string;
    },
    private readonly now: () => Date = () => new Date(),
  ) {}

  async scheduleOnce(
    name: string,
    at: Date,
    event: { source: string; detailType: string; detail: unknown },
  ): Promise<void> {
    // at() has whole seconds: a time within this second is as good as past.
    if (Math.floor(at.getTime() / 1000) <= Math.floor(this.now().getTime() / 1000))
      throw new ScheduleInPastError(
        `schedule ${name} is for ${at.toISOString()}, which has passed: EventBridge Scheduler runs no one-time schedule in the past`,
      );
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: name,
          ...(this.target.groupName ? { GroupName: this.target.groupName } : {}),
          // at(yyyy-mm-ddThh:mm:ss), in UTC: whole seconds, no zone suffix.
          ScheduleExpression: `at(${at.toISOString().slice(0, 19)})`,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: this.target.eventBusArn,
            RoleArn: this.target.roleArn,
            EventBridgeParameters: { Source: event.source, DetailType: event.detailType },
            Input: JSON.stringify(event.detail),
            RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
          },
        }),
      );
    } catch (error) {
      // A retried grant schedules the same name: the first schedule stands.
      if (error instanceof ConflictException) return;
      throw error;
    }
  }
}
