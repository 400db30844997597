// A refinement as a case: a person asks for a role's refined policy to be put in place; the
// on-call approves it on the page (the policy and its proof shown); revoker snapshots the role's
// policies, replaces them with the refined one, and watches for access-denied errors. One on a
// call the old policies allowed takes the change back (undo) and pages; a clean watch closes
// the case as `refined`. Every change is recorded before it is made, so `revoker undo` restores
// the role exactly at any point.
import { z } from 'zod';
import { ApprovalSchema } from '../domain/approval.ts';
import { entriesOf, openedHeader } from '../domain/case.ts';
import type { Config } from '../domain/config.ts';
import { own } from '../domain/iam-state.ts';
import { identityPolicyEvaluator, type NamedPolicy } from '../domain/policy-evaluator.ts';
import { planRefinement } from '../domain/refine.ts';
import { scopeFor } from '../domain/revocation/plan.ts';
import { addMinutes, toInstant } from '../domain/time.ts';
import { credentialIdOf, type Refinement, type Trigger, TriggerSchema } from '../domain/trigger.ts';
import type { CaseStore, Clock, IamGateway, QueryEngine } from '../ports.ts';
import { bindRunbook, type Runbook, requireRunbook } from '../runbooks/catalog.ts';
import { iamActionFor } from '../runbooks/iam-actions.ts';
import { countIn, textIn } from '../runbooks/rows.ts';
import {
  ensureStarted,
  type IntakeDependencies,
  openRequestedCase,
  recordEntry,
  requireCase,
} from './cases.ts';
import { executionSettings } from './execution.ts';
import type { RefineReport } from './refine.ts';
import { applyRecorded, revocationsToUndo } from './revocations.ts';
import { undoRevocation } from './undo.ts';

/** The one revocation a refinement makes: the policy swap, recorded under this ID. */
const REFINEMENT_ID = 'refinement';
const REFINE_RULE = 'refine-policy';

export class RefinementRefusedError extends Error {
  override name = 'RefinementRefusedError';
}

export interface OpenRefinementInput {
  report: RefineReport;
  /** Who asks: the verified caller (operator API) or, locally, who runs the command. */
  requestedBy: string;
  watchMinutes: number;
  /** Where the change is made; the trigger's region. */
  region: string;
}

/**
 * Open the case for applying a refined policy, and start its execution: it waits for an
 * approver before anything changes. Refused when the proof denied any call, or when the policy
 * needs more than one inline policy.
 */
export async function openRefinement(
  input: OpenRefinementInput,
  deps: Pick<IntakeDependencies, 'cases' | 'workflow' | 'clock'> & { config: Config },
): Promise<{ caseId: string; status: 'opened' | 'already-open' }> {
  const { report } = input;
  const roleName = report.principal.match(/:role\/(?:.*\/)?([^/]+)$/)?.[1];
  if (!roleName)
    throw new RefinementRefusedError(`${report.principal} is not a role: only a role's policies are refined`);
  // A window without calls would refine the role to nothing at all: never from no evidence.
  if (report.proof.calls === 0 || report.policy.statements.length === 0)
    throw new RefinementRefusedError(
      `${report.principal} made no call revoker can allow from ${report.start} to ${report.end}: there is nothing to refine from, and nothing is applied`,
    );
  if (report.proof.refused.length > 0)
    throw new RefinementRefusedError(
      `the refined policy would deny calls to ${report.proof.refused.length} resources the role used: nothing is applied`,
    );
  if (report.proof.of.length !== 1 || report.policy.documents.length !== 1 || report.policy.kind !== 'inline')
    throw new RefinementRefusedError(
      'only a refined policy proved as one inline policy is applied (a managed policy set, or a policy given with --against, is not)',
    );
  const [document] = report.policy.documents;
  const now = toInstant(deps.clock.now());
  const refinement: Refinement = {
    policyName: document!.name,
    document: JSON.stringify(document!.document),
    window: { start: report.start, end: report.end },
    proof: { calls: report.proof.calls, resources: report.proof.resources, refused: 0 },
    watchMinutes: input.watchMinutes,
    requestedBy: input.requestedBy,
  };
  const trigger = TriggerSchema.parse({
    credentialId: credentialIdOf(`refinement:${report.principal}`),
    ruleId: REFINE_RULE,
    eventId: null,
    eventTime: now,
    eventSource: 'revoker',
    eventName: 'RefinePolicy',
    region: input.region,
    sourceIp: null,
    userAgent: null,
    target: { kind: 'refinement', accountId: report.account, principalArn: report.principal, roleName },
    refinement,
  } satisfies Trigger);
  const caseId = `refine-${trigger.credentialId.slice(0, 12)}-${now.replace(/\D/g, '').slice(0, 14)}`;
  const ranking = { ruleId: REFINE_RULE, severity: 'low' as const, response: 'escalate' as const };
  const executionInput = {
    caseId,
    revision: 0,
    trigger,
    refinement: { policyName: refinement.policyName },
    watch: { attempt: 0 },
    escalation: {
      from: 'refinement',
      reason: `${input.requestedBy} asks to replace the policies of ${report.principal} with a refined policy proved against ${refinement.proof.calls} calls`,
    },
    settings: executionSettings(deps.config, 'low', trigger),
  };
  const opened = await openRequestedCase(
    deps.cases,
    openedHeader({
      caseId,
      origin: 'refinement',
      trigger,
      ranking,
      openedAt: now,
      previousCaseId: null,
      executionInput,
    }),
    {
      id: 'opened',
      at: now,
      step: 'opened',
      summary: `${input.requestedBy} asked to refine ${report.principal}: ${report.policy.statements.length} statements, proved against ${refinement.proof.calls} calls from ${report.start} to ${report.end}.`,
      detail: {
        eventKey: `refinement:${caseId}`,
        eventName: 'RefinePolicy',
        eventTime: now,
        sourceIp: null,
        ranking,
        previousCaseId: null,
      },
    },
  ).catch((error: Error) => {
    throw new RefinementRefusedError(`a refinement of ${report.principal} is already open: ${error.message}`);
  });
  await ensureStarted(await requireCase(deps.cases, caseId), deps);
  return { caseId, status: opened ? 'opened' : 'already-open' };
}

