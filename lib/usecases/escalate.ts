// Escalate: bring the on-call in. Runs as a `waitForTaskToken` task: it records the pending
// decision (with the task token the answer must carry), previews the plan an approval would
// run, signs one link per approver, and pages: a summary for everyone (no link), and each
// approver a message of their own carrying their link alone. The execution then waits for the
// answer (answer-escalation.ts) or for its own timeouts.

import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { approversIn } from '../domain/accounts.ts';
import { approverIsSubject, signApprovalLink } from '../domain/approval.ts';
import { digest, evidenceFacts, type PendingEscalation } from '../domain/case.ts';
import type { Config } from '../domain/config.ts';
import {
  type ApprovalLinkForPerson,
  forApprover,
  type Notification,
  notificationFor,
} from '../domain/notification.ts';
import { describePlan, planRevocation, revocationTargetOf, scopeFor } from '../domain/revocation/plan.ts';
import { addMinutes, toInstant } from '../domain/time.ts';
import { revokedPrincipalArnOf, type Trigger, TriggerSchema } from '../domain/trigger.ts';

export type { PendingEscalation };

import type { CaseStore, Clock, IamGateway, Notifier, SigningKeys } from '../ports.ts';
import { readableCause } from './case-audit.ts';
import { CaseRaisedError, recordEntry, requireCase } from './cases.ts';

export const EscalateInputSchema = z.object({
  caseId: z.string().min(1),
  trigger: TriggerSchema,
  /** The case's revision the decision to escalate was made on. */
  revision: z.number().int().min(0),
  escalation: z.object({ from: z.enum(['confirm', 'revoke', 'verify', 'refinement']), reason: z.string() }),
  settings: z.object({
    acknowledgeTimeoutSeconds: z.number().int().min(1),
    approvalTimeoutSeconds: z.number().int().min(1),
    onApprovalTimeout: z.enum(['revoke', 'expire']),
  }),
  taskToken: z.string().min(1),
});
export type EscalateInput = z.infer<typeof EscalateInputSchema>;

export interface EscalateDependencies {
  cases: CaseStore;
  clock: Clock;
  config: Config;
  iam: IamGateway;
  notifier: Notifier;
  /** Signs the approval links (the current key; its ID goes in each link). */
  keys: SigningKeys;
}

export interface Escalation {
  caseId: string;
  approvers: string[];
  decideBy: string;
}

/** Some of an escalation's pages could not be sent; the others were. */
export class PagingFailedError extends Error {
  override name = 'PagingFailedError';
}

