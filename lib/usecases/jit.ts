// Just-in-time access: grant a managed policy to a role or user for a while, and end it.
// A grant lists itself for the heartbeat, opens its case, holds the grant guard (the managed
// policy denying revoker's own resources), schedules its end and joins its principal's index;
// only then, IAM read afresh, it attaches the guard, then the policy (unless the principal holds
// it outside any grant). The end — the expire-grant task — detaches the policy unless the
// principal's standing access or another grant granted and live still gives it, then the guard
// unless another grant still holds it, and denies each role session the principal opened while
// the grant was live: their credentials outlive the grant. Stopped between any two steps, the
// principal holds the guard without the policy at worst, never the policy without the guard,
// and whatever was recorded is ended at the grant's time (by its schedule or the heartbeat).

import { z } from 'zod';
import { modeIn } from '../domain/accounts.ts';
import { type Case, entriesOf, isOpen, openedHeader } from '../domain/case.ts';
import { type Config, isProtected, protectingTag } from '../domain/config.ts';
import { own } from '../domain/iam-state.ts';
import {
  type Grant,
  GrantSchema,
  grantHolder,
  grantIdFor,
  grantTrigger,
  heldSince,
  JIT_EXPIRY_DETAIL_TYPE,
  JIT_SEVERITY,
  JIT_SOURCE,
  liveOverlapping,
  MAX_GRANT_SECONDS,
  MAX_GRANTS_ENDING_PER_DAY,
  MAX_OPEN_GRANTS_PER_PRINCIPAL,
  MIN_GRANT_SECONDS,
  reasonToKeep,
} from '../domain/jit.ts';
import { isApplied, permissionsFor, type RevocationAction } from '../domain/revocation/actions.ts';
import { type RevocationPlan, type RevocationTarget, targetArn } from '../domain/revocation/plan.ts';
import { addMinutes, toInstant, toPartitionDay } from '../domain/time.ts';
import { TriggerSchema } from '../domain/trigger.ts';
import { plural } from '../domain/words.ts';
import {
  type CaseStore,
  type Clock,
  type IamGateway,
  type IamScope,
  type QueryEngine,
  ScheduleInPastError,
  type Scheduler,
} from '../ports.ts';
import { bindRunbook, type Runbook, requireRunbook } from '../runbooks/catalog.ts';
import { textIn } from '../runbooks/rows.ts';
import { type AppliedStep, applyPlan } from './apply-plan.ts';
import { openRequestedCase, recordEntry, requireCase } from './cases.ts';
import { executionSettings } from './execution.ts';
import {
  forgetOpenGrant,
  guardHeldBy,
  holdGuard,
  indexGrant,
  noteOpenGrant,
  readGrantIndex,
  releaseGuard,
  unindexGrant,
} from './grant-documents.ts';
import { applyRecorded } from './revocations.ts';
import {
  ApprovalSchema,
  type Revocation,
  RevocationNeedsHumanError,
  roundOf,
  stateForRevocation,
} from './revoke.ts';
import { actionsOf, revokeEach } from './revoke-each.ts';
import type { VerifiedPrincipal } from './verify.ts';

export class GrantRefusedError extends Error {
  override name = 'GrantRefusedError';
}

export interface GrantRequest {
  principalArn: string;
  policyArn: string;
  seconds: number;
  requestedBy: string;
  reason: string;
  region: string;
}

export interface GrantDependencies {
  iam: IamGateway;
  cases: CaseStore;
  clock: Clock;
  config: Config;
  scheduler: Scheduler;
  /**
   * The grant guard's ARN in an account, from the composition (deployed: the stack's
   * GrantGuardPolicy; locally: the local account's own). Absent, or null for the account: no
   * grant is attached there.
   */
  grantGuard?: (accountId: string) => string | null;
  sleep?: (ms: number) => Promise<void>;
}

