// Escalate: page the on-call with signed links and record the pending decision. Runs as a
// waitForTaskToken task: its return value is not the task's result, the answer is.
import middy from '@middy/core';
import { parseAtEdge } from '../edge.ts';
import { type EscalateDependencies, EscalateInputSchema, escalate } from '../usecases/escalate.ts';

export function createEscalateHandler(deps: EscalateDependencies) {
  return middy(async (event: unknown) =>
    escalate(parseAtEdge(EscalateInputSchema, event, 'escalate input'), deps),
  );
}
