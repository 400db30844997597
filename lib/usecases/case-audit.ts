import { toInstant } from '../domain/time.ts';
import type { Trigger } from '../domain/trigger.ts';
import type { CaseRecord, Clock } from '../ports.ts';

/** What a case starts with when its first audit entry is written. */
export function openCaseEntry(
  caseId: string,
  trigger: Trigger,
  clock: Clock,
): Omit<CaseRecord, 'audit' | 'outcome'> {
  return { caseId, openedAt: toInstant(clock.now()), trigger };
}

/**
 * A Step Functions error cause in words. A Lambda's error arrives as JSON text
 * (`{"errorType":…,"errorMessage":…}`); SendTaskFailure's and the local runner's as plain text.
 */
export function readableCause(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Plain text already.
  }
  return cause;
}
