import 'aws-sdk-client-mock-vitest/extend';
import {
  ExecutionAlreadyExists,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { StepFunctionsCallbacks, StepFunctionsWorkflow } from '../../../../lib/aws/step-functions.ts';
import { TaskNotWaitingError } from '../../../../lib/ports.ts';

const sfn = mockClient(SFNClient);
const STATE_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:revoker';

beforeEach(() => sfn.reset());

describe('StepFunctionsWorkflow', () => {
  it('starts the execution under the case’s name, with the input as JSON', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: `${STATE_MACHINE}:case-1`, startDate: new Date() });

    const status = await new StepFunctionsWorkflow(new SFNClient({}), STATE_MACHINE).start('case-1', {
      caseId: 'c',
    });

    expect(status).toBe('started');
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE,
      name: 'case-1',
      input: '{"caseId":"c"}',
    });
  });

  it('reports a name already used as already started, and passes other errors on', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejectsOnce(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }))
      .rejectsOnce(new Error('throttled'));
    const workflow = new StepFunctionsWorkflow(new SFNClient({}), STATE_MACHINE);

    await expect(workflow.start('case-1', {})).resolves.toBe('already-started');
    await expect(workflow.start('case-1', {})).rejects.toThrow('throttled');
  });
});

describe('StepFunctionsCallbacks', () => {
  it('sends an approval as the task’s output, a rejection as its error and cause, and heartbeats', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    sfn.on(SendTaskFailureCommand).resolves({});
    sfn.on(SendTaskHeartbeatCommand).resolves({});
    const callbacks = new StepFunctionsCallbacks(new SFNClient({}));

    await callbacks.heartbeat('token-1');
    await callbacks.succeed('token-1', { decision: 'approved', approver: 'oncall@example.com' });
    await callbacks.fail(
      'token-2',
      'revoker.Rejected',
      `Rejected by oncall@example.com: ${'x'.repeat(40_000)}`,
    );

    expect(sfn).toHaveReceivedCommandWith(SendTaskHeartbeatCommand, { taskToken: 'token-1' });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: 'token-1',
      output: '{"decision":"approved","approver":"oncall@example.com"}',
    });
    const failure = sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input;
    expect(failure.error).toBe('revoker.Rejected');
    expect(failure.cause).toHaveLength(32_768);
  });

  it('says the task no longer waits when Step Functions says it timed out', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));

    await expect(new StepFunctionsCallbacks(new SFNClient({})).succeed('token-1', {})).rejects.toThrow(
      TaskNotWaitingError,
    );
  });
});