/** The grant a case was opened for, as recorded when it was granted (null: not a grant's case). */
export function grantOf(record: Case): Grant | null {
  const parsed = GrantSchema.safeParse(record.header.execution.input.grant);
  return record.header.origin === 'grant' && parsed.success ? parsed.data : null;
}

/** A grant of a principal's index, as its case stands. */
export interface RecordedGrant {
  grant: Grant;
  /** Its case is open: its end has not finished. */
  open: boolean;
  /** It was recorded granted (guard and policy attached): only such a grant keeps a policy on. */
  granted: boolean;
}

/**
 * The grants of a principal not yet ended, each as its case stands, and the holds carried over
 * to them: a key read, then one per grant (at most MAX_OPEN_GRANTS_PER_PRINCIPAL, and any whose
 * case was closed since without its end).
 */
async function recordedGrants(
  cases: CaseStore,
  principalArn: string,
): Promise<{ grants: RecordedGrant[]; heldSince: Record<string, string> }> {
  const index = await readGrantIndex(cases, principalArn);
  const grants: RecordedGrant[] = [];
  for (const id of index.grantIds) {
    const record = await cases.get(id);
    const grant = record ? grantOf(record) : null;
    if (record && grant)
      grants.push({ grant, open: isOpen(record.header), granted: entriesOf(record, 'grant').length > 0 });
  }
  return { grants, heldSince: index.heldSince };
}

/** The grants of a principal not yet ended, each with where its case stands. */
export async function grantsOf(cases: CaseStore, principalArn: string): Promise<RecordedGrant[]> {
  return (await recordedGrants(cases, principalArn)).grants;
}

/** Every grant on record, for `revoker jit list` (reads every case: not for a hot path). */
export async function listGrants(cases: CaseStore): Promise<{ grant: Grant; open: boolean }[]> {
  return (await cases.list()).flatMap((record) => {
    const grant = grantOf(record);
    return grant ? [{ grant, open: isOpen(record.header) }] : [];
  });
}

function scopeOf(grant: Pick<Grant, 'accountId' | 'principalArn'>): IamScope {
  const holder = grantHolder(grant);
  return {
    accountId: grant.accountId,
    roles: holder.kind === 'role' ? [holder.name] : [],
    users: holder.kind === 'user' ? [holder.name] : [],
    managedPolicies: [],
    identityCenter: false,
  };
}

/** The principal holding the grant, as a revocation target (for the detach's recorded plan). */
function holderTarget(grant: Grant): RevocationTarget {
  const holder = grantHolder(grant);
  return holder.kind === 'role'
    ? { kind: 'role', accountId: grant.accountId, roleName: holder.name, roleArn: grant.principalArn }
    : { kind: 'iam-user', accountId: grant.accountId, userName: holder.name, arn: grant.principalArn };
}

/** Attach or detach a managed policy (the grant's, or its guard) on the grant's principal. */
function managedAction(grant: Grant, policyArn: string, attach: boolean): RevocationAction {
  const holder = grantHolder(grant);
  return holder.kind === 'role'
    ? {
        action: attach ? 'attach-role-policy' : 'detach-role-policy',
        input: { roleName: holder.name, policyArn },
      }
    : {
        action: attach ? 'attach-user-policy' : 'detach-user-policy',
        input: { userName: holder.name, policyArn },
      };
}

function policyAction(grant: Grant, attach: boolean): RevocationAction {
  return managedAction(grant, grant.policyArn, attach);
}

/**
 * The guard every grant attaches first: from the composition, and present in the account's
 * IAM. Without it a grant of a broad policy could reach revoker itself, so there is no grant.
 */
async function requireGuard(accountId: string, deps: GrantDependencies): Promise<string> {
  const guard = deps.grantGuard?.(accountId) ?? null;
  if (!guard)
    throw new GrantRefusedError(
      `no grant guard is configured for account ${accountId}: without it a grant could reach revoker's own resources, so none is attached`,
    );
  if (guard.split(':')[4] !== accountId)
    throw new GrantRefusedError(`the grant guard ${guard} is not a policy of account ${accountId}`);
  const state = await deps.iam.readState({
    accountId,
    roles: [],
    users: [],
    managedPolicies: [guard],
    identityCenter: false,
  });
  if (!own(state.managedPolicies, guard))
    throw new GrantRefusedError(
      `the grant guard ${guard} does not exist in account ${accountId}: no grant is attached without it`,
    );
  return guard;
}

