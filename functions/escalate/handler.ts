// Escalate: page the on-call with signed links and record the pending decision. Runs as a
// waitForTaskToken task: its return value is not the task's result, the answer is.
import middy from '@middy/core';
import { aws, deployed, systemClock } from '../../lib/aws/deployed.ts';
import { parseAtEdge } from '../../lib/edge.ts';
import { type EscalateDependencies, EscalateInputSchema, escalate } from '../../lib/usecases/escalate.ts';

export function createEscalateHandler(deps: EscalateDependencies) {
  return middy(async (event: unknown) =>
    escalate(parseAtEdge(EscalateInputSchema, event, 'escalate input'), deps),
  );
}

export const handler = deployed(async () =>
  createEscalateHandler({
    cases: aws.cases(),
    clock: systemClock,
    config: await aws.config(),
    iam: await aws.iam(),
    notifier: aws.notifier(),
    keys: aws.signingKeys(),
  }),
);
