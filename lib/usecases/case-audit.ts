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