/** Why the grant's case can no longer be granted (its end has begun, or it is over), or null. */
function overReason(record: Case, grant: Grant, now: Date): string | null {
  if (!isOpen(record.header)) return `its case is closed (${record.header.outcome})`;
  // The execution that ends it was started (by its schedule or the heartbeat), or its end ran.
  if (
    record.header.execution.started ||
    entriesOf(record, 'expire').length > 0 ||
    entriesOf(record, 'revoke-intent').length > 0
  )
    return 'its end has begun';
  if (Date.parse(grant.expiresAt) <= now.getTime()) return `it ended at ${grant.expiresAt}`;
  return null;
}

export async function grantAccess(request: GrantRequest, deps: GrantDependencies): Promise<Grant> {
  if (
    !Number.isInteger(request.seconds) ||
    request.seconds < MIN_GRANT_SECONDS ||
    request.seconds > MAX_GRANT_SECONDS
  ) {
    throw new GrantRefusedError(
      `a grant lasts between ${MIN_GRANT_SECONDS} seconds and ${MAX_GRANT_SECONDS / 86_400} days, not ${request.seconds} seconds`,
    );
  }
  const now = deps.clock.now();
  const accountId = request.principalArn.split(':')[4] ?? '';
  const draft = {
    accountId,
    principalArn: request.principalArn,
    policyArn: request.policyArn,
    grantedAt: toInstant(now),
    expiresAt: toInstant(new Date(now.getTime() + request.seconds * 1000)),
    requestedBy: request.requestedBy,
    reason: request.reason,
    region: request.region,
  };
  const shape = GrantSchema.omit({ grantId: true, heldBefore: true }).safeParse(draft);
  if (!shape.success)
    throw new GrantRefusedError(`the grant is not valid: ${shape.error.issues[0]?.message}`);
  const guardPolicyArn = await requireGuard(accountId, deps);
  const grantId = grantIdFor(draft);
  // A retry (the same request, the same grant) finishes the grant its first attempt recorded.
  const existing = await deps.cases.get(grantId);
  const recordedGrant = existing ? grantOf(existing) : null;
  if (existing && recordedGrant) {
    const over = overReason(existing, recordedGrant, now);
    if (over) throw new GrantRefusedError(`grant ${grantId} is not attached: ${over}`);
  }

  const scope = scopeOf(draft);
  // The principal's grants before IAM: a grant of the policy that ends in between is either
  // still listed here or its end has taken the policy off before IAM is read.
  const recorded = await recordedGrants(deps.cases, draft.principalArn);
  const state = await deps.iam.readState(scope);
  const holder = grantHolder(draft);
  const principal = holder.kind === 'role' ? own(state.roles, holder.name) : own(state.users, holder.name);
  if (!principal) throw new GrantRefusedError(`${request.principalArn} was not found in IAM`);
  // IAM finds a principal by its name alone: a made-up path would be indexed, judged and
  // queried under an ARN the principal does not have.
  if (principal.arn !== request.principalArn)
    throw new GrantRefusedError(
      `IAM has this ${holder.kind} as ${principal.arn}, not ${request.principalArn}: a grant names the ARN IAM has`,
    );
  // Never a protected principal: break-glass, revoker's own roles, the organisation's admin roles.
  const protection =
    isProtected(principal.arn, deps.config) ??
    isProtected(request.principalArn, deps.config) ??
    protectingTag(principal.tags, deps.config);
  if (protection)
    throw new GrantRefusedError(
      `${request.principalArn} is protected (${protection}): no grant is ever attached to it`,
    );
  const open = recorded.grants.filter((other) => other.open && other.grant.grantId !== grantId);
  if (!existing && open.length >= MAX_OPEN_GRANTS_PER_PRINCIPAL)
    throw new GrantRefusedError(
      `${request.principalArn} already holds ${open.length} open grants, the most one principal may (${MAX_OPEN_GRANTS_PER_PRINCIPAL}): ask again when one has ended`,
    );
  // Attached, and no open grant of it explains it (one being made, live, or ending): the
  // principal holds it outside any grant. Standing access an open grant found stays standing.
  const attachedBefore = principal.attachedPolicies.includes(request.policyArn);
  const sameOpen = open.filter((other) => other.grant.policyArn === request.policyArn);
  const grant: Grant = recordedGrant ?? {
    ...draft,
    grantId,
    heldBefore: attachedBefore && (sameOpen.length === 0 || sameOpen.some((other) => other.grant.heldBefore)),
    guardPolicyArn,
  };
  const guard = grant.guardPolicyArn ?? guardPolicyArn;
  const refuse = (why: string) =>
    new GrantRefusedError(
      `grant ${grant.grantId} of ${grant.policyArn} to ${grant.principalArn} is not attached: ${why}`,
    );

  // 1. Listed for the heartbeat, before anything else is written: from here on, stopped
  // anywhere, the grant is ended at its time even if its schedule never fires.
  if ((await noteOpenGrant(deps.cases, grant)) === 'full')
    throw refuse(
      `${MAX_GRANTS_ENDING_PER_DAY} open grants already end on ${grant.expiresAt.slice(0, 10)}, the most one day holds`,
    );
  // 2. The case: the grant as granted, which its end reads (a retry opens nothing).
  const trigger = grantTrigger(grant);
  await openRequestedCase(
    deps.cases,
    openedHeader({
      caseId: grant.grantId,
      origin: 'grant',
      trigger,
      ranking: { ruleId: trigger.ruleId, severity: JIT_SEVERITY, response: 'auto-revoke' },
      openedAt: grant.grantedAt,
      previousCaseId: null,
      executionInput: {
        caseId: grant.grantId,
        revision: 0,
        trigger,
        grant,
        settings: executionSettings(deps.config, JIT_SEVERITY),
      },
    }),
    {
      id: 'opened',
      at: grant.grantedAt,
      step: 'opened',
      summary: `${grant.requestedBy} asked for ${grant.policyArn} on ${grant.principalArn} until ${grant.expiresAt}.`,
      detail: {
        eventKey: `grant:${grant.grantId}`,
        eventName: 'GrantRequested',
        eventTime: grant.grantedAt,
        sourceIp: null,
        ranking: { ruleId: trigger.ruleId, severity: JIT_SEVERITY, response: 'auto-revoke' },
        previousCaseId: null,
      },
    },
  );
  // 3. The guard held before IAM is read for the attach: a grant ending from now on sees this
  // one hold it, and leaves the guard on (or puts it back).
  await holdGuard(deps.cases, { ...grant, guardPolicyArn: guard });
  // 4. Its end, scheduled. Refused for a time already past: nothing is attached, and the
  // heartbeat (step 1) ends the grant and closes its case.
  try {
    await deps.scheduler.scheduleOnce(grant.grantId, new Date(grant.expiresAt), {
      source: JIT_SOURCE,
      detailType: JIT_EXPIRY_DETAIL_TYPE,
      detail: { grantId: grant.grantId },
    });
  } catch (error) {
    if (error instanceof ScheduleInPastError)
      throw refuse(`it ended at ${grant.expiresAt}, before it could be granted`);
    throw error;
  }
  // 5. Visible to the principal's other grants only now that it is held and will be ended.
  const ended = new Set(recorded.grants.filter((other) => !other.open).map((other) => other.grant.grantId));
  if ((await indexGrant(deps.cases, grant, ended)) === 'full')
    throw refuse(
      `${grant.principalArn} already holds ${MAX_OPEN_GRANTS_PER_PRINCIPAL} open grants, the most one principal may`,
    );
  // 6. Not ended meanwhile (checked above too, before the hold): never attach to a grant whose
  // end has begun, or to a closed case. Its end may have let go of the guard already: so does
  // the hold this attempt took (the guard itself is the end's to take off).
  const over = overReason(await requireCase(deps.cases, grant.grantId), grant, deps.clock.now());
  if (over) {
    await releaseGuard(deps.cases, { ...grant, guardPolicyArn: guard });
    throw refuse(over);
  }
  // 7. IAM as it is now, read after the hold: the guard, then the policy, each read back before
  // the next. A guard an ending grant took off since the first read is attached again here.
  const current = await deps.iam.readState(scope);
  const held = holder.kind === 'role' ? own(current.roles, holder.name) : own(current.users, holder.name);
  const attached = held?.attachedPolicies.includes(grant.policyArn) ?? false;
  const guardOn = managedAction(grant, guard, true);
  const record = await applyPlan(
    scope,
    [guardOn, ...(grant.heldBefore ? [] : [policyAction(grant, true)])],
    { iam: deps.iam, sleep: deps.sleep, onStep: recordChange(deps, grant.grantId, 'grant') },
    current,
    current,
  );
  // An end that took the guard off after the read above puts it back once it sees this grant
  // hold it, unless it stopped first: read once more, and put it back here too.
  const after = await deps.iam.readState(scope);
  if (!isApplied(after, guardOn))
    await applyPlan(
      scope,
      [guardOn],
      { iam: deps.iam, sleep: deps.sleep, onStep: recordChange(deps, grant.grantId, 'grant-guard') },
      after,
      after,
    );
  await recordEntry(deps.cases, grant.grantId, {
    id: 'grant',
    at: grant.grantedAt,
    step: 'grant',
    summary: `${grant.requestedBy} granted ${grant.policyArn} to ${grant.principalArn} until ${grant.expiresAt}${grant.reason ? ` (${grant.reason})` : ''}, under the grant guard ${guard}${attached ? `; already attached (${grant.heldBefore ? 'standing access: the grant will not detach it' : `by ${plural(sameOpen.length, 'other open grant')}`})` : ''}.`,
    detail: { grant, record },
  });
  return grant;
}

