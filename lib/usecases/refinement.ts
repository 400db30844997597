// A refinement as a case: a person asks for a role's refined policy to be put in place; the
// on-call approves it on the page (the policy and its proof shown); revoker snapshots the role's
// policies, replaces them with the refined one, and watches for access-denied errors. One on a
// call the old policies allowed takes the change back (undo) and pages; a clean watch closes
// the case as `refined`. Every change is recorded before it is made, so `revoker undo` restores
// the role exactly at any point.
import * as z from 'zod';
import { modeIn } from '../domain/accounts.ts';
import { ApprovalSchema } from '../domain/approval.ts';
import { accountOfArn } from '../domain/arn.ts';
import { entriesOf, isOpen, openedHeader } from '../domain/case.ts';
import { type Config, isProtected, protectingTag } from '../domain/config.ts';
import { own } from '../domain/iam-state.ts';
import { identityPolicyEvaluator, type NamedPolicy } from '../domain/policy-evaluator.ts';
import { planRefinement, policyBasis, provenCalls } from '../domain/refine.ts';
import { scopeFor } from '../domain/revocation/plan.ts';
import { addMinutes, toInstant, toPartitionDay } from '../domain/time.ts';
import {
  credentialIdOf,
  principalArnOf,
  type Refinement,
  type Trigger,
  TriggerSchema,
} from '../domain/trigger.ts';
import type { CaseStore, Clock, IamGateway, QueryEngine } from '../ports.ts';
import { bindRunbook, type Runbook, requireRunbook } from '../runbooks/catalog.ts';
import { textIn } from '../runbooks/rows.ts';
import {
  ensureStarted,
  type IntakeDependencies,
  openRequestedCase,
  recordEntry,
  requireCase,
} from './cases.ts';
import { executionSettings } from './execution.ts';
import { factsFor, partitionOf, type RefineReport, resourcesCalled } from './refine.ts';
import { applyRecorded, revocationsToUndo } from './revocations.ts';
import { undoRevocation } from './undo.ts';

/** The one revocation a refinement makes: the policy swap, recorded under this ID. */
const REFINEMENT_ID = 'refinement';
const REFINE_RULE = 'refine-policy';

