// Step Functions for the deployed pipeline: starting one execution per case (the execution
// name is the idempotency key) and answering an escalation's waiting task.
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type TaskCallbacks, TaskNotWaitingError, type WorkflowStarter } from '../ports.ts';

export class StepFunctionsWorkflow implements WorkflowStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  /**
   * Each case has its own execution name, never reused. The same name and input while it runs
   * succeeds again; a name already used otherwise (running, or closed within 90 days) is refused
   * with ExecutionAlreadyExists: either way the case's execution exists, started by an earlier
   * attempt of the same start.
   */
  async start(name: string, input: unknown): Promise<'started' | 'already-started'> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      return 'started';
    } catch (error) {
      if ((error as Error).name === 'ExecutionAlreadyExists') return 'already-started';
      throw error;
    }
  }
}

/** What Step Functions answers for a token whose task no longer waits. */
const NOT_WAITING = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** SendTaskFailure caps the error name at 256 characters and the cause at 32,768. */
const ERROR_LIMIT = 256;
const CAUSE_LIMIT = 32_768;

export class StepFunctionsCallbacks implements TaskCallbacks {
  constructor(private readonly client: SFNClient) {}

  succeed(token: string, output: unknown): Promise<void> {
    return this.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
  }

  fail(token: string, error: string, cause: string): Promise<void> {
    return this.send(
      new SendTaskFailureCommand({
        taskToken: token,
        error: error.slice(0, ERROR_LIMIT),
        cause: cause.slice(0, CAUSE_LIMIT),
      }),
    );
  }

  heartbeat(token: string): Promise<void> {
    return this.send(new SendTaskHeartbeatCommand({ taskToken: token }));
  }

  private async send(
    command: SendTaskSuccessCommand | SendTaskFailureCommand | SendTaskHeartbeatCommand,
  ): Promise<void> {
    try {
      await this.client.send(command as SendTaskSuccessCommand);
    } catch (error) {
      const name = (error as Error).name;
      if (NOT_WAITING.has(name)) {
        throw new TaskNotWaitingError(
          name === 'TaskTimedOut'
            ? 'the task timed out or was already answered'
            : `the task token is not valid (${name})`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}