/** Records each change a grant makes on its case, once, as a revocation's changes are. */
function recordChange(
  deps: Pick<GrantDependencies, 'cases' | 'clock'>,
  caseId: string,
  changeId: string,
): (step: AppliedStep, index: number) => Promise<void> {
  return async (step, index) => {
    await recordEntry(deps.cases, caseId, {
      id: `change:${changeId}:${index}`,
      at: toInstant(deps.clock.now()),
      step: 'iam-change',
      summary: `${step.status === 'applied' ? 'Changed' : 'Already so'}: ${step.description}.`,
      detail: { revocationId: changeId, index, action: step.action, status: step.status, undo: step.undo },
    });
  };
}

export const ExpireGrantInputSchema = z.object({
  caseId: z.string().min(1),
  trigger: TriggerSchema,
  /** The grant as recorded when it was granted (the execution input the grant stored). */
  grant: GrantSchema,
  approval: ApprovalSchema.optional(),
});
export type ExpireGrantInput = z.infer<typeof ExpireGrantInputSchema>;

export interface ExpireGrantDependencies {
  iam: IamGateway;
  cases: CaseStore;
  clock: Clock;
  config: Config;
  engine: QueryEngine;
  runbooks: Map<string, Runbook>;
  sleep?: (ms: number) => Promise<void>;
}

