// EventBridge Scheduler for the deployed pipeline: a one-time schedule per grant that puts the
// grant's expiry event on the bus at its end, then deletes itself.
import { ConflictException, CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Scheduler } from '../ports.ts';

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
  ) {}

  async scheduleOnce(
    name: string,
    at: Date,
    event: { source: string; detailType: string; detail: unknown },
  ): Promise<void> {
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
