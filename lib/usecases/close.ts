// Close: record the case's outcome and tell people. Every path through the state machine ends
// here; every outcome but benign pages (an expired escalation pages again). The close holds only
// if the case was not raised since its decision: a raised case stays open and the execution
// reconsiders it with the new evidence.
//
// The order of writes: the case table first (the close is recorded there, so nothing is lost
// whatever fails after), then the archive (the case as JSON and as an OCSF finding, create-only
// under keys fixed by the case) and the page, side by side. The page never waits on the archive:
// an archive that fails or hangs (an outage, a bucket someone broke) must not keep the on-call
// from being told. A failed archive write fails the task after the page, with CaseArchiveError,
// which Step Functions retries: the retry finds the close recorded, archives what is missing, and
// does not page again.
import * as z from 'zod';
import { evidenceFacts, OUTCOMES } from '../domain/case.ts';
import { archiveObjectsFor } from '../domain/case-export.ts';
import { notificationFor } from '../domain/notification.ts';
import { toInstant } from '../domain/time.ts';
import { TriggerSchema } from '../domain/trigger.ts';
import type { CaseArchive, CaseStore, Clock, Notifier } from '../ports.ts';
import { readableCause } from './case-audit.ts';
import { closeCase } from './cases.ts';

export { OUTCOMES };

export const CloseInputSchema = z.object({
  caseId: z.string().min(1),
  trigger: TriggerSchema,
  /** The case's revision the path to this close decided on. */
  revision: z.number().int().min(0),
  closing: z.object({ outcome: z.enum(OUTCOMES), reason: z.string() }),
  /** Set when a step failed and the Catch routed the case here. */
  error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});
export type CloseInput = z.infer<typeof CloseInputSchema>;

export interface CloseDependencies {
  cases: CaseStore;
  clock: Clock;
  notifier: Notifier;
  /** Where closed cases are kept for a SIEM or a data lake. */
  archive: CaseArchive;
}

/** `raised`: the case was raised since its decision and stays open; the execution reconsiders it. */
export interface Closed {
  caseId: string;
  outcome: string | null;
  raised: boolean;
}

export async function close(input: CloseInput, deps: CloseDependencies): Promise<Closed> {
  const { outcome } = input.closing;
  const reason = readableCause(input.closing.reason);
  const failure = input.error
    ? ` Step failed with ${input.error.Error}: ${readableCause(input.error.Cause ?? 'no cause given')}`
    : '';
  // A failed step closes the case whatever raised it since: reconsidering would only run into
  // the same failure again (an outage, a timeout), and the close pages a human with the case as it stands.
  const result = await closeCase(
    deps.cases,
    input.caseId,
    input.revision,
    {
      outcome,
      reason: `${reason}${failure}`,
      summary: `${outcome}: ${reason}${failure}`,
      at: toInstant(deps.clock.now()),
    },
    input.error !== undefined,
  );
  if (result.status === 'raised') return { caseId: input.caseId, outcome: null, raised: true };
  const { record } = result;
  const archiving = (async () => {
    for (const object of archiveObjectsFor(record)) await deps.archive.put(object);
  })();
  const paging =
    result.recorded && outcome !== 'benign'
      ? deps.notifier.notify(
          notificationFor('case-closed', input.caseId, record.header.standing.trigger, {
            reason: `${reason}${failure}`,
            outcome,
            severity: record.header.standing.severity,
            facts: evidenceFacts(record),
            commands: [`revoker cases show ${input.caseId}`],
          }),
        )
      : Promise.resolve();
  const [archived, paged] = await Promise.allSettled([archiving, paging]);
  // A failed page is not retried (the execution fails and its alarm pages); a failed archive is.
  if (paged.status === 'rejected') throw paged.reason;
  if (archived.status === 'rejected') throw archived.reason;
  return { caseId: input.caseId, outcome, raised: false };
}