export type GrantExpiry = Revocation & {
  verify: VerifiedPrincipal[];
  /** Why nothing was taken away (standing access, or another live grant), or null. */
  kept: string | null;
  /** The sessions the grant issued that verification must watch; none means nothing to wait for. */
  sessionsToVerify: number;
};

/**
 * After the grant's policy is gone (or kept by something else): the grant lets go of its guard,
 * and the guard comes off unless another grant of the principal still holds it. Read after the
 * policy's change, so of two grants ending at once the later to let go detaches it. While
 * another grant holds it, the guard is made sure to be on: an end stopped after taking it off
 * (and run again once a new grant held it), or an undo, may have left it off.
 */
async function endGuard(
  grant: Grant,
  attempt: string,
  scope: IamScope,
  input: ExpireGrantInput,
  deps: ExpireGrantDependencies,
): Promise<{ actions: Revocation['actions']; note: string | null }> {
  const guardPolicyArn = grant.guardPolicyArn;
  if (!guardPolicyArn) return { actions: [], note: null };
  const guarded = { ...grant, guardPolicyArn };
  const dryRun = modeIn(deps.config, grant.accountId) === 'dry-run';
  const others = dryRun ? await guardHeldBy(deps.cases, guarded) : await releaseGuard(deps.cases, guarded);
  if (dryRun && others.length === 0)
    return {
      actions: [{ description: `detach the grant guard ${guardPolicyArn}`, status: 'planned' }],
      note: null,
    };
  const context = {
    caseId: input.caseId,
    cases: deps.cases,
    iam: deps.iam,
    clock: deps.clock,
    sleep: deps.sleep,
  };
  const guardOn = managedAction(grant, guardPolicyArn, true);
  const change = (revocationId: string, attach: boolean, why: string) => {
    const action = managedAction(grant, guardPolicyArn, attach);
    return async () =>
      applyRecorded(
        {
          revocationId,
          label: `Grant ${grant.grantId} ended`,
          plan: {
            target: holderTarget(grant),
            cutoff: toInstant(deps.clock.now()),
            actions: [{ action, why, permissions: permissionsFor(action) }],
            escalationOnly: [],
            requiresHuman: null,
            manualSteps: [],
            notes: [],
          },
          scope,
          before: await stateForRevocation(deps.iam, scope),
          approval: input.approval ?? null,
          automatic: false,
        },
        context,
      );
  };
  const stepsOf = (applied: Awaited<ReturnType<ReturnType<typeof change>>>) =>
    applied.steps.map((step) => ({ description: step.description, status: step.status }));
  /** Put the guard back on if it is off while `holders` hold it: a new change each time it is needed. */
  const keepOn = async (holders: string[], why: string): Promise<Revocation['actions']> => {
    if (holders.length === 0 || isApplied(await stateForRevocation(deps.iam, scope), guardOn)) return [];
    const record = await requireCase(deps.cases, input.caseId);
    const prefix = `${attempt}-guard-on-`;
    const tried = entriesOf(record, 'revoke-intent')
      .map((entry) => entry.detail.revocationId)
      .filter((id) => id.startsWith(prefix));
    const last = tried.at(-1);
    const finished = entriesOf(record, 'revoked').some((entry) => entry.detail.revocationId === last);
    // An attach a stopped run recorded is finished; one finished before (taken off since) is not redone.
    const id = last && !finished ? last : `${prefix}${tried.length + 1}`;
    return stepsOf(
      await change(
        id,
        true,
        `attach the grant guard ${guardPolicyArn} again: ${holders.join(', ')} ${why}`,
      )(),
    );
  };
  const detachId = `${attempt}-guard`;
  // A detach this end recorded (a run stopped after it) is finished, then checked again below.
  const detachRecorded = entriesOf(await requireCase(deps.cases, input.caseId), 'revoke-intent').some(
    (entry) => entry.detail.revocationId === detachId,
  );
  if (others.length > 0 && !detachRecorded) {
    const note = `the grant guard stays: ${plural(others.length, 'other grant')} of ${grant.principalArn} still hold it (${others.join(', ')})`;
    return { actions: dryRun ? [] : await keepOn(others, 'hold it'), note };
  }
  const detached = await change(
    detachId,
    false,
    `detach the grant guard ${guardPolicyArn} from ${grant.principalArn}: no other grant holds it`,
  )();
  // A grant that began while the guard came off holds it again: put the guard back under it.
  const arrived = await guardHeldBy(deps.cases, guarded);
  return { actions: [...stepsOf(detached), ...(await keepOn(arrived, 'began meanwhile'))], note: null };
}