/** IAM names a role uniquely in its account whatever its path (a finding names it without one). */
function sameRole(a: string, b: string): boolean {
  const name = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1).toLowerCase();
  return accountOfArn(a) === accountOfArn(b) && /:role\//.test(a) && name(a) === name(b);
}

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
 * approver before anything changes. Refused (RefinementRefusedError, with why) when there is
 * nothing to refine from, the proof denied a call, the policy is not one inline policy or
 * allows more than the current ones, the role is protected or AWS's, or a case about the role
 * is open or confirmed a compromise in the window.
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
  const current = report.current;
  if (!current?.role)
    throw new RefinementRefusedError(
      `the current policies of ${report.principal} were not read: a refinement must know what it replaces`,
    );
  if (current.wider.length > 0)
    throw new RefinementRefusedError(
      `the refined policy would allow what the current policies do not (${current.wider
        .slice(0, 3)
        .map((entry) => `${entry.action} on ${entry.resource}`)
        .join('; ')}): nothing is applied`,
    );
  // What no refinement may touch on one person's approval: protected roles, and the roles AWS
  // itself manages (service-linked, Identity Center's).
  if (current.role.arn !== report.principal)
    throw new RefinementRefusedError(
      `the policies read are ${current.role.arn}'s, and the refinement is of ${report.principal}: nothing is applied`,
    );
  if (/:role\/(aws-service-role|aws-reserved)\//.test(current.role.arn))
    throw new RefinementRefusedError(`${current.role.arn} is managed by AWS: it is not refined`);
  const protection =
    isProtected(current.role.arn, deps.config) ?? protectingTag(current.role.tags, deps.config);
  if (protection)
    throw new RefinementRefusedError(`${current.role.arn} is protected (${protection}): it is not refined`);
  // A role whose calls in the window include a compromise: the attacker's calls would be written
  // into its "least privilege". Refined only once its cases are closed and none confirmed one.
  const compromised = (await deps.cases.list()).find(
    (other) =>
      other.header.origin === 'detection' &&
      sameRole(principalArnOf(other.header.trigger.target), report.principal) &&
      (isOpen(other.header) ||
        (other.header.openedAt >= report.start &&
          entriesOf(other, 'confirm').some((entry) => entry.detail.verdict === 'confirmed'))),
  );
  if (compromised)
    throw new RefinementRefusedError(
      `case ${compromised.header.caseId} is about ${report.principal} (${compromised.header.outcome ? `it confirmed a compromise in the window` : 'still open'}): its calls are not the workload's alone; nothing is applied`,
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
    basis: current.basis,
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
  return { record, refinement: trigger.refinement, target: trigger.target, trigger };
}

export interface ApplyRefinementDependencies {
  iam: IamGateway;
  cases: CaseStore;
  clock: Clock;
  /** Its mode: in dry run (everywhere, or in the role's account) the plan is recorded, nothing changed. */
  config: Config;
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
  // The role must be as it was when the refinement was proved and approved: a policy added or
  // changed since was never judged, and is not deleted behind the approver's back.
  // (A retried apply resumes from its recorded intent instead, whatever it changed already.)
  const begun = entriesOf(record, 'revoke-intent').some(
    (entry) => entry.detail.revocationId === REFINEMENT_ID,
  );
  if (!begun && JSON.stringify(policyBasis(role)) !== JSON.stringify(refinement.basis))
    throw new RefinementRefusedError(
      `role ${target.roleName}'s policies changed since the refinement was proved: nothing is changed; ask for a new refinement`,
    );
  const now = toInstant(deps.clock.now());
  const plan = planRefinement(role, roleTarget, refinement, now);
  if (modeIn(deps.config, target.accountId) === 'dry-run') {
    await recordEntry(deps.cases, caseId, {
      id: `dry-run:${REFINEMENT_ID}`,
      at: now,
      step: 'dry-run',
      summary: `Dry run: would ${plan.actions.map((planned) => planned.why).join('; then ')}.`,
      detail: { plan },
    });
    return { appliedAt: null, changes: 0, applied: false };
  }
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
    applied: true,
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
  /** `unverified`: the watch is over but the logs never caught up with it. */
  status: 'clean' | 'regressed' | 'watching' | 'unverified';
  attempt: number;
  /** Calls refused since the change that the old policies allowed. */
  regressions: { api: string; action: string; resource: string; calls: number; at: string }[];
  explanation: string;
}

/**
 * Look for access-denied errors by the role since its refinement began, call by call. One its old
 * policies allowed is a regression: the refinement took something the workload needs. Clean
 * once the watch has passed and every region's logs have caught up with its end.
 */
export async function watchRefinement(
  input: RefinementStepInput,
  deps: WatchRefinementDependencies,
): Promise<WatchResult> {
  const { record, refinement, target, trigger } = await refinementOf(deps.cases, input.caseId);
  const intent = entriesOf(record, 'revoke-intent').find(
    (entry) => entry.detail.revocationId === REFINEMENT_ID,
  );
  const appliedAt = appliedAtOf(record);
  if (!intent || !appliedAt)
    throw new RefinementRefusedError(`case ${input.caseId} has no applied refinement to watch`);
  const attempt = (input.watch?.attempt ?? 0) + 1;
  const now = deps.clock.now();
  // From the moment its first change could be made, not from when the last was read back.
  const since = new Date(intent.at);
  const watchEnd = addMinutes(new Date(appliedAt), refinement.watchMinutes);
  const window = {
    account: target.accountId,
    principal: target.principalArn,
    start: since,
    end: new Date(Math.max(now.getTime(), since.getTime() + 1000)),
  };
  const refused = await resourcesCalled('denied-calls', window, deps);
  const context = {
    partition: partitionOf(target.principalArn),
    account: target.accountId,
    facts: await factsFor(new Set(refused.flatMap((use) => (use.action ? [use.action] : [])))),
  };
  const oldRole = own(intent.detail.before.roles, target.roleName);
  const oldPolicies: NamedPolicy[] = oldRole
    ? [
        ...Object.entries(oldRole.inlinePolicies).map(([name, document]) => ({ name, document })),
        ...oldRole.attachedPolicies.flatMap((arn) => {
          const managed = own(intent.detail.before.managedPolicies, arn);
          return managed ? [{ name: arn, document: managed.document }] : [];
        }),
      ]
    : [];
  const unread = oldRole
    ? oldRole.attachedPolicies.filter((arn) => !own(intent.detail.before.managedPolicies, arn))
    : [];
  // What an AWS managed policy (document not read) might have allowed is judged by the services
  // the workload used: a refusal in one of them counts; a probe of another does not.
  const usedServices = new Set(
    (JSON.parse(refinement.document).Statement as { Effect?: string; Action?: string[] }[])
      .filter((statement) => statement.Effect === 'Allow')
      .flatMap((statement) => statement.Action ?? [])
      .map((action) => action.slice(0, action.indexOf(':')).toLowerCase()),
  );
  const judge =
    oldPolicies.length > 0 ? identityPolicyEvaluator(oldPolicies) : () => ({ decision: 'implicit-deny' });
  const regressions: WatchResult['regressions'] = [];
  for (const call of provenCalls(refused, context)) {
    const service = call.action.slice(0, call.action.indexOf(':')).toLowerCase();
    const allowedBefore =
      judge({ action: call.action, resource: call.resource }).decision === 'allowed' ||
      (unread.length > 0 && usedServices.has(service));
    if (allowedBefore)
      regressions.push({
        api: `${call.use.eventSource} ${call.use.eventName}`,
        action: call.action,
        resource: call.resource,
        calls: call.use.calls,
        at: call.use.firstUsed,
      });
  }
  const caughtUp = await logsReach(
    addMinutes(watchEnd, deps.config.verify.marginMinutes),
    trigger.region,
    target.accountId,
    since,
    deps,
  );
  // Long past its end with the logs still behind: a person looks (the refinement stays).
  const patience =
    Math.ceil((refinement.watchMinutes * 60) / Math.max(deps.config.verify.waitSeconds, 1)) +
    deps.config.verify.maxAttempts;
  const result: WatchResult =
    regressions.length > 0
      ? {
          status: 'regressed',
          attempt,
          regressions,
          explanation: `${regressions.length} refused calls since the refinement that the old policies allowed (first: ${regressions[0]!.api} on ${regressions[0]!.resource})`,
        }
      : now.getTime() >= watchEnd.getTime() && caughtUp === null
        ? {
            status: 'clean',
            attempt,
            regressions,
            explanation: `no call the old policies allowed was refused in the ${refinement.watchMinutes} minutes after the refinement, and the logs reach past them`,
          }
        : attempt >= patience
          ? {
              status: 'unverified',
              attempt,
              regressions,
              explanation: `the watch ended at ${toInstant(watchEnd)}, but ${caughtUp ?? 'the logs'}: a person checks that nothing was refused (the refined policy stays)`,
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

/** Null when every region's logs reach past `until`; else which do not. */
async function logsReach(
  until: Date,
  region: string,
  account: string,
  since: Date,
  deps: WatchRefinementDependencies,
): Promise<string | null> {
  const { rows } = await deps.engine.run(
    bindRunbook(requireRunbook(deps.runbooks, 'log-watermark'), {
      account,
      from_day: toPartitionDay(since),
      until_day: toPartitionDay(new Date(Math.max(deps.clock.now().getTime(), until.getTime()))),
    }),
  );
  const delivered = new Map(rows.map((row) => [textIn(row, 'region'), textIn(row, 'watermark')]));
  const behind = [...new Set([...deps.config.verify.regions, region])]
    .sort()
    .filter((each) => (delivered.get(each) ?? '') < toInstant(until));
  return behind.length === 0 ? null : `the logs of ${behind.join(', ')} do not reach ${toInstant(until)} yet`;
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