export async function escalate(input: EscalateInput, deps: EscalateDependencies): Promise<Escalation> {
  const { trigger, caseId } = input;
  const before = await requireCase(deps.cases, caseId);
  // Raised since the decision to escalate: reconsider with the new evidence rather than page on the old.
  if (before.header.revision !== input.revision) throw raisedSince(caseId, input.revision);
  const now = deps.clock.now();
  const reason = readableCause(input.escalation.reason);
  const decideBy = toInstant(addMinutes(now, input.settings.approvalTimeoutSeconds / 60));
  const principal = revokedPrincipalArnOf(trigger.target);
  const approvers = approversIn(deps.config, trigger.target.accountId);
  // Only the case's subject is left out: the principal by its verified identity, or the same
  // Identity Center person — never a name merely alike (see approverIsSubject).
  const refused = approvers.filter((approver) => approverIsSubject(approver, trigger.target));
  const key = await deps.keys.current();

  const issued: (ApprovalLinkForPerson & { nonce: string })[] = approvers
    .filter((approver) => !refused.includes(approver))
    .map((approver) => {
      const nonce = randomBytes(18).toString('base64url');
      const token = signApprovalLink({ caseId, approver, principal, expiresAt: decideBy, nonce }, key);
      return { approver, url: approvalUrl(deps.config, token), expiresAt: decideBy, nonce };
    });

  const pending: PendingEscalation = {
    from: input.escalation.from,
    reason,
    taskToken: input.taskToken,
    acknowledgeBy: toInstant(addMinutes(now, input.settings.acknowledgeTimeoutSeconds / 60)),
    decideBy,
    onTimeout: input.settings.onApprovalTimeout,
    links: issued.map(({ approver, nonce, expiresAt }) => ({ approver, nonce, expiresAt })),
    refused,
    planPreview: await previewPlan(trigger, deps, now),
    revision: input.revision,
  };
  await recordEntry(deps.cases, caseId, {
    // One escalation per task token: a retried invocation of this task finds its entry.
    id: `escalate:${digest(input.taskToken)}`,
    at: toInstant(now),
    step: 'escalate',
    summary: `Waiting for ${issued.map((link) => link.approver).join(', ') || 'an approver with credentials'} to decide by ${decideBy} (acknowledge by ${pending.acknowledgeBy}; then ${pending.onTimeout}): ${reason}`,
    detail: pending,
  });
  // A raise that landed while this escalation was being recorded did not see it waiting: see it here.
  const record = await requireCase(deps.cases, caseId);
  if (record.header.revision !== input.revision) throw raisedSince(caseId, input.revision);

  const nobody = issued.length === 0;
  const summary = notificationFor('approval-requested', caseId, trigger, {
    reason: nobody
      ? `Nobody can approve this case from the approval page: ${describeRefused(refused)}, so no link was sent; someone else answers with credentials (the commands below). It needs a human because ${reason}`
      : reason,
    outcome: null,
    severity: record.header.standing.severity,
    facts: [
      ...evidenceFacts(record),
      ['If approved', pending.planPreview],
      ['Acknowledge by', `${pending.acknowledgeBy} (then the escalation times out: ${pending.onTimeout})`],
      ['If nobody decides by', `${decideBy}: ${pending.onTimeout}`],
      ...(nobody
        ? []
        : ([
            ['Asked', `${issued.map((link) => link.approver).join(', ')} (each received their own link)`],
          ] as [string, string][])),
      ...(refused.length > 0
        ? ([['Not asked', `${refused.join(', ')} (the principal under revocation)`]] as [string, string][])
        : []),
    ],
    commands: [
      `revoker approve ${caseId} --approver <you>`,
      `revoker reject ${caseId} --approver <you> --reason "<why>"`,
    ],
  });
  // The summary for everyone (no link), then each approver's own message with their link alone.
  const pages = [
    summary,
    ...issued.map(({ approver, url, expiresAt }) => forApprover(summary, { approver, url, expiresAt })),
  ];
  // One after another, in this order, each tried even when one before it failed.
  const failures: { page: Notification; error: Error }[] = [];
  for (const page of pages) {
    try {
      await deps.notifier.notify(page);
    } catch (error) {
      failures.push({ page, error: error as Error });
    }
  }
  if (failures.length > 0) {
    throw new PagingFailedError(
      `${failures.length} of ${pages.length} pages failed: ${failures.map(({ page, error }) => `${describePage(page)}: ${error.message}`).join('; ')}`,
      { cause: failures.map(({ error }) => error) },
    );
  }
  return { caseId, approvers: issued.map((link) => link.approver), decideBy };
}

function describeRefused(refused: string[]): string {
  return refused.length === 1
    ? `its one approver, ${refused[0]}, is the principal under revocation`
    : `every approver configured (${refused.join(', ')}) is the principal under revocation`;
}

function describePage(page: Notification): string {
  return page.audience === 'approver' ? `the page to ${page.approver}` : 'the summary';
}

function raisedSince(caseId: string, revision: number): CaseRaisedError {
  return new CaseRaisedError(
    `case ${caseId} was raised after its decision (revision ${revision}); it is reconsidered with the new evidence`,
  );
}

function approvalUrl(config: Config, token: string): string {
  const url = new URL(config.escalation.approvalUrl);
  url.searchParams.set('link', token);
  return url.toString();
}

/** What the plan would be with an approval; an unreadable IAM must not stop the page. */
async function previewPlan(trigger: Trigger, deps: EscalateDependencies, now: Date): Promise<string> {
  const target = revocationTargetOf(trigger.target);
  try {
    const state = await deps.iam.readState(scopeFor(target));
    const plan = planRevocation(target, {
      config: deps.config,
      state,
      cutoff: toInstant(now),
      recentRevocations: 0,
      approvedBy: 'the approver',
    });
    if (plan.requiresHuman) {
      const steps = plan.manualSteps.length > 0 ? ` Manual steps: ${plan.manualSteps.join(' ')}` : '';
      return `nothing automatic: ${plan.requiresHuman}.${steps}`;
    }
    return describePlan(plan);
  } catch (error) {
    return `unknown: IAM could not be read (${(error as Error).message})`;
  }
}