export async function expireGrant(
  input: ExpireGrantInput,
  deps: ExpireGrantDependencies,
): Promise<GrantExpiry> {
  const { grant } = input;
  const now = deps.clock.now();
  const cutoff = toInstant(now);
  const mode = modeIn(deps.config, grant.accountId);
  const dryRun = mode === 'dry-run';
  const result: GrantExpiry = {
    mode,
    applied: !dryRun,
    cutoff,
    target: grant.principalArn,
    actions: [],
    escalationOnly: [],
    notes: [],
    verify: [],
    kept: null,
    sessionsToVerify: 0,
  };

  const attempt = roundOf(await requireCase(deps.cases, input.caseId));
  // Its end has started: the heartbeat has nothing left to start for it.
  await forgetOpenGrant(deps.cases, grant);
  const { grants: recorded, heldSince: carried } = await recordedGrants(deps.cases, grant.principalArn);
  // Only a grant recorded as granted keeps the policy on: one stopped halfway attached nothing
  // it needs kept (its own end, at its time, takes away whatever it did attach).
  const others = recorded
    .filter((record) => record.open && record.granted && record.grant.grantId !== grant.grantId)
    .map((record) => record.grant);
  const keep = reasonToKeep(grant, others, now);
  // Since when the principal has held the policy through grants: the grants still listed, and
  // the hold an earlier grant's end carried over to this one.
  const since = [
    heldSince(
      grant,
      recorded.map((record) => record.grant),
    ),
    carried[grant.grantId],
  ]
    .filter((instant): instant is string => instant !== undefined)
    .sort()[0]!;
  /** This end is done: the grant leaves its principal's index (not in dry-run: nothing changed). */
  const unindex = async (keptBy: readonly string[]) => {
    if (!dryRun) await unindexGrant(deps.cases, grant, keptBy, since);
  };
  const ended = (summary: string, detail: { kept: string | null; sessions: number; needsHuman: string[] }) =>
    recordEntry(deps.cases, input.caseId, {
      id: `expire:${attempt}`,
      at: cutoff,
      step: 'expire',
      summary,
      detail: { grant, ...detail },
    });
  const scope = scopeOf(grant);
  if (keep) {
    // What this grant opened is still allowed by what keeps the policy: nothing to take away
    // but the guard, which another grant of the policy holds too if that is what keeps it.
    const guard = await endGuard(grant, attempt, scope, input, deps);
    result.actions.push(...guard.actions);
    await ended(`Grant ended; ${grant.policyArn} stays: ${keep}${guard.note ? `; ${guard.note}` : ''}.`, {
      kept: keep,
      sessions: 0,
      needsHuman: [],
    });
    // The grants that keep the policy carry on this one's hold: the last of them to end denies
    // the sessions opened under any of them.
    await unindex(grant.heldBefore ? [] : liveOverlapping(grant, others, now).map((other) => other.grantId));
    return { ...result, applied: false, kept: keep, notes: [keep, ...(guard.note ? [guard.note] : [])] };
  }
  // The detach goes through the guard rails like any revocation: a principal protected since
  // the grant began (break-glass, revoker's own) loses nothing without a human's approval.
  const protection = isProtected(grant.principalArn, deps.config);
  if (protection && input.approval?.decision !== 'approved') {
    const reason = `${grant.principalArn} is protected (matches ${protection}); ending its grant needs a human`;
    await ended(`Grant ended; not detached automatically: ${reason}.`, {
      kept: null,
      sessions: 0,
      needsHuman: [reason],
    });
    throw new RevocationNeedsHumanError(reason);
  }

  // 1. The policy itself; then its guard, never before.
  const detach = policyAction(grant, false);
  const plan: RevocationPlan = {
    target: holderTarget(grant),
    cutoff,
    actions: [
      {
        action: detach,
        why: `detach ${grant.policyArn} from ${grant.principalArn}`,
        permissions: permissionsFor(detach),
      },
    ],
    escalationOnly: [],
    requiresHuman: null,
    manualSteps: [],
    notes: [],
  };
  const revocationId = `${attempt}-detach`;
  if (dryRun) {
    await recordEntry(deps.cases, input.caseId, {
      id: `dry-run:${revocationId}`,
      at: cutoff,
      step: 'dry-run',
      summary: `Dry run: would detach ${grant.policyArn} from ${grant.principalArn}.`,
      detail: { plan },
    });
    result.actions.push({ description: `detach ${grant.policyArn}`, status: 'planned' });
  } else {
    const record = await applyRecorded(
      {
        revocationId,
        label: `Grant ${grant.grantId} ended`,
        plan,
        scope,
        before: await stateForRevocation(deps.iam, scope),
        approval: input.approval ?? null,
        automatic: false,
      },
      { caseId: input.caseId, cases: deps.cases, iam: deps.iam, clock: deps.clock, sleep: deps.sleep },
    );
    result.actions.push(
      ...record.steps.map((step) => ({ description: step.description, status: step.status })),
    );
  }
  const guard = await endGuard(grant, attempt, scope, input, deps);
  result.actions.push(...guard.actions);
  if (guard.note) result.notes.push(guard.note);

  // 2. The role sessions the principal opened while it held the policy through its grants.
  const issued = await deps.engine.run(
    bindRunbook(
      requireRunbook(deps.runbooks, 'sessions-issued'),
      {
        account: grant.accountId,
        principal: grant.principalArn,
        start: since,
        end: toInstant(addMinutes(now, 1)),
        start_day: toPartitionDay(new Date(since)),
        end_day: toPartitionDay(addMinutes(now, 1)),
      },
      `${input.caseId}:expire:sessions`,
    ),
  );
  // Each session is denied alone, by its aws:userid: the role's other sessions are not the grant's.
  const targets: RevocationTarget[] = issued.rows.flatMap((row): RevocationTarget[] => {
    const roleArn = textIn(row, 'role_arn');
    const userId = textIn(row, 'session_user_id');
    if (!roleArn || !userId) return [];
    return [
      {
        kind: 'role-sessions',
        accountId: roleArn.split(':')[4] ?? grant.accountId,
        roleName: roleArn.split('/').at(-1) ?? '',
        roleArn,
        session: { userId, sourceIdentity: null },
      },
    ];
  });
  const outcomes = await revokeEach(targets, {
    caseId: input.caseId,
    trigger: input.trigger,
    cutoff,
    dryRun,
    approval: input.approval,
    label: 'Session the grant issued',
    config: deps.config,
    iam: deps.iam,
    cases: deps.cases,
    clock: deps.clock,
    sleep: deps.sleep,
  });
  result.actions.push(...actionsOf(outcomes));
  const needsHuman = outcomes
    .filter((outcome) => outcome.status === 'needs-human')
    .map((outcome) => `${targetArn(outcome.target)}: ${outcome.plan.requiresHuman}`);
  for (const outcome of outcomes) {
    if (outcome.status === 'needs-human' || outcome.target.kind !== 'role-sessions') continue;
    result.verify.push({
      principal: outcome.target.roleArn,
      sourceIdentity: '',
      sessionUserId: outcome.target.session?.userId ?? '',
    });
  }
  await ended(
    `Grant ${grant.grantId} ended at ${cutoff}: ${plural(issued.rows.length, 'session')} it issued found; ${needsHuman.length} left for a human.`,
    { kept: null, sessions: issued.rows.length, needsHuman },
  );
  await unindex([]);
  if (needsHuman.length > 0 && !dryRun) {
    throw new RevocationNeedsHumanError(`the grant's sessions need a human: ${needsHuman.join('; ')}`);
  }
  return { ...result, sessionsToVerify: result.verify.length };
}
