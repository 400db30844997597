// Step Functions: starting a case's execution, and answering a waiting task.
import { SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsCallbacks, StepFunctionsWorkflow } from '../../aws/step-functions.ts';
import { once, setting } from './deployed.ts';

const client = once(() => new SFNClient({}));

export const workflow = once(() => new StepFunctionsWorkflow(client(), setting('STATE_MACHINE_ARN')));
export const callbacks = once(() => new StepFunctionsCallbacks(client()));
