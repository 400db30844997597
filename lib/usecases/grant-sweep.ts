// A grant's end, started. Normally its schedule (EventBridge Scheduler; a file locally) puts
// `Grant Expired` on the bus at the end and detect starts the execution its case was opened
// with. As a second way there: should the schedule be deleted, never fire, or its rule be
// disabled, the heartbeat finds the open grants past their end in the small documents that
// list them by the day they end, and starts each end the same way. It is also how a grant whose
// schedule EventBridge Scheduler refused (its end had passed when it was made) is ended, when an
// earlier attempt of it may have attached something (else it is refused whole). A grant lists
// itself before it opens its case: an entry with no case yet is left alone for
// OPEN_GRANT_LEASE_MS, then forgotten. Both go through startGrantEnd, and an execution starts once
// per case whoever asks first, so the two may run at the same moment.
import { type Case, isOpen } from '../domain/case.ts';
import { type Grant, overdueGrants, pastLease } from '../domain/jit.ts';
import type { CaseStore, Clock, WorkflowStarter } from '../ports.ts';
import { ensureStarted } from './cases.ts';
import { forgetOpenGrant, openGrantsForSweep } from './grant-documents.ts';
import { grantOf } from './jit.ts';

export interface GrantEndDependencies {
  cases: CaseStore;
  workflow: WorkflowStarter;
  clock: Clock;
}

/** How late a grant's end must be before the heartbeat starts it: the schedule's own slack first. */
export const SWEEP_GRACE_MS = 60_000;

export type GrantEndStart =
  | { status: 'joined' | 'duplicate'; record: Case; grant: Grant }
  /** `recorded`: false when no case records the grant (yet: a grant lists itself before opening it). */
  | { status: 'rejected'; reason: string; recorded: boolean };

/**
 * Start the end of the grant recorded on case `grantId` (the grant as it was recorded when the
 * case was opened, before anything was attached): `joined` when this call started it,
 * `duplicate` when it already runs. An unknown or ended grant, or one not due within
 * `earlyToleranceMs`, is not started, with the reason.
 */
export async function startGrantEnd(
  grantId: string,
  deps: GrantEndDependencies,
  earlyToleranceMs: number,
): Promise<GrantEndStart> {
  const record = await deps.cases.get(grantId);
  const grant = record ? grantOf(record) : null;
  if (!record || !grant)
    return { status: 'rejected', reason: `no grant ${grantId} is recorded`, recorded: false };
  if (!isOpen(record.header))
    return {
      status: 'rejected',
      reason: `grant ${grantId} already ended (${record.header.outcome})`,
      recorded: true,
    };
  if (deps.clock.now().getTime() < Date.parse(grant.expiresAt) - earlyToleranceMs)
    return {
      status: 'rejected',
      reason: `grant ${grantId} ends at ${grant.expiresAt}, not now`,
      recorded: true,
    };
  return { status: await ensureStarted(record, deps), record, grant };
}

export interface SweepResult {
  /** The grants whose end this sweep started: their schedule did not. */
  started: string[];
  /** The grants it could not start, each with the reason. */
  failed: string[];
}

/** Start the end of every open grant more than SWEEP_GRACE_MS past it; one failing stops no other. */
export async function sweepOverdueGrants(deps: GrantEndDependencies): Promise<SweepResult> {
  const now = deps.clock.now();
  const listed = await openGrantsForSweep(deps.cases, now);
  const due = new Set(overdueGrants(listed.open, now, SWEEP_GRACE_MS));
  const result: SweepResult = { started: [], failed: [] };
  const forgotten = new Set<string>();
  for (const entry of listed.open.grants) {
    if (!due.has(entry.grantId) || forgotten.has(entry.grantId)) continue;
    try {
      const outcome = await startGrantEnd(entry.grantId, deps, 0);
      if (outcome.status === 'joined') result.started.push(entry.grantId);
      // No case yet: a grant (a retry, perhaps long after its end) lists itself before opening
      // it. Forgotten only once it has been listed for longer than a grant takes to open it.
      if (outcome.status === 'rejected' && !outcome.recorded && !pastLease(entry, now)) continue;
      // Started (by this sweep or the schedule), ended, or never opened: nothing more to do for it.
      await forgetOpenGrant(deps.cases, entry);
      forgotten.add(entry.grantId);
    } catch (error) {
      result.failed.push(`${entry.grantId} (${(error as Error).message})`);
    }
  }
  // The days now empty are not read again.
  await listed.moveOn(forgotten);
  return result;
}
