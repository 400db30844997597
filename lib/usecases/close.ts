// Close: record the case's outcome. Every path through the state machine ends here.
import { z } from 'zod';
import { toInstant } from '../domain/time.ts';
import { TriggerSchema } from '../domain/trigger.ts';
import type { CaseStore, Clock } from '../ports.ts';
import { openCaseEntry } from './case-audit.ts';

export const OUTCOMES = ['contained', 'benign', 'needs-human', 'dry-run'] as const;

export const CloseInputSchema = z.object({
  caseId: z.string().min(1),
  trigger: TriggerSchema,
  closing: z.object({ outcome: z.enum(OUTCOMES), reason: z.string() }),
  /** Set when a step failed and the Catch routed the case here. */
  error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});
export type CloseInput = z.infer<typeof CloseInputSchema>;

export interface CloseDependencies {
  cases: CaseStore;
  clock: Clock;
}

export async function close(
  input: CloseInput,
  deps: CloseDependencies,
): Promise<{ caseId: string; outcome: string }> {
  const { outcome, reason } = input.closing;
  const failure = input.error
    ? ` Step failed with ${input.error.Error}: ${input.error.Cause ?? 'no cause given'}`
    : '';
  await deps.cases.append(
    input.caseId,
    openCaseEntry(input.caseId, input.trigger, deps.clock),
    { at: toInstant(deps.clock.now()), step: 'close', summary: `${outcome}: ${reason}${failure}` },
    outcome,
  );
  return { caseId: input.caseId, outcome };
}
