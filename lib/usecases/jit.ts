// Just-in-time access: grant a managed policy to a role or user for a while, and end it.
// A grant lists itself for the heartbeat, opens its case, holds the grant guard (the managed
// policy denying revoker's own resources), joins its principal's index (within its caps) and
// schedules its end; refused on the way, it is refused whole (its case closed as refused, what it
// recorded undone). Only then it decides, from IAM and its principal's grants read afresh,
// whether the principal holds the policy outside any grant, records that on its case, and
// attaches the guard, then the policy (unless so held); it then looks at its case once more,
// and takes away what it attached should its end have begun meanwhile. The end — the
// expire-grant task — marks itself begun first, then detaches the policy unless the principal's
// standing access or another grant granted and live still gives it, then the guard unless
// another grant still holds it, and denies each role session the principal opened while the
// grant was live: their credentials outlive the grant. Stopped between any two steps, the
// principal holds the guard without the policy at worst, never the policy without the guard,
// and whatever was recorded is ended at the grant's time (by its schedule or the heartbeat).

import * as z from 'zod';
import { modeIn } from '../domain/accounts.ts';
import { accountOfArn } from '../domain/arn.ts';
import { type Case, type CaseHeader, closeHeader, entriesOf, isOpen, openedHeader } from '../domain/case.ts';
import { type Config, isProtected, protectingTag } from '../domain/config.ts';
import { own } from '../domain/iam-state.ts';
import {
  type Grant,
  type GrantIndex,
  GrantSchema,
  grantCapRefusal,
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
import { changeHeader, openRequestedCase, recordEntry, requireCase } from './cases.ts';
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
  /** Who asked (and who approved), in words, as recorded on the grant. */
  requestedBy: string;
  /**
   * Who asked, as a person (`personOf`): the principal's open grants are capped by who asked
   * for them (see MAX_OWN_OPEN_GRANTS). Null: not known, counted as someone else's.
   */
  requester: string | null;
  reason: string;
  region: string;
  /**
   * When the grant runs from: its approval (a retry names the same grant). Now when left out.
   * Whether it may still be granted is judged by the clock, never by this.
   */
  grantedAt?: Date;
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
 * case was closed since without its end). `ended`: the grants the index still lists whose case
 * is closed (the next grant indexed drops them).
 */
