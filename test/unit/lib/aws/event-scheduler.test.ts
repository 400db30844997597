import 'aws-sdk-client-mock-vitest/extend';
import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeScheduler } from '../../../../lib/aws/event-scheduler.ts';
import { ScheduleInPastError } from '../../../../lib/ports.ts';

const scheduler = mockClient(SchedulerClient);
const target = {
  eventBusArn: 'arn:aws:events:us-east-1:111122223333:event-bus/default',
  roleArn: 'arn:aws:iam::111122223333:role/revoker-scheduler',
};
/** The function's clock: an hour before the grant's end. */
const NOW = () => new Date('2026-01-15T11:00:00.000Z');
const expiry = {
  source: 'revoker.jit',
  detailType: 'Grant Expired',
  detail: { grantId: 'jit-0123456789abcdef01234567' },
};

beforeEach(() => scheduler.reset());

describe('EventBridgeScheduler', () => {
  it('creates a one-time schedule that puts the event on the bus at the time, then deletes itself', async () => {
    scheduler
      .on(CreateScheduleCommand)
      .resolves({ ScheduleArn: 'arn:aws:scheduler:us-east-1:111122223333:schedule/default/jit' });

    await new EventBridgeScheduler(new SchedulerClient({}), target, NOW).scheduleOnce(
      'jit-0123456789abcdef01234567',
      new Date('2026-01-15T12:00:00.000Z'),
      expiry,
    );

    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Name: 'jit-0123456789abcdef01234567',
      ScheduleExpression: 'at(2026-01-15T12:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: target.eventBusArn,
        RoleArn: target.roleArn,
        EventBridgeParameters: { Source: 'revoker.jit', DetailType: 'Grant Expired' },
        Input: '{"grantId":"jit-0123456789abcdef01234567"}',
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
      },
    });
  });

  it('leaves a schedule already made under the name as it is, and passes other errors on', async () => {
    scheduler
      .on(CreateScheduleCommand)
      .rejectsOnce(new ConflictException({ Message: 'exists', message: 'exists', $metadata: {} }))
      .rejectsOnce(new Error('throttled'));
    const adapter = new EventBridgeScheduler(new SchedulerClient({}), target, NOW);
    const end = new Date('2026-01-15T12:00:00.000Z');

    await expect(adapter.scheduleOnce('jit-a', end, expiry)).resolves.toBeUndefined();
    await expect(adapter.scheduleOnce('jit-a', end, expiry)).rejects.toThrow('throttled');
  });

  it('asks for no schedule whose time has passed (EventBridge Scheduler refuses one): ScheduleInPastError', async () => {
    const adapter = new EventBridgeScheduler(new SchedulerClient({}), target, NOW);

    for (const at of ['2026-01-15T10:59:00.000Z', '2026-01-15T11:00:00.000Z', '2026-01-15T11:00:00.900Z'])
      await expect(adapter.scheduleOnce('jit-a', new Date(at), expiry)).rejects.toThrow(ScheduleInPastError);

    expect(scheduler).not.toHaveReceivedCommand(CreateScheduleCommand);
    await adapter.scheduleOnce('jit-a', new Date('2026-01-15T11:00:01.000Z'), expiry);
    expect(scheduler).toHaveReceivedCommandTimes(CreateScheduleCommand, 1);
  });
});
