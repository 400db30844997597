// The operator API's use cases: what a person may ask of revoker, as the identity AWS verified
// (never a name they typed). Each request is authorised by the `access` configuration, and each
// decision — allowed or refused — is written to the audit log with that identity before the
// answer goes back.

import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import {
  type Caller,
  callerOf,
  callerRoleName,
  isNamedApprover,
  mayAnswerCase,
  mayApproveGrant,
  mayAskRefinement,
  mayOffboard,
  mayReadAudit,
  mayRequestGrant,
  mayRunRunbook,
  personOf,
  samePerson,
} from '../domain/access.ts';
import { modeIn, ownApproversIn } from '../domain/accounts.ts';
import { accountOfArn } from '../domain/arn.ts';
import { AUDIT_LIMITS, AUDIT_MAX_DAYS, type AuditRecord } from '../domain/audit.ts';
import { describeIssues } from '../domain/cloudtrail.ts';
import { type Config, isProtected, protectingTag } from '../domain/config.ts';
import { type IamAccountState, own } from '../domain/iam-state.ts';
import {
  GrantAnnouncementSchema,
  type GrantRequestRecord,
  GrantRequestSchema,
  grantHolder,
  grantRequestIdFor,
  MAX_GRANT_SECONDS,
  MIN_GRANT_SECONDS,
  PrincipalArn,
} from '../domain/jit.ts';
import { type OffboardingDetail, offboardingTrigger } from '../domain/offboarding.ts';
import { IDENTITY_CENTER_ROLE_ARN } from '../domain/principal.ts';
import { AccountId, PersonName, PolicyArn, Region, RoleArn } from '../domain/shapes.ts';
import { Duration, durationSeconds, toInstant } from '../domain/time.ts';
import { credentialIdOf } from '../domain/trigger.ts';
import {
  AccountNotEnrolledError,
  type AuditLog,
  type CaseStore,
  type Clock,
  type DeadLetters,
  type IamGateway,
  type QueryEngine,
  type Scheduler,
  type TaskCallbacks,
  type WorkflowStarter,
} from '../ports.ts';
import type { Runbook } from '../runbooks/catalog.ts';
import { answerEscalation, EscalationAnswerError } from './answer-escalation.ts';
import { CaseContentionError, changeDocument, type IntakeOutcome } from './cases.ts';
import { GrantRefusedError, grantAccess } from './jit.ts';
import { refine } from './refine.ts';
import { openRefinement, RefinementRefusedError } from './refinement.ts';
import { runRunbook } from './run-runbook.ts';
import { startOffboardingCase } from './start-offboarding.ts';