async function recordedGrants(
  cases: CaseStore,
  principalArn: string,
): Promise<{
  grants: RecordedGrant[];
  heldSince: Record<string, string>;
  index: GrantIndex;
  ended: Set<string>;
}> {
  const index = await readGrantIndex(cases, principalArn);
  const grants: RecordedGrant[] = [];
  for (const id of index.grantIds) {
    const record = await cases.get(id);
    const grant = record ? grantOf(record) : null;
    if (record && grant)
      grants.push({ grant, open: isOpen(record.header), granted: entriesOf(record, 'grant').length > 0 });
  }
  const ended = new Set(grants.filter((other) => !other.open).map((other) => other.grant.grantId));
  return { grants, heldSince: index.heldSince, index, ended };
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
  if (accountOfArn(guard) !== accountId)
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

/** Why the grant's case can no longer be attached: its end has begun or its case is closed; null if not. */
function endBegun(record: Case): string | null {
  if (!isOpen(record.header)) return `its case is closed (${record.header.outcome})`;
  // The execution that ends it was started (by its schedule or the heartbeat, or the end marked
  // itself so before anything else), or its end ran, or something of it was taken away already.
  if (
    record.header.execution.started ||
    entriesOf(record, 'expire').length > 0 ||
    entriesOf(record, 'revoke-intent').length > 0
  )
    return 'its end has begun';
  return null;
}

/** Why the grant's case can no longer be granted (its end has begun, or it is over), or null. */
function overReason(record: Case, grant: Grant, now: Date): string | null {
  return (
    endBegun(record) ??
    (Date.parse(grant.expiresAt) <= now.getTime() ? `it ended at ${grant.expiresAt}` : null)
  );
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
  // The grant runs from when it was approved (a retry names the same grant); whether it is still
  // to be granted is judged by the time it is now.
  const start = request.grantedAt ?? deps.clock.now();
  const accountId = accountOfArn(request.principalArn) ?? '';
  const draft = {
    accountId,
    principalArn: request.principalArn,
    policyArn: request.policyArn,
    grantedAt: toInstant(start),
    expiresAt: toInstant(new Date(start.getTime() + request.seconds * 1000)),
    requestedBy: request.requestedBy,
    reason: request.reason,
    region: request.region,
  };
  const shape = GrantSchema.omit({ grantId: true, heldBefore: true }).safeParse(draft);
  if (!shape.success)
    throw new GrantRefusedError(`the grant is not valid: ${shape.error.issues[0]?.message}`);
  const grantId = grantIdFor(draft);
  // A retry (the same request, the same grant) finishes the grant its first attempt recorded.
  const existing = await deps.cases.get(grantId);
  const recordedGrant = existing ? grantOf(existing) : null;
  if (existing && recordedGrant) {
    const over = overReason(existing, recordedGrant, deps.clock.now());
    if (over) throw new GrantRefusedError(`grant ${grantId} is not attached: ${over}`);
  } else if (Date.parse(draft.expiresAt) <= deps.clock.now().getTime()) {
    // Past its end before anything is recorded: nothing is written, the grant is refused whole.
    throw new GrantRefusedError(
      `grant ${grantId} is not attached: it ended at ${draft.expiresAt}, before it could be granted`,
    );
  }
  const guardPolicyArn = await requireGuard(accountId, deps);

  const scope = scopeOf(draft);
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
  // Before anything is written (joining the index checks it again, in the same write).
  if (!existing) {
    const live = {
      grantIds: recorded.index.grantIds.filter((id) => !recorded.ended.has(id)),
      requesters: recorded.index.requesters,
    };
    const full = grantCapRefusal(live, request.principalArn, request.requester);
    if (full) throw new GrantRefusedError(full);
  }
  // Whether the principal holds the policy outside any grant is decided once the grant is
  // listed, held and indexed (step 5): until then, null.
  const grant: Grant = recordedGrant ?? { ...draft, grantId, heldBefore: null, guardPolicyArn };
  const guard = grant.guardPolicyArn ?? guardPolicyArn;
  const guarded = { ...grant, guardPolicyArn: guard };
  const refuse = (why: string) =>
    new GrantRefusedError(
      `grant ${grant.grantId} of ${grant.policyArn} to ${grant.principalArn} is not attached: ${why}`,
    );
  /**
   * Refused after something was recorded: if no attempt of this grant can have attached anything
   * (undecided, its end not begun), its case closes as refused and what it recorded is undone;
   * else what was recorded is left for its end, which is due.
   */
  const refuseWhole = async (why: string): Promise<never> => {
    await closeRefused(grant, guard, why, deps);
    throw refuse(why);
  };
  /**
   * Its end has begun, or its case is closed: the hold and the listing this attempt may have put
   * back after the end let go of them go too (the end is running, or over).
   */
  const refuseEnded = async (why: string): Promise<never> => {
    await releaseGuard(deps.cases, guarded);
    await forgetOpenGrant(deps.cases, grant);
    throw refuse(why);
  };

  // 1. Listed for the heartbeat, before anything else is written: from here on, stopped
  // anywhere, the grant is ended at its time even if its schedule never fires.
  if ((await noteOpenGrant(deps.cases, grant, deps.clock.now())) === 'full')
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
  await holdGuard(deps.cases, guarded);
  // 4. Visible to the principal's other grants once it is held and listed, within its caps
  // (checked in the same compare-and-set as the write: grants asked for at once never pass them).
  const indexed = await indexGrant(deps.cases, grant, request.requester, recorded.ended);
  if (indexed.status === 'full') return refuseWhole(indexed.reason);
  // 5. Its end, scheduled. Refused for a time already past (EventBridge Scheduler's clock): the
  // grant is refused whole, or its end is left to the heartbeat (step 1) if an earlier attempt
  // may have attached something.
  try {
    await deps.scheduler.scheduleOnce(grant.grantId, new Date(grant.expiresAt), {
      source: JIT_SOURCE,
      detailType: JIT_EXPIRY_DETAIL_TYPE,
      detail: { grantId: grant.grantId },
    });
  } catch (error) {
    if (error instanceof ScheduleInPastError)
      return refuseWhole(`it ended at ${grant.expiresAt}, before it could be granted`);
    throw error;
  }
  // 6. Not ended meanwhile (checked above too, before the hold): never attach to a grant whose
  // end has begun, or to a closed case. Its end may have let go of the guard already: so does
  // the hold this attempt took (the guard itself is the end's to take off).
  const now = await requireCase(deps.cases, grant.grantId);
  const begun = endBegun(now);
  if (begun) return refuseEnded(begun);
  if (Date.parse(grant.expiresAt) <= deps.clock.now().getTime())
    return refuseWhole(`it ended at ${grant.expiresAt}`);
  // 7. Standing access or not, decided now that this grant is indexed, from IAM and then the
  // principal's grants read afresh (any grant of the policy attached by then is indexed by
  // then), and recorded on its case before anything is attached: its end reads it there. A
  // policy attached while another open grant of it that did not itself find it standing is
  // indexed is never standing access. Recorded by compare-and-set on the case's header, which
  // the end marks started before anything else: decided after that, the grant is refused.
  const decided = await decideHeldBefore(grant, scope, deps);
  if (decided.status === 'ended') return refuseEnded(decided.reason);
  const granted: Grant = { ...grant, heldBefore: decided.heldBefore };
  // 8. IAM as it is now: the guard, then the policy, each read back before the next. A guard an
  // ending grant took off since the first read is attached again here.
  const current = await deps.iam.readState(scope);
  const held = holder.kind === 'role' ? own(current.roles, holder.name) : own(current.users, holder.name);
  const attached = held?.attachedPolicies.includes(grant.policyArn) ?? false;
  const guardOn = managedAction(grant, guard, true);
  const record = await applyPlan(
    scope,
    [guardOn, ...(granted.heldBefore ? [] : [policyAction(grant, true)])],
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
  // 9. Its end may have begun while this attempt attached (after the check of step 6): it then
  // ran against a principal without the policy, and will not run again. The end marks its case
  // started before it reads or detaches anything, so either it sees what was attached here, or
  // this read sees it begun: then what this attempt attached is taken away again, and the grant
  // refused.
  const attachedCase = await requireCase(deps.cases, grant.grantId);
  const endedMeanwhile = endBegun(attachedCase);
  if (endedMeanwhile) {
    await withdraw(granted, guard, scope, endedMeanwhile, deps);
    throw refuse(`${endedMeanwhile} while it was attached: what it attached was taken away again`);
  }
  await recordEntry(deps.cases, grant.grantId, {
    id: 'grant',
    at: toInstant(deps.clock.now()),
    step: 'grant',
    summary: `${grant.requestedBy} granted ${grant.policyArn} to ${grant.principalArn} until ${grant.expiresAt}${grant.reason ? ` (${grant.reason})` : ''}, under the grant guard ${guard}${attached ? `; already attached (${granted.heldBefore ? 'standing access: the grant will not detach it' : `by ${plural(decided.sameOpen, 'other open grant')}`})` : ''}.`,
    detail: { grant: granted, record },
  });
  return granted;
}

/**
 * Decide, once, whether the principal held the grant's policy outside any grant: IAM first, then
 * the principal's grants (a grant of the policy attaches only once indexed, so one attached by
 * the IAM read is listed by this read, unless its end finished in between), and the principal's
 * grants as read before IAM too. Recorded on the case's header by compare-and-set, unless an
 * earlier attempt decided (its decision stands: it may have attached the policy since), and
 * only while the grant's end has not begun.
 */
async function decideHeldBefore(
  grant: Grant,
  scope: IamScope,
  deps: GrantDependencies,
): Promise<
  { status: 'decided'; heldBefore: boolean; sameOpen: number } | { status: 'ended'; reason: string }
> {
  const before = await recordedGrants(deps.cases, grant.principalArn);
  const state = await deps.iam.readState(scope);
  const after = await recordedGrants(deps.cases, grant.principalArn);
  const holder = grantHolder(grant);
  const principal = holder.kind === 'role' ? own(state.roles, holder.name) : own(state.users, holder.name);
  const attached = principal?.attachedPolicies.includes(grant.policyArn) ?? false;
  const sameOpen = new Map<string, RecordedGrant>();
  for (const other of [...before.grants, ...after.grants])
    if (other.open && other.grant.grantId !== grant.grantId && other.grant.policyArn === grant.policyArn)
      sameOpen.set(other.grant.grantId, other);
  // Standing access an open grant of it found stays standing; one it did not find (or has not
  // decided on yet) is never taken for standing access.
  const heldBefore = attached && [...sameOpen.values()].every((other) => other.grant.heldBefore === true);
  let ended: string | null = null;
  let decision: boolean = heldBefore;
  await changeHeader(deps.cases, grant.grantId, (current) => {
    ended = endBegun(current);
    if (ended) return null;
    const recorded = grantOf(current);
    if (!recorded) {
      ended = 'its case records no grant';
      return null;
    }
    if (recorded.heldBefore !== null) {
      decision = recorded.heldBefore;
      return null;
    }
    decision = heldBefore;
    return withRecordedGrant(current.header, { ...recorded, heldBefore });
  });
  return ended
    ? { status: 'ended', reason: ended }
    : { status: 'decided', heldBefore: decision, sameOpen: sameOpen.size };
}

/** The header with the grant its execution input records replaced (its decision made). */
function withRecordedGrant(header: CaseHeader, grant: Grant): CaseHeader {
  return {
    ...header,
    execution: { ...header.execution, input: { ...header.execution.input, grant } },
  };
}

/**
 * Close a grant's case as refused when nothing can have been attached under it: no attempt has
 * decided (every attempt decides before it attaches) and its end has not begun; by
 * compare-and-set on the header, so an attempt deciding at the same time either comes first
 * (and the case is left to its end) or finds it closed. Then what it recorded is undone: its
 * hold of the guard, its listing for the heartbeat, its place in the principal's index.
 * Left open otherwise: its end, due at its time (by the schedule or the heartbeat), ends it.
 */
async function closeRefused(
  grant: Grant,
  guard: string,
  why: string,
  deps: GrantDependencies,
): Promise<boolean> {
  const at = toInstant(deps.clock.now());
  const { changed } = await changeHeader(deps.cases, grant.grantId, (current) => {
    if (endBegun(current) || grantOf(current)?.heldBefore !== null) return null;
    return closeHeader(current.header, 'refused', at);
  });
  if (!changed) return false;
  await recordEntry(deps.cases, grant.grantId, {
    id: 'close',
    at,
    step: 'close',
    summary: `Refused before anything was attached: ${why}.`,
    detail: { outcome: 'refused', reason: why },
  });
  await releaseGuard(deps.cases, { ...grant, guardPolicyArn: guard });
  await forgetOpenGrant(deps.cases, grant);
  await unindexGrant(deps.cases, grant, [], grant.grantedAt);
  return true;
}

/**
 * Take away what an attempt attached once it finds its grant's end begun (or its case closed)
 * after attaching: the policy, unless standing access or another grant of it, granted and live,
 * keeps it; then the guard, unless another grant holds it (as an end lets go of it). Each change
 * is recorded on the case, intent first.
 */
async function withdraw(
  grant: Grant,
  guard: string,
  scope: IamScope,
  why: string,
  deps: GrantDependencies,
): Promise<void> {
  const attempt = 'withdrawn';
  const context = {
    caseId: grant.grantId,
    cases: deps.cases,
    iam: deps.iam,
    clock: deps.clock,
    sleep: deps.sleep,
  };
  if (!grant.heldBefore) {
    const { grants } = await recordedGrants(deps.cases, grant.principalArn);
    const others = grants
      .filter((other) => other.open && other.granted && other.grant.grantId !== grant.grantId)
      .map((other) => other.grant);
    if (!reasonToKeep(grant, others, deps.clock.now())) {
      const detach = policyAction(grant, false);
      await applyRecorded(
        {
          revocationId: `${attempt}-detach`,
          label: `Grant ${grant.grantId} withdrawn (${why} while it was attached)`,
          plan: {
            target: holderTarget(grant),
            cutoff: toInstant(deps.clock.now()),
            actions: [
              {
                action: detach,
                why: `detach ${grant.policyArn} from ${grant.principalArn}: ${why} while the grant attached it`,
                permissions: permissionsFor(detach),
              },
            ],
            escalationOnly: [],
            requiresHuman: null,
            manualSteps: [],
            notes: [],
          },
          scope,
          before: await stateForRevocation(deps.iam, scope),
          approval: null,
          automatic: false,
        },
        context,
      );
    }
  }
  await endGuard({ ...grant, guardPolicyArn: guard }, attempt, scope, { caseId: grant.grantId }, deps);
  await forgetOpenGrant(deps.cases, grant);
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

/** Mark the grant's end begun on its case (its execution started), once; the case as it is then. */
async function markEndBegun(cases: CaseStore, caseId: string): Promise<Case> {
  await changeHeader(cases, caseId, (current) =>
    current.header.execution.started || !isOpen(current.header)
      ? null
      : { ...current.header, execution: { ...current.header.execution, started: true } },
  );
  return requireCase(cases, caseId);
}

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
  input: { caseId: string; approval?: ExpireGrantInput['approval'] },
  deps: Pick<ExpireGrantDependencies, 'iam' | 'cases' | 'clock' | 'config' | 'sleep'>,
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
  // Its end has begun, marked on its case before anything is read or taken away: a grant
  // attaching at this moment either attached before this end reads IAM, or finds its end begun
  // once it has attached and takes away what it attached (see grantAccess, step 9).
  const marked = await markEndBegun(deps.cases, input.caseId);
  // The grant as its case records it now: whether the principal held the policy outside any
  // grant is decided after the case opened (null: never decided, so never attached).
  const recordedGrant = grantOf(marked);
  const grant: Grant = { ...input.grant, heldBefore: (recordedGrant ?? input.grant).heldBefore };
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

  const attempt = roundOf(marked);
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
  if (grant.heldBefore === null) {
    // It stopped before deciding, so before attaching anything, and can no longer attach: no
    // policy of its own to take away, no session opened under it. Its hold of the guard goes.
    const guard = await endGuard(grant, attempt, scope, input, deps);
    result.actions.push(...guard.actions);
    const note = `grant ${grant.grantId} stopped before it was attached: nothing of it to take away`;
    await ended(`Grant ended; ${note}${guard.note ? `; ${guard.note}` : ''}.`, {
      kept: null,
      sessions: 0,
      needsHuman: [],
    });
    await unindex([]);
    return { ...result, notes: [note, ...(guard.note ? [guard.note] : [])] };
  }
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
        accountId: accountOfArn(roleArn) ?? grant.accountId,
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
    // Only a session whose deny was made is watched: one held for a human, or only planned (a
    // dry-run account), was not taken away.
    if (outcome.status !== 'applied' || outcome.target.kind !== 'role-sessions') continue;
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