export const RefinementStepInputSchema = z.object({
  caseId: z.string().min(1),
  refinementStep: z.enum(['apply', 'watch', 'roll-back']),
  /** The escalation's answer: a refinement is applied only with a person's approval. */
  approval: ApprovalSchema.optional(),
  /** The previous watch's result (attempt 0 before the first), when the state machine loops back after a wait. */
  watch: z.object({ attempt: z.number().int().min(0) }).optional(),
});
export type RefinementStepInput = z.infer<typeof RefinementStepInputSchema>;

async function refinementOf(cases: CaseStore, caseId: string) {
  const record = await requireCase(cases, caseId);
  const { trigger } = record.header;
  if (record.header.origin !== 'refinement' || !trigger.refinement || trigger.target.kind !== 'refinement')
    throw new RefinementRefusedError(`case ${caseId} is not a refinement`);
  return { record, refinement: trigger.refinement, target: trigger.target };
}

export interface ApplyRefinementDependencies {
  iam: IamGateway;
  cases: CaseStore;
  clock: Clock;
  readBackDeadlineMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Put the approved refined policy in place: intent (with the snapshot) first, then each change, read back. */
export async function applyRefinement(input: RefinementStepInput, deps: ApplyRefinementDependencies) {
  const { caseId } = input;
  const { record, refinement, target } = await refinementOf(deps.cases, caseId);
  const approval = input.approval?.decision === 'approved' ? input.approval : null;
  const decided = entriesOf(record, 'decision').some((entry) => entry.detail.answer === 'approve');
  if (!approval || !decided)
    throw new RefinementRefusedError(
      `case ${caseId} has no approval: a refinement is applied only once a person approved it`,
    );
  const roleTarget = {
    kind: 'role' as const,
    accountId: target.accountId,
    roleName: target.roleName,
    roleArn: target.principalArn,
  };
  const scope = scopeFor(roleTarget);
  const before = await deps.iam.readState(scope);
  const role = own(before.roles, target.roleName);
  if (!role) throw new RefinementRefusedError(`role ${target.roleName} is not in IAM`);
  if (role.arn && role.arn !== target.principalArn)
    throw new RefinementRefusedError(
      `IAM has role ${target.roleName} as ${role.arn}, not ${target.principalArn}: nothing is changed`,
    );
  const now = toInstant(deps.clock.now());
  const plan = planRefinement(role, roleTarget, refinement, now);
  const applied = await applyRecorded(
    {
      revocationId: REFINEMENT_ID,
      label: `Refining ${target.principalArn}`,
      plan,
      scope,
      before,
      approval,
      automatic: false,
    },
    {
      caseId,
      cases: deps.cases,
      iam: deps.iam,
      clock: deps.clock,
      readBackDeadlineMs: deps.readBackDeadlineMs,
      sleep: deps.sleep,
    },
  );
  return {
    appliedAt: appliedAtOf(await requireCase(deps.cases, caseId)) ?? now,
    changes: applied.steps.length,
  };
}

function appliedAtOf(record: Awaited<ReturnType<typeof requireCase>>): string | null {
  return (
    entriesOf(record, 'revoked').find((entry) => entry.detail.revocationId === REFINEMENT_ID)?.at ?? null
  );
}

export interface WatchRefinementDependencies {
  engine: QueryEngine;
  runbooks: Map<string, Runbook>;
  cases: CaseStore;
  clock: Clock;
  config: Config;
}

export interface WatchResult {
  status: 'clean' | 'regressed' | 'watching';
  attempt: number;
  /** Calls refused since the change that the old policies allowed. */
  regressions: { api: string; action: string; resource: string; calls: number; at: string }[];
  explanation: string;
}

/**
 * Look for access-denied errors by the role since its refined policy went in. One on a call its
 * old policies allowed is a regression: the refinement took something the workload needs.
 * Clean once the watch has passed and the logs have caught up with it.
 */
export async function watchRefinement(
  input: RefinementStepInput,
  deps: WatchRefinementDependencies,
): Promise<WatchResult> {
  const { record, refinement, target } = await refinementOf(deps.cases, input.caseId);
  const appliedAt = appliedAtOf(record);
  if (!appliedAt) throw new RefinementRefusedError(`case ${input.caseId} has no applied refinement to watch`);
  const attempt = (input.watch?.attempt ?? 0) + 1;
  const now = deps.clock.now();
  const watchEnd = addMinutes(new Date(appliedAt), refinement.watchMinutes);
  const { rows } = await deps.engine.run(
    bindRunbook(requireRunbook(deps.runbooks, 'access-denied'), {
      account: target.accountId,
      principal: target.principalArn,
      start: appliedAt,
      end: toInstant(new Date(Math.max(now.getTime(), new Date(appliedAt).getTime() + 1000))),
    }),
  );
  const intent = entriesOf(record, 'revoke-intent').find(
    (entry) => entry.detail.revocationId === REFINEMENT_ID,
  );
  const oldRole = intent ? own(intent.detail.before.roles, target.roleName) : undefined;
  const oldPolicies: NamedPolicy[] = oldRole
    ? [
        ...Object.entries(oldRole.inlinePolicies).map(([name, document]) => ({ name, document })),
        ...oldRole.attachedPolicies.flatMap((arn) => {
          const managed = own(intent!.detail.before.managedPolicies, arn);
          return managed ? [{ name: arn, document: managed.document }] : [];
        }),
      ]
    : [];
  const unread = oldRole
    ? oldRole.attachedPolicies.filter((arn) => !own(intent!.detail.before.managedPolicies, arn))
    : [];
  const judge = identityPolicyEvaluator(oldPolicies);
  const regressions: WatchResult['regressions'] = [];
  for (const row of rows) {
    const eventSource = textIn(row, 'eventsource') ?? '';
    const eventName = textIn(row, 'eventname') ?? '';
    const action = await iamActionFor(eventSource, eventName);
    if (!action) continue;
    const bucket = textIn(row, 'bucket');
    const key = textIn(row, 'sample_key');
    const named = textIn(row, 'resource');
    const resource = bucket
      ? `arn:aws:s3:::${bucket}${key ? `/${key}` : ''}`
      : named?.startsWith('arn:')
        ? named
        : '*';
    // An AWS managed policy's document is not read: a refusal it might have allowed counts.
    const allowedBefore = unread.length > 0 || judge({ action, resource }).decision === 'allowed';
    if (allowedBefore)
      regressions.push({
        api: `${eventSource} ${eventName}`,
        action,
        resource,
        calls: countIn(row, 'calls'),
        at: textIn(row, 'first_denied') ?? '',
      });
  }
  const result: WatchResult =
    regressions.length > 0
      ? {
          status: 'regressed',
          attempt,
          regressions,
          explanation: `${regressions.length} kinds of call refused since the refinement that the old policies allowed (first: ${regressions[0]!.api} on ${regressions[0]!.resource})`,
        }
      : now.getTime() >= watchEnd.getTime()
        ? {
            status: 'clean',
            attempt,
            regressions,
            explanation: `no call the old policies allowed was refused in the ${refinement.watchMinutes} minutes after the refinement`,
          }
        : {
            status: 'watching',
            attempt,
            regressions,
            explanation: `watching until ${toInstant(watchEnd)}: nothing refused so far`,
          };
  await recordEntry(deps.cases, input.caseId, {
    id: `refinement-watch:${attempt}`,
    at: toInstant(now),
    step: 'refinement-watch',
    summary: `Watch ${attempt}: ${result.explanation}.`,
    detail: result,
  });
  return result;
}

/**
 * Take the refinement back: restore the role exactly as recorded before it. Closing the case as
 * `rolled-back` then tells everyone watching, with the refusal that caused it.
 */
export async function rollBackRefinement(caseId: string, deps: ApplyRefinementDependencies) {
  const { record } = await refinementOf(deps.cases, caseId);
  const pending = revocationsToUndo(record).some((revocation) => revocation.revocationId === REFINEMENT_ID);
  const result = pending ? await undoRevocation(caseId, deps) : { reversed: [] };
  return { restored: result.reversed.length };
}