export interface OperatorDependencies {
  config: Config;
  /** The account the operator API serves: its callers are identities of this account only. */
  homeAccountId: string;
  cases: CaseStore;
  audit: AuditLog;
  clock: Clock;
  /** IAM in an account: a grant is attached in its principal's account (always revoker's own). */
  iamFor(accountId: string): IamGateway;
  /**
   * IAM in an account where revocations act (AccountNotEnrolledError elsewhere): the enrolled
   * accounts, not revoker's own unless enrolled. An offboarding is refused where it could not act.
   * `iamFor` when not given.
   */
  revokesIn?(accountId: string): IamGateway;
  /** The grant guard's ARN in an account (null: none there, and no grant is made). */
  grantGuard(accountId: string): string | null;
  scheduler: Scheduler;
  callbacks: TaskCallbacks;
  engine: QueryEngine;
  runbooks: Map<string, Runbook>;
  /** Where a runbook-use alarm is raised (a structured log line the stack's metric filter counts). */
  alarm?: (line: Record<string, unknown>) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** Refused by the access configuration or a guard rail: the reason is the caller's to read. */
export class OperatorRefusedError extends Error {
  override name = 'OperatorRefusedError';
}

/** The request names something that does not exist. */
export class OperatorNotFoundError extends Error {
  override name = 'OperatorNotFoundError';
}

/** The request conflicts with the state of what it names (already decided, not waiting). */
export class OperatorConflictError extends Error {
  override name = 'OperatorConflictError';
}

async function audit(
  deps: OperatorDependencies,
  caller: Caller,
  entry: Pick<AuditRecord, 'action' | 'target' | 'allowed' | 'reason'> & {
    details?: Record<string, unknown>;
  },
): Promise<void> {
  // A record is never lost to its own size: long values (attacker-chosen ones too) are cut.
  await deps.audit.record({
    id: randomUUID(),
    at: toInstant(deps.clock.now()),
    details: {},
    ...entry,
    identity: clip(caller.arn, AUDIT_LIMITS.identity),
    target: clip(entry.target, AUDIT_LIMITS.target),
    reason: clip(entry.reason, AUDIT_LIMITS.reason),
  });
}

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

// ---- Who is calling ----------------------------------------------------------------------

/**
 * The caller the operator API answers: an identity of its own account (a user `oncall`, or a
 * role, in another account is someone else), and an Identity Center role only when IAM has it
 * where Identity Center keeps its roles — a role merely named `AWSReservedSSO_…` is not one,
 * and its session names are its caller's to choose. Refusals are audited.
 */
export async function admitCaller(arn: string, deps: OperatorDependencies): Promise<Caller> {
  const caller = callerOf(arn);
  const refuse = async (reason: string): Promise<never> => {
    await audit(deps, caller, { action: 'caller.admit', target: arn, allowed: false, reason });
    throw new OperatorRefusedError(reason);
  };
  if (caller.accountId !== deps.homeAccountId)
    return refuse(
      `${arn} is an identity of account ${caller.accountId}: the operator API answers identities of account ${deps.homeAccountId} only`,
    );
  if (caller.identityCenter) {
    const roleName = callerRoleName(caller)!;
    const state = await deps.iamFor(caller.accountId).readState({
      accountId: caller.accountId,
      roles: [roleName],
      users: [],
      managedPolicies: [],
      identityCenter: false,
    });
    const role = own(state.roles, roleName);
    if (!role || !IDENTITY_CENTER_ROLE_ARN.test(role.arn))
      return refuse(
        `${roleName} is named like an IAM Identity Center role, but IAM has it ${role ? `as ${role.arn}` : 'nowhere'}: Identity Center's roles are under /aws-reserved/sso.amazonaws.com/`,
      );
  }
  return caller;
}

// ---- Just-in-time grants ---------------------------------------------------------------

export const GrantAskSchema = z.strictObject({
  /** Exactly as IAM has it, path included. */
  principalArn: PrincipalArn,
  policyArn: PolicyArn,
  /** How long: 90m, 2h, 1d; a grant lasts a minute at least, a week at most. */
  duration: Duration.refine((text) => {
    const seconds = durationSeconds(text);
    return seconds >= MIN_GRANT_SECONDS && seconds <= MAX_GRANT_SECONDS;
  }, 'between 1m and 7d'),
  reason: z.string().min(1).max(1024),
  region: Region.default('us-east-1'),
});
export type GrantAsk = z.input<typeof GrantAskSchema>;

/**
 * The requests asked for on one day (UTC), each with who asked (as a person): an index per day
 * stays small, and one person may ask for at most REQUESTS_PER_PERSON_PER_DAY a day.
 */
const RequestsIndexSchema = z.object({
  requests: z.array(z.object({ requestId: z.string(), person: z.string() })),
});
const REQUESTS_PER_PERSON_PER_DAY = 50;
/** How far back `GET /grants` lists requests by default, and at most. */
export const REQUESTS_LIST_DAYS = { default: 7, max: 90 } as const;

function requestsIndexKey(day: Date): string {
  return `grant-requests/${toInstant(day).slice(0, 10)}`;
}

function requestKey(requestId: string): string {
  return `grant-request/${requestId}`;
}

/** A recorded request the store holds but this version cannot read: named, never acted on. */
export class UnreadableRequestError extends Error {
  override name = 'UnreadableRequestError';
}

async function readRequest(cases: CaseStore, requestId: string) {
  const document = await cases.readDocument(requestKey(requestId));
  if (!document) return null;
  const parsed = GrantRequestSchema.safeParse(document.value);
  if (!parsed.success)
    throw new UnreadableRequestError(
      `grant request ${requestId} is recorded but unreadable (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`,
    );
  return { request: parsed.data, version: document.version };
}

/**
 * Why the principal a grant names cannot be granted, or null: it must exist in IAM under
 * exactly the ARN asked for — IAM finds a principal by its name alone, so a made-up path would
 * let the ARN match a rule its real principal does not — and no protection may cover it.
 */
async function principalRefusal(principalArn: string, deps: OperatorDependencies): Promise<string | null> {
  const accountId = accountOfArn(principalArn) ?? '';
  const holder = grantHolder({ principalArn });
  let state: IamAccountState;
  try {
    state = await deps.iamFor(accountId).readState({
      accountId,
      roles: holder.kind === 'role' ? [holder.name] : [],
      users: holder.kind === 'user' ? [holder.name] : [],
      managedPolicies: [],
      identityCenter: false,
    });
  } catch (error) {
    if (error instanceof AccountNotEnrolledError) return error.message;
    throw error;
  }
  const principal = holder.kind === 'role' ? own(state.roles, holder.name) : own(state.users, holder.name);
  if (!principal) return `${principalArn} was not found in IAM`;
  if (principal.arn !== principalArn)
    return `IAM has this ${holder.kind} as ${principal.arn}, not ${principalArn}: ask for it by the ARN IAM has`;
  const pattern = isProtected(principal.arn, deps.config);
  const tag = protectingTag(principal.tags, deps.config);
  const protection = pattern ? `matches ${pattern}` : tag ? `tagged ${tag}` : null;
  return protection ? `${principalArn} is protected (${protection}): no grant is ever attached to it` : null;
}

/** Ask for a grant. Eligible and needing no approval: granted now; else it waits for an approver. */
export async function requestGrant(
  caller: Caller,
  body: unknown,
  deps: OperatorDependencies,
): Promise<GrantRequestRecord> {
  const ask = GrantAskSchema.safeParse(body);
  if (!ask.success) {
    const reason = `the request is not valid: ${ask.error.issues[0]?.path.join('.')}: ${ask.error.issues[0]?.message}`;
    await audit(deps, caller, { action: 'grant.request', target: '-', allowed: false, reason });
    throw new OperatorRefusedError(reason);
  }
  const { principalArn, policyArn, duration, reason, region } = ask.data;
  const seconds = durationSeconds(duration);
  const target = `${policyArn} on ${principalArn} for ${duration}`;
  const verdict = mayRequestGrant(caller, { principalArn, policyArn, seconds }, deps.config.access);
  const refused = async (reason: string): Promise<never> => {
    await audit(deps, caller, { action: 'grant.request', target, allowed: false, reason, details: ask.data });
    throw new OperatorRefusedError(reason);
  };
  // Read first (no IAM read for a person past the day's limit), and counted again below, in the
  // compare-and-set that records the request: requests asked for at once never pass it together.
  const today = await deps.cases.readDocument(requestsIndexKey(deps.clock.now()));
  const overLimit = today ? dailyLimitRefusal(caller, RequestsIndexSchema.parse(today.value).requests) : null;
  const refusal = verdict.allowed
    ? (overLimit ?? (await principalRefusal(principalArn, deps)))
    : verdict.reason;
  if (refusal !== null || !verdict.allowed) return refused(refusal ?? 'refused');
  const requestedAt = toInstant(deps.clock.now());
  const request: GrantRequestRecord = GrantRequestSchema.parse({
    requestId: grantRequestIdFor({ requestedBy: caller.arn, principalArn, policyArn, requestedAt }),
    requestedBy: caller.arn,
    requestedAt,
    principalArn,
    policyArn,
    seconds,
    reason,
    region,
    approvers: verdict.approvers,
    // Needing no approval, it is approved as it is asked for.
    status: verdict.approvers === null ? 'approved' : 'pending',
    approvedBy: null,
    grantAt: verdict.approvers === null ? requestedAt : null,
    grantId: null,
    refusal: null,
  } satisfies GrantRequestRecord);
  // Indexed first, the day's limit counted in the same compare-and-set: a request the index
  // names but the store lacks is skipped by the listing, and one written but never indexed could
  // be finished by no one who can find it.
  const overToday = await indexRequest(deps.cases, new Date(requestedAt), caller, {
    requestId: request.requestId,
    person: personOf(caller),
  });
  if (overToday !== null) return refused(overToday);
  await audit(deps, caller, {
    action: 'grant.request',
    target,
    allowed: true,
    reason: verdict.approvers
      ? `eligible; a member of ${verdict.approvers} must approve`
      : 'eligible; no approval needed',
    details: { requestId: request.requestId, ...ask.data },
  });
  await deps.cases.writeDocument(requestKey(request.requestId), request, null);
  if (verdict.approvers !== null) return request;
  return finishGrantRequest(request.requestId, deps);
}

type IndexedRequest = z.infer<typeof RequestsIndexSchema>['requests'][number];

/** Why the caller may ask for no more grants today, given the day's requests; null if they may. */
function dailyLimitRefusal(caller: Caller, requests: readonly IndexedRequest[]): string | null {
  const asked = requests.filter((entry) => entry.person === personOf(caller)).length;
  return asked >= REQUESTS_PER_PERSON_PER_DAY
    ? `${caller.arn} asked for ${asked} grants today: at most ${REQUESTS_PER_PERSON_PER_DAY} a day`
    : null;
}

/**
 * List the request under its day, once, unless its person reached the day's limit (the reason
 * then, and nothing written): counted and written by one compare-and-set, retried on conflicts.
 */
async function indexRequest(
  cases: CaseStore,
  day: Date,
  caller: Caller,
  entry: IndexedRequest,
): Promise<string | null> {
  let refusal: string | null = null;
  await changeDocument(cases, requestsIndexKey(day), RequestsIndexSchema.parse, (current) => {
    const requests = current?.requests ?? [];
    refusal = null;
    if (requests.some((indexed) => indexed.requestId === entry.requestId)) return null;
    refusal = dailyLimitRefusal(caller, requests);
    return refusal === null ? { requests: [...requests, entry] } : null;
  });
  return refusal;
}

/**
 * Approve a pending request: a member of its approver group, never the requester nor the
 * principal to be granted. The request is judged again as it would be asked now — the rules,
 * the requester's groups and the principal may have changed since — and a request older than
 * `access.pendingRequestsExpireAfter` is refused, closed for good: ask again.
 */
export async function approveGrantRequest(
  caller: Caller,
  requestId: string,
  deps: OperatorDependencies,
): Promise<GrantRequestRecord> {
  const found = await readRequest(deps.cases, requestId);
  if (!found) {
    await audit(deps, caller, {
      action: 'grant.approve',
      target: requestId,
      allowed: false,
      reason: 'no such request',
    });
    throw new OperatorNotFoundError(`no grant request ${requestId}`);
  }
  const { request, version } = found;
  const target = `${requestId}: ${request.policyArn} on ${request.principalArn}`;
  const refuse = async (reason: string, error: Error) => {
    await audit(deps, caller, { action: 'grant.approve', target, allowed: false, reason });
    throw error;
  };
  if (request.status !== 'pending' || request.approvers === null)
    return refuse(
      `the request is ${request.status}`,
      new OperatorConflictError(`grant request ${requestId} is ${request.status}, not waiting for approval`),
    );
  const requester = callerOf(request.requestedBy);
  const verdict = mayApproveGrant(
    caller,
    { requester, principalArn: request.principalArn },
    request.approvers,
    deps.config.access,
  );
  if (!verdict.allowed) return refuse(verdict.reason, new OperatorRefusedError(verdict.reason));
  const now = deps.clock.now();
  const expiresAfter = deps.config.access.pendingRequestsExpireAfter;
  const stale =
    now.getTime() - Date.parse(request.requestedAt) > durationSeconds(expiresAfter) * 1000
      ? `asked for at ${request.requestedAt}: requests wait for approval ${expiresAfter} at most (access.pendingRequestsExpireAfter); ask again`
      : null;
  const again = mayRequestGrant(
    requester,
    { principalArn: request.principalArn, policyArn: request.policyArn, seconds: request.seconds },
    deps.config.access,
  );
  const changed = !again.allowed
    ? `the request is no longer allowed: ${again.reason}`
    : again.approvers !== request.approvers
      ? `the rules now ask ${again.approvers ?? 'no one'} to approve it, not ${request.approvers}; ask again`
      : await principalRefusal(request.principalArn, deps);
  const closing = stale ?? changed;
  if (closing !== null) {
    // Closed for good: an approval later must not revive it.
    await deps.cases.writeDocument(
      requestKey(requestId),
      { ...request, status: 'refused', refusal: closing },
      version,
    );
    return refuse(closing, new OperatorConflictError(`grant request ${requestId}: ${closing}`));
  }
  // Audited before it takes effect: an approval is on record before anything is granted.
  await audit(deps, caller, {
    action: 'grant.approve',
    target,
    allowed: true,
    reason: `member of ${request.approvers}`,
    details: { requestedBy: request.requestedBy },
  });
  // One approval: of two approvers at once, one moves the request on.
  const approved: GrantRequestRecord = {
    ...request,
    status: 'approved',
    approvedBy: caller.arn,
    grantAt: toInstant(now),
  };
  if (!(await deps.cases.writeDocument(requestKey(requestId), approved, version)))
    return refuse(
      'approved by someone else at the same time (the approval above did not take effect)',
      new OperatorConflictError(`grant request ${requestId} was decided at the same time`),
    );
  return finishGrantRequest(requestId, deps);
}

/**
 * Grant an approved request (one needing no approval is approved when asked): dry-run records it and grants nothing; the
 * grant's own checks (the principal exists, is not protected) may still refuse it. A request
 * left `approved` by an interruption is finished by calling this again.
 */
export async function finishGrantRequest(
  requestId: string,
  deps: OperatorDependencies,
): Promise<GrantRequestRecord> {
  const found = await readRequest(deps.cases, requestId);
  if (!found) throw new OperatorNotFoundError(`no grant request ${requestId}`);
  const { request, version } = found;
  if (request.status !== 'approved' || request.grantAt === null) return request;
  let next: GrantRequestRecord;
  if (modeIn(deps.config, accountOfArn(request.principalArn) ?? '') === 'dry-run') {
    next = { ...request, status: 'dry-run' };
  } else {
    try {
      const grant = await grantAccess(
        {
          principalArn: request.principalArn,
          policyArn: request.policyArn,
          seconds: request.seconds,
          requestedBy: request.approvedBy
            ? `${request.requestedBy} (approved by ${request.approvedBy})`
            : request.requestedBy,
          requester: personOf(callerOf(request.requestedBy)),
          reason: request.reason,
          region: request.region,
          // The grant runs from its approval; a retry names the same grant. Whether it may
          // still be granted (its end not passed, not begun) is judged by the clock.
          grantedAt: new Date(request.grantAt),
        },
        { ...deps, iam: deps.iamFor(accountOfArn(request.principalArn) ?? '') },
      );
      next = { ...request, status: 'granted', grantId: grant.grantId };
    } catch (error) {
      if (!(error instanceof GrantRefusedError || error instanceof AccountNotEnrolledError)) throw error;
      next = { ...request, status: 'refused', refusal: error.message };
    }
  }
  await deps.cases.writeDocument(requestKey(requestId), next, version);
  return next;
}

/**
 * A `Grant Requested` event: it names a request, and grants nothing by itself. A recorded
 * request left approved by an interruption is finished; one already decided, or still waiting
 * for its approver, is left as it is; anything else goes to the dead letters with the reason.
 */
export async function takeGrantAnnouncement(
  event: unknown,
  deps: OperatorDependencies & { deadLetters: DeadLetters },
): Promise<{ status: 'finished' | 'noted' | 'rejected'; reason: string }> {
  const parsed = GrantAnnouncementSchema.safeParse(event);
  const reject = async (reason: string) => {
    await deps.deadLetters.send(event, reason);
    return { status: 'rejected' as const, reason };
  };
  if (!parsed.success)
    return reject(
      `a grant is asked for through the operator API, as a verified identity; this event names no request it recorded (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`,
    );
  const found = await readRequest(deps.cases, parsed.data.detail.requestId);
  if (!found)
    return reject(`no grant request ${parsed.data.detail.requestId} was recorded by the operator API`);
  if (found.request.status !== 'approved')
    return { status: 'noted', reason: `grant request ${found.request.requestId} is ${found.request.status}` };
  const finished = await finishGrantRequest(found.request.requestId, deps);
  return { status: 'finished', reason: `grant request ${finished.requestId} is ${finished.status}` };
}

/** Every recorded request; one this version cannot read is listed by its ID and why, never hiding the rest. */
export async function listGrantRequests(
  deps: Pick<OperatorDependencies, 'cases' | 'clock'>,
  query: { days?: number } = {},
): Promise<{ requests: GrantRequestRecord[]; unreadable: { requestId: string; error: string }[] }> {
  const days = Math.min(Math.max(query.days ?? REQUESTS_LIST_DAYS.default, 1), REQUESTS_LIST_DAYS.max);
  const now = deps.clock.now().getTime();
  const ids: string[] = [];
  for (let back = days - 1; back >= 0; back--) {
    const index = await deps.cases.readDocument(requestsIndexKey(new Date(now - back * 86_400_000)));
    if (index) ids.push(...RequestsIndexSchema.parse(index.value).requests.map((entry) => entry.requestId));
  }
  const requests: GrantRequestRecord[] = [];
  const unreadable: { requestId: string; error: string }[] = [];
  for (const id of ids) {
    try {
      const found = await readRequest(deps.cases, id);
      if (found) requests.push(found.request);
    } catch (error) {
      if (!(error instanceof UnreadableRequestError)) throw error;
      unreadable.push({ requestId: id, error: error.message });
    }
  }
  return { requests, unreadable };
}

// ---- Answers to escalated cases ---------------------------------------------------------

export const CaseAnswerSchema = z.strictObject({
  answer: z.enum(['acknowledge', 'approve', 'reject']),
  reason: z.string().max(1024).default(''),
});

/** Answer an escalated case as the verified caller, if their group may answer its severity. */
export async function answerCaseAs(
  caller: Caller,
  caseId: string,
  body: unknown,
  deps: OperatorDependencies,
) {
  const parsed = CaseAnswerSchema.safeParse(body);
  const record = await deps.cases.get(caseId);
  const refuse = async (reason: string, error: Error) => {
    await audit(deps, caller, { action: 'case.answer', target: caseId, allowed: false, reason });
    throw error;
  };
  if (!parsed.success)
    return refuse(
      'the answer is not valid',
      new OperatorRefusedError(`the answer is not valid: ${parsed.error.issues[0]?.message}`),
    );
  if (!record) return refuse('no such case', new OperatorNotFoundError(`no case ${caseId}`));
  const verdict = mayAnswerCase(caller, record.header.standing.severity, deps.config.access);
  if (!verdict.allowed) return refuse(verdict.reason, new OperatorRefusedError(verdict.reason));
  // An account with approvers of its own is answered by them alone, as its pages go to them alone.
  const accountId = record.header.trigger.target.accountId;
  const own = ownApproversIn(deps.config, accountId);
  if (own && !isNamedApprover(caller, own)) {
    const reason = `account ${accountId}'s cases are answered by its own approvers (accounts.enrolled approvers), and ${caller.arn} is not one of them`;
    return refuse(reason, new OperatorRefusedError(reason));
  }
  // Audited before it takes effect; should the case refuse the answer, that is recorded too.
  await audit(deps, caller, {
    action: 'case.answer',
    target: caseId,
    allowed: true,
    reason: `${parsed.data.answer}: ${parsed.data.reason}`.trim(),
  });
  try {
    return await answerEscalation(
      {
        caseId,
        answer: parsed.data.answer,
        approver: caller.arn,
        reason: parsed.data.reason,
        via: 'operator-api',
      },
      deps,
    );
  } catch (error) {
    if (!(error instanceof EscalationAnswerError)) throw error;
    return refuse(error.message, new OperatorConflictError(error.message));
  }
}

// ---- Runbooks ----------------------------------------------------------------------------

export const RunbookRunSchema = z.strictObject({ parameters: z.record(z.string(), z.string()) });

/**
 * Run a runbook as the verified caller: allowed for their group on the account the run names,
 * bound and validated like any run, recorded with the catalog's content hash, the rows returned
 * and the bytes scanned. Runs above the hourly limit still run, and raise the alarm.
 */
export async function runRunbookAs(
  caller: Caller,
  runbookId: string,
  body: unknown,
  deps: OperatorDependencies,
) {
  const parsed = RunbookRunSchema.safeParse(body);
  const runbook = deps.runbooks.get(runbookId);
  const parameters = parsed.success ? parsed.data.parameters : {};
  const account = parameters.account ?? '';
  const target = `${runbookId} on ${account || '(no account)'}`;
  const refuse = async (reason: string, error: Error) => {
    await audit(deps, caller, {
      action: 'runbook.run',
      target,
      allowed: false,
      reason,
      details: { parameters, contentHash: runbook?.contentHash ?? null },
    });
    throw error;
  };
  if (!parsed.success)
    return refuse(
      'the run is not valid',
      new OperatorRefusedError(`the run is not valid: ${parsed.error.issues[0]?.message}`),
    );
  if (!runbook) return refuse('no such runbook', new OperatorNotFoundError(`no runbook ${runbookId}`));
  const verdict = mayRunRunbook(caller, runbookId, account, deps.config.access);
  if (!verdict.allowed) return refuse(verdict.reason, new OperatorRefusedError(verdict.reason));
  const person = personOf(caller);
  const lastHour = await recentByPerson(deps, caller, 'runbook.run');
  const limit = deps.config.access.runbookRunsPerHour;
  if (lastHour + 1 > limit)
    (deps.alarm ?? ((line) => console.log(JSON.stringify(line))))({
      revokerAlarm: 'RunbookRunsOverLimit',
      identity: caller.arn,
      person,
      runsInLastHour: lastHour + 1,
      limit,
    });
  let run: Awaited<ReturnType<typeof runRunbook>>;
  try {
    run = await runRunbook(deps.runbooks, deps.engine, runbookId, parameters);
  } catch (error) {
    return refuse((error as Error).message, error as Error);
  }
  await audit(deps, caller, {
    action: 'runbook.run',
    target,
    allowed: true,
    reason: 'allowed by access.runbooks',
    details: {
      parameters,
      contentHash: runbook.contentHash,
      rows: run.result.rows.length,
      bytesScanned: run.result.bytesScanned,
    },
  });
  return {
    runbook: runbookId,
    contentHash: runbook.contentHash,
    columns: run.result.columns,
    rows: run.result.rows,
    bytesScanned: run.result.bytesScanned,
  };
}

/**
 * How many of `action` the caller was allowed within the last hour, counted per person: sessions
 * of one role, or one person's permission sets, are one identity.
 */
async function recentByPerson(
  deps: OperatorDependencies,
  caller: Caller,
  action: AuditRecord['action'],
): Promise<number> {
  const now = deps.clock.now();
  const person = personOf(caller);
  return (await deps.audit.list(new Date(now.getTime() - 3_600_000), now)).filter(
    (entry) => entry.action === action && entry.allowed && personOfIdentity(entry.identity) === person,
  ).length;
}

function personOfIdentity(identity: string): string | null {
  try {
    return personOf(callerOf(identity));
  } catch {
    return null;
  }
}

// ---- The audit log -----------------------------------------------------------------------

export async function readAudit(
  caller: Caller,
  query: { days?: number },
  deps: OperatorDependencies,
): Promise<AuditRecord[]> {
  const verdict = mayReadAudit(caller, deps.config.access);
  const days = Math.min(Math.max(query.days ?? 7, 1), AUDIT_MAX_DAYS);
  if (!verdict.allowed) {
    await audit(deps, caller, {
      action: 'audit.read',
      target: `last ${days} days`,
      allowed: false,
      reason: verdict.reason,
    });
    throw new OperatorRefusedError(verdict.reason);
  }
  const now = deps.clock.now();
  // Up to a day ahead too: locally the demo's clock runs ahead of this one, and its records with it.
  const records = await deps.audit.list(
    new Date(now.getTime() - days * 86_400_000),
    new Date(now.getTime() + 86_400_000),
  );
  await audit(deps, caller, {
    action: 'audit.read',
    target: `last ${days} days`,
    allowed: true,
    reason: 'allowed by access.auditors',
    details: { records: records.length },
  });
  return records;
}

// ---- Offboarding -------------------------------------------------------------------------

/** What `POST /offboard` takes. Who asks is the verified caller, never a field of the body. */
export const OffboardAskSchema = z.strictObject({
  /** IAM user name, source identity or Identity Center user name. */
  person: PersonName,
  accountId: AccountId,
  /** The region whose logs verification reads first (IAM's are in us-east-1). */
  region: Region.default('us-east-1'),
  reason: z.string().min(1).max(1024),
});

/** Offboarding opens a case and starts its execution, as detect does. */
export interface OffboardingDependencies extends OperatorDependencies {
  workflow: WorkflowStarter;
}

/** How long a request to offboard one of revoker's operators waits for its second offboarder. */
export const OFFBOARD_CONFIRM_HOURS = 24;

/** The first request to offboard one of revoker's operators, until a second offboarder asks too. */
const OffboardRequestSchema = z.object({
  requestId: z.string(),
  requestedBy: z.string(),
  requestedAt: z.iso.datetime(),
  region: Region,
  reason: z.string(),
  status: z.enum(['pending', 'opened']),
  caseId: z.string().nullable(),
});
type OffboardRequest = z.infer<typeof OffboardRequestSchema>;

export interface OffboardAnswer {
  /** `pending`: waiting for a second offboarder; else how the request reached the person's case. */
  status: 'pending' | IntakeOutcome['status'];
  caseId: string | null;
  person: string;
  accountId: string;
  requestedBy: string;
  confirmedBy: string | null;
  /** What happened, and what happens next, in words. */
  message: string;
}

/**
 * Offboard a person as the verified caller: a member of access.offboarders, never themselves.
 * It opens the person's offboarding case at once (revoked without asking; the guard rails still
 * send a protected principal to a human). A person access.groups names — one of revoker's own
 * operators, whom an attacker would lock out first — needs two offboarders: the first request
 * waits, and a different offboarder asking for the same within OFFBOARD_CONFIRM_HOURS opens it.
 */
export async function offboardAs(
  caller: Caller,
  body: unknown,
  deps: OffboardingDependencies,
): Promise<OffboardAnswer> {
  const ask = OffboardAskSchema.safeParse(body);
  if (!ask.success) {
    const reason = `the request is not valid: ${describeIssues(ask.error)}`;
    await audit(deps, caller, { action: 'offboard.request', target: '-', allowed: false, reason });
    throw new OperatorRefusedError(reason);
  }
  const { person, accountId, region, reason } = ask.data;
  const target = `${person} in ${accountId}`;
  const decided = (allowed: boolean, why: string, details: Record<string, unknown> = {}) =>
    audit(deps, caller, {
      action: 'offboard.request',
      target,
      allowed,
      reason: why,
      details: { ...ask.data, ...details },
    });
  const refuse = async (why: string, error: Error = new OperatorRefusedError(why)): Promise<never> => {
    await decided(false, why);
    throw error;
  };
  const verdict = mayOffboard(caller, person, accountId, deps.config.access);
  if (!verdict.allowed) return refuse(verdict.reason);
  try {
    (deps.revokesIn ?? deps.iamFor)(accountId);
  } catch (error) {
    if (!(error instanceof AccountNotEnrolledError)) throw error;
    return refuse(error.message);
  }
  const answer = (
    status: OffboardAnswer['status'],
    caseId: string | null,
    request: OffboardingDetail,
    message = status === 'opened'
      ? `case ${caseId} opened`
      : `case ${caseId ?? '(being opened)'} was open already (${status}): the offboarding goes on there`,
  ): OffboardAnswer => ({
    status,
    caseId,
    person,
    accountId,
    requestedBy: request.requestedBy,
    confirmedBy: request.confirmedBy ?? null,
    message,
  });

  // Past the hourly limit, one offboarder (a stolen HR credential, say) needs a second one.
  const limit = deps.config.access.offboardingsPerHour;
  const lastHour = await recentByPerson(deps, caller, 'offboard.request');
  const flood =
    lastHour >= limit
      ? `${caller.arn} asked for ${lastHour} offboardings within the hour (limit ${limit})`
      : null;
  if (verdict.namedIn.length === 0 && flood === null) {
    const request = { person, accountId, region, reason, requestedBy: caller.arn };
    const eventKey = `offboard:${randomUUID()}`;
    // Audited before it takes effect: the offboarding is on record before anything is revoked.
    await decided(true, 'allowed by access.offboarders', { eventKey });
    const opened = await openOffboarding(request, eventKey, deps);
    return answer(opened.status, opened.caseId, request);
  }

  const key = `offboard-request/${credentialIdOf(`person:${accountId}:${person}`)}`;
  const named =
    verdict.namedIn.length > 0
      ? `${person} is named in ${verdict.namedIn.join(', ')} (access.groups)`
      : flood!;
  for (let attempt = 0; attempt < 100; attempt++) {
    const now = deps.clock.now();
    const document = await deps.cases.readDocument(key);
    const earlier = document ? OffboardRequestSchema.parse(document.value) : null;
    const waiting =
      earlier?.status === 'pending' &&
      Date.parse(earlier.requestedAt) > now.getTime() - OFFBOARD_CONFIRM_HOURS * 3_600_000
        ? earlier
        : null;
    if (!waiting) {
      const first: OffboardRequest = {
        requestId: randomUUID(),
        requestedBy: caller.arn,
        requestedAt: toInstant(now),
        region,
        reason,
        status: 'pending',
        caseId: null,
      };
      if (!(await deps.cases.writeDocument(key, first, document?.version ?? null))) continue;
      const why = `${named}: a second offboarder must ask for the same within ${OFFBOARD_CONFIRM_HOURS} hours`;
      await decided(true, `allowed by access.offboarders; ${why}`, { requestId: first.requestId });
      return answer('pending', null, { person, accountId, region, requestedBy: caller.arn }, why);
    }
    if (samePerson(caller, callerOf(waiting.requestedBy)))
      return refuse(
        `${caller.arn} asked already: ${named}, so a different offboarder must ask too`,
        new OperatorConflictError(`${caller.arn} asked already: a different offboarder must ask too`),
      );
    // The case is opened before the request is marked: after a crash between the two, the next
    // confirmation opens nothing new (the same event key), and marks it.
    const request = {
      person,
      accountId,
      region: waiting.region,
      reason: waiting.reason,
      requestedBy: waiting.requestedBy,
      confirmedBy: caller.arn,
    };
    await decided(
      true,
      `allowed by access.offboarders; the second offboarder (${waiting.requestedBy} asked first)`,
      { requestId: waiting.requestId },
    );
    const opened = await openOffboarding(request, `offboard-request:${waiting.requestId}`, deps);
    await deps.cases.writeDocument(
      key,
      { ...waiting, status: 'opened', caseId: opened.caseId },
      document!.version,
    );
    return answer(opened.status, opened.caseId, request);
  }
  throw new CaseContentionError(`offboarding ${target}: the request kept changing under 100 attempts`);
}

/** The person's offboarding case, as detect opens one for Identity Center's removals. */
async function openOffboarding(request: OffboardingDetail, eventKey: string, deps: OffboardingDependencies) {
  const trigger = offboardingTrigger(request, null, toInstant(deps.clock.now()));
  return startOffboardingCase(trigger, request, eventKey, deps);
}

// ---- Refinements ------------------------------------------------------------------------

export const RefinementAskSchema = z.strictObject({
  /** The role, exactly as IAM has it, path included. */
  principalArn: RoleArn,
  /** Days of calls to refine from, ending now (or at `end`). */
  days: z.number().int().min(1).max(400).default(90),
  end: z.iso.datetime().optional(),
  /** How long after the change access-denied errors are watched for. */
  watchMinutes: z.number().int().min(5).max(10_080).default(60),
  region: Region.default('us-east-1'),
});

/**
 * Ask, as the verified caller, for a role's policies to be replaced by its refined policy: the
 * policy is written and proved here, from the logs, never taken from the request; the case then
 * waits for an approver other than the caller. Allowed by access.refinements; audited.
 */
export async function refineAs(caller: Caller, body: unknown, deps: OffboardingDependencies) {
  const parsed = RefinementAskSchema.safeParse(body);
  const target = parsed.success ? parsed.data.principalArn : '(invalid)';
  const refuse = async (reason: string, error: Error = new OperatorRefusedError(reason)): Promise<never> => {
    await audit(deps, caller, { action: 'refinement.ask', target, allowed: false, reason });
    throw error;
  };
  if (!parsed.success) return refuse(`the request is not valid: ${parsed.error.issues[0]?.message}`);
  const ask = parsed.data;
  const verdict = mayAskRefinement(caller, ask.principalArn, deps.config.access);
  if (!verdict.allowed) return refuse(verdict.reason);
  const account = accountOfArn(ask.principalArn)!;
  const end = ask.end ? new Date(ask.end) : deps.clock.now();
  const iam = (deps.revokesIn ?? deps.iamFor)(account);
  let opened: Awaited<ReturnType<typeof openRefinement>>;
  try {
    const report = await refine(
      { account, principal: ask.principalArn, start: new Date(end.getTime() - ask.days * 86_400_000), end },
      {
        engine: deps.engine,
        runbooks: deps.runbooks,
        currentIam: await iam.readState({
          accountId: account,
          roles: [ask.principalArn.slice(ask.principalArn.lastIndexOf('/') + 1)],
          users: [],
          managedPolicies: [],
          identityCenter: false,
        }),
      },
    );
    opened = await openRefinement(
      { report, requestedBy: caller.arn, watchMinutes: ask.watchMinutes, region: ask.region },
      deps,
    );
  } catch (error) {
    if (error instanceof RefinementRefusedError) return refuse(error.message);
    throw error;
  }
  await audit(deps, caller, {
    action: 'refinement.ask',
    target,
    allowed: true,
    reason: 'allowed by access.refinements; an approver decides',
    details: { caseId: opened.caseId, days: ask.days },
  });
  return opened;
}
