// Close: record the case's outcome and tell people. Every path through the state machine ends
// here; every outcome but benign pages (an expired escalation pages again).
import { z } from 'zod';
import { notificationFor } from '../domain/notification.ts';
import { toInstant } from '../domain/time.ts';
import { TriggerSchema } from '../domain/trigger.ts';
import type { CaseStore, Clock, Notifier } from '../ports.ts';
import { openCaseEntry, readableCause } from './case-audit.ts';
import { evidenceFacts } from './escalate.ts';

export const OUTCOMES = [
  'contained',
  'benign',
  'notified',
  'rejected',
  'expired',
  'kept',
  'needs-human',
  'dry-run',
] as const;

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
  notifier: Notifier;
}

export async function close(
  input: CloseInput,
  deps: CloseDependencies,
): Promise<{ caseId: string; outcome: string }> {
  const { outcome } = input.closing;
  const reason = readableCause(input.closing.reason);
  const failure = input.error
    ? ` Step failed with ${input.error.Error}: ${readableCause(input.error.Cause ?? 'no cause given')}`
    : '';
  const record = await deps.cases.append(
    input.caseId,
    openCaseEntry(input.caseId, input.trigger, deps.clock),
    { at: toInstant(deps.clock.now()), step: 'close', summary: `${outcome}: ${reason}${failure}` },
    outcome,
  );
  if (outcome !== 'benign') {
    await deps.notifier.notify(
      notificationFor('case-closed', input.caseId, input.trigger, {
        reason: `${reason}${failure}`,
        outcome,
        facts: evidenceFacts(record),
        links: [],
        commands: [`revoker cases show ${input.caseId}`],
      }),
    );
  }
  return { caseId: input.caseId, outcome };
}
