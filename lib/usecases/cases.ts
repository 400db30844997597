// The case lifecycle against the store: taking in a call (open, join or raise the credential's
// one open case), recording entries, closing, and the blast-radius cap. Every decision is a
// pure function in lib/domain/case.ts; here each is made atomic with the store's conditional
// writes, retried when another writer got there first.
//
// How a call reaches a case, whatever the concurrency or retries:
// - The call's event is claimed first (a document per credential and event, with a short
//   lease): a duplicate delivery finds it claimed or done and changes nothing.
// - The credential's pointer document names its latest case. An open case is joined by a
//   compare-and-set on its header (a raise changes the standing and revision; a plain join
//   only bumps the version), so a join and a close are ordered: a call that loses to the close
//   opens a new case instead of joining a closed one.
// - A new case is made by moving the pointer (compare-and-set from the closed or absent case),
//   so two calls can never open two cases for one credential; the pointer carries the new
//   header, so whoever finds it half-made finishes making it.
// - A close is conditional on the revision its decision was made on: a raise since makes the
//   close fail, and the execution reconsiders the case instead.
import * as z from 'zod';
import {
  type Case,
  CaseEntrySchema,
  type CaseHeader,
  CaseHeaderSchema,
  type CaseOrigin,
  CaseStateError,
  caseIdFor,
  closeHeader,
  describeRanking,
  digest,
  isOpen,
  type NewCaseEntry,
  type Outcome,
  openedHeader,
  pendingEscalation,
  type Ranking,
  raisedStanding,
  raiseHeader,
  rankingOf,
} from '../domain/case.ts';
import type { Config } from '../domain/config.ts';
import { addMinutes, toInstant } from '../domain/time.ts';
import { principalArnOf, type Trigger } from '../domain/trigger.ts';
import {
  CaseNotFoundError,
  type CaseStore,
  type Clock,
  type TaskCallbacks,
  TaskNotWaitingError,
  type WorkflowStarter,
} from '../ports.ts';

/** The error a raise fails a waiting escalation with; the state machine reconsiders the case. */
export const RAISED_ERROR = 'revoker.Raised';

/** Thrown by a step that finds the case raised since its decision: the execution reconsiders. */
export class CaseRaisedError extends Error {
  override name = RAISED_ERROR;
}

/** Too many writers on one case or document at once, even after retrying. */
export class CaseContentionError extends Error {
  override name = 'CaseContentionError';
}

const MAX_ATTEMPTS = 200;

/** Another writer won the compare-and-set: wait a little (more each time, with jitter) and read again. */
async function backOff(attempt: number): Promise<void> {
  const ms = Math.min(2 ** Math.min(attempt, 6), 50) * Math.random();
  await new Promise((resolve) => setTimeout(resolve, ms));
}

export async function requireCase(cases: CaseStore, caseId: string): Promise<Case> {
  const record = await cases.get(caseId);
  if (!record) throw new CaseNotFoundError(`there is no case ${caseId}`);
  return record;
}

/** The one way a step records what it did: once, under an ID from the step and its attempt. */
export async function recordEntry(cases: CaseStore, caseId: string, entry: NewCaseEntry): Promise<boolean> {
  return cases.append(caseId, entry);
}

/**
 * Change the header by compare-and-set, retried on conflicts. `change` sees the current case
 * and returns the next header, or null to leave it as it is.
 */
export async function changeHeader(
  cases: CaseStore,
  caseId: string,
  change: (record: Case) => CaseHeader | null,
): Promise<{ record: Case; changed: boolean }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const record = await requireCase(cases, caseId);
    const next = change(record);
    if (next === null) return { record, changed: false };
    if (await cases.update(caseId, record.version, next)) return { record, changed: true };
    await backOff(attempt);
  }
  throw new CaseContentionError(`case ${caseId}: the header kept changing under ${MAX_ATTEMPTS} attempts`);
}

/**
 * Change a small document by compare-and-set, retried on conflicts. `change` sees its current
 * value (null when there is none) and returns the next, or null to leave it as it is; the
 * value the document holds afterwards is returned.
 */
export async function changeDocument<T>(
  cases: CaseStore,
  key: string,
  parse: (value: unknown) => T,
  change: (current: T | null) => T | null,
): Promise<T | null> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const document = await cases.readDocument(key);
    const current = document ? parse(document.value) : null;
    const next = change(current);
    if (next === null) return current;
    if (await cases.writeDocument(key, next, document?.version ?? null)) return next;
    await backOff(attempt);
  }
  throw new CaseContentionError(`document ${key}: it kept changing under ${MAX_ATTEMPTS} attempts`);
}

// ---- Taking in a call ------------------------------------------------------------------

/** A call (or request) that should be on a case. */
export interface Intake {
  origin: CaseOrigin;
  trigger: Trigger;
  ranking: Ranking;
  /** The call's event ID (or a digest of it): the same event is taken in once. */
  eventKey: string;
  /** The execution input for a case this call opens. */
  executionInput(caseId: string): Record<string, unknown>;
}

export type IntakeOutcome =
  | {
      status: 'opened' | 'joined' | 'raised';
      caseId: string;
      executionName: string;
      previousCaseId: string | null;
    }
  /** Taken in before (the case it went to), or being taken in by another delivery now (null). */
  | { status: 'duplicate'; caseId: string | null };
type Placed = Exclude<IntakeOutcome, { status: 'duplicate' }>;

export interface IntakeDependencies {
  cases: CaseStore;
  workflow: WorkflowStarter;
  clock: Clock;
  /** To interrupt an escalation that waits on a case just raised; without it, the close catches the raise. */
  callbacks?: TaskCallbacks;
}

/** A claimed event: who is taking it in (until when), and whether it is done. */
const ClaimSchema = z.object({ done: z.boolean(), leaseUntil: z.string(), caseId: z.string().nullable() });
/** The credential's latest case, with what it takes to finish making it. */
const PointerSchema = z.object({ caseId: z.string(), header: CaseHeaderSchema, opened: CaseEntrySchema });

/** A claim lasts longer than one take-in, and less than Lambda waits before retrying a failed one. */
const CLAIM_LEASE_SECONDS = 30;

function credentialKey(credentialId: string): string {
  return `credential/${credentialId}`;
}

export async function takeIn(intake: Intake, deps: IntakeDependencies): Promise<IntakeOutcome> {
  const { trigger } = intake;
  const claimKey = `event/${trigger.credentialId}/${digest(intake.eventKey)}`;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const now = deps.clock.now();
    const claim = await deps.cases.readDocument(claimKey);
    const held = claim ? ClaimSchema.parse(claim.value) : null;
    if (held?.done || (held && held.leaseUntil > toInstant(now))) {
      // Done, or being taken in by another delivery right now: nothing more to do here.
      return { status: 'duplicate', caseId: held.caseId };
    }
    const lease = {
      done: false,
      leaseUntil: toInstant(addMinutes(now, CLAIM_LEASE_SECONDS / 60)),
      caseId: null,
    };
    if (!(await deps.cases.writeDocument(claimKey, lease, claim?.version ?? null))) {
      await backOff(attempt);
      continue;
    }
    const outcome = await placeCall(intake, deps);
    await markClaimDone(deps.cases, claimKey, outcome.caseId);
    return outcome;
  }
  throw new CaseContentionError(`event ${intake.eventKey}: could not be claimed`);
}

async function markClaimDone(cases: CaseStore, claimKey: string, caseId: string): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const claim = await cases.readDocument(claimKey);
    if (!claim) return;
    const value = ClaimSchema.parse(claim.value);
    if (value.done) return;
    if (await cases.writeDocument(claimKey, { ...value, done: true, caseId }, claim.version)) return;
    await backOff(attempt);
  }
}

/** Open a case for the call, or join (and perhaps raise) the credential's open one. */
async function placeCall(intake: Intake, deps: IntakeDependencies): Promise<Placed> {
  const { trigger, eventKey, ranking } = intake;
  const ownCaseId = caseIdFor(trigger.credentialId, eventKey);
  const pointerKey = credentialKey(trigger.credentialId);
  const at = toInstant(deps.clock.now());
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const pointer = await deps.cases.readDocument(pointerKey);
    const latest = pointer ? PointerSchema.parse(pointer.value) : null;
    if (latest) {
      const record = await materialize(deps.cases, latest);
      if (latest.caseId === ownCaseId) return started(record, 'opened', deps);
      if (isOpen(record.header)) {
        const joined = await joinCase(record.header.caseId, intake, at, deps);
        if (joined) return joined;
        // It closed before the call could join: the call opens the next case.
      }
    }
    const header = openedHeader({
      caseId: ownCaseId,
      origin: intake.origin,
      trigger,
      ranking,
      openedAt: at,
      previousCaseId: latest?.caseId ?? null,
      executionInput: intake.executionInput(ownCaseId),
    });
    const opened: NewCaseEntry = {
      id: 'opened',
      at,
      step: 'opened',
      summary: `Opened by ${trigger.eventName} (${describeRanking(ranking)}) by ${principalArnOf(trigger.target)}${latest ? `; the credential's previous case ${latest.caseId} closed as ${(await deps.cases.get(latest.caseId))?.header.outcome ?? 'unknown'}` : ''}.`,
      detail: { ...callDetail(trigger, eventKey), ranking, previousCaseId: latest?.caseId ?? null },
    };
    const pointerValue = { caseId: ownCaseId, header, opened: { ...opened, seq: 0 } };
    if (await deps.cases.writeDocument(pointerKey, pointerValue, pointer?.version ?? null)) {
      return started(await materialize(deps.cases, PointerSchema.parse(pointerValue)), 'opened', deps);
    }
    await backOff(attempt);
  }
  throw new CaseContentionError(`credential ${trigger.credentialId}: too many cases opening at once`);
}

function callDetail(trigger: Trigger, eventKey: string) {
  return { eventKey, eventName: trigger.eventName, eventTime: trigger.eventTime, sourceIp: trigger.sourceIp };
}

/** The pointer's case, made if the writer that moved the pointer stopped before making it. */
async function materialize(cases: CaseStore, pointer: z.infer<typeof PointerSchema>): Promise<Case> {
  const made = await cases.get(pointer.caseId);
  if (made?.entries.some((entry) => entry.id === pointer.opened.id)) return made;
  await cases.create(pointer.header);
  const { seq: _seq, ...opened } = pointer.opened;
  await cases.append(pointer.caseId, opened);
  return requireCase(cases, pointer.caseId);
}

/**
 * Join the open case by compare-and-set on its header: raised when the call ranks higher,
 * else only its version moves (so a close in between is seen). Null when the case closed first.
 */
async function joinCase(
  caseId: string,
  intake: Intake,
  at: string,
  deps: IntakeDependencies,
): Promise<Placed | null> {
  const { record, changed } = await changeHeader(deps.cases, caseId, (current) => {
    if (!isOpen(current.header)) return null;
    const standing = raisedStanding(current.header.standing, intake.ranking, intake.trigger);
    return standing ? raiseHeader(current.header, standing) : { ...current.header };
  });
  if (!changed) return null;
  const detail = callDetail(intake.trigger, intake.eventKey);
  const entryId = `call:${digest(intake.eventKey)}`;
  // Whether this call raised the case follows from the header it changed, as it was — or, when
  // an earlier attempt of this delivery raised it and stopped before saying so, from the
  // standing naming this very call with no raise entry for it yet.
  const raisedNow = raisedStanding(record.header.standing, intake.ranking, intake.trigger);
  const raisedBefore =
    !raisedNow &&
    record.header.standing.trigger.eventId === intake.trigger.eventId &&
    record.header.standing.trigger.eventTime === intake.trigger.eventTime &&
    record.header.revision > 0 &&
    !record.entries.some((entry) => entry.id === entryId);
  if (raisedNow || raisedBefore) {
    const from = raisedNow ? rankingOf(record.header.standing) : standingBeforeUnrecordedRaise(record);
    const to = rankingOf(raisedNow ?? record.header.standing);
    const revision = raisedNow ? record.header.revision + 1 : record.header.revision;
    await recordEntry(deps.cases, caseId, {
      id: entryId,
      at,
      step: 'raise',
      summary: `Raised by ${intake.trigger.eventName} at ${intake.trigger.eventTime} (${describeRanking(intake.ranking)}): ${describeRanking(from)} → ${describeRanking(to)}.`,
      detail: { ...detail, from, to, revision },
    });
  } else {
    await recordEntry(deps.cases, caseId, {
      id: entryId,
      at,
      step: 'detection',
      summary: `Joined by ${intake.trigger.eventName} at ${intake.trigger.eventTime} (${describeRanking(intake.ranking)}).`,
      detail: { ...detail, ranking: intake.ranking },
    });
  }
  // Whoever raised it, an escalation still waiting on an older revision is stale: every join
  // checks, so a raise whose own delivery stopped before interrupting is still acted on.
  const current = await requireCase(deps.cases, caseId);
  await interruptStaleEscalation(current, deps);
  return started(current, raisedNow || raisedBefore ? 'raised' : 'joined', deps);
}

/** Where the case stood before a raise not yet on it: after its last recorded raise, else as it opened. */
function standingBeforeUnrecordedRaise(record: Case): Ranking {
  const raises = record.entries.filter((entry) => entry.step === 'raise');
  const last = raises.at(-1);
  if (last?.step === 'raise') return last.detail.to;
  const opened = record.entries.find((entry) => entry.step === 'opened');
  return opened?.step === 'opened' ? opened.detail.ranking : rankingOf(record.header.standing);
}

/**
 * A case waiting for a human was raised: fail the wait so the execution reconsiders it with
 * the new evidence (and pages again if it still needs a human).
 */
async function interruptStaleEscalation(record: Case, deps: IntakeDependencies) {
  if (!deps.callbacks) return;
  const caseId = record.header.caseId;
  const waiting = pendingEscalation(record);
  if (!waiting || waiting.detail.revision >= record.header.revision) return;
  try {
    await deps.callbacks.fail(
      waiting.detail.taskToken,
      RAISED_ERROR,
      `Case ${caseId} was raised while it waited for a decision; it is reconsidered with the new evidence.`,
    );
  } catch (error) {
    // Already answered or timed out: the execution moved on, and its close will see the raise.
    if (!(error instanceof TaskNotWaitingError)) throw error;
  }
}

/** Make sure the case's execution runs: started once, whoever gets here first. */
async function started(
  record: Case,
  status: 'opened' | 'joined' | 'raised',
  deps: Pick<IntakeDependencies, 'cases' | 'workflow'>,
): Promise<Placed> {
  const { header } = record;
  if (!header.execution.started && isOpen(header)) {
    await deps.workflow.start(header.execution.name, header.execution.input);
    await changeHeader(deps.cases, header.caseId, (current) =>
      current.header.execution.started
        ? null
        : { ...current.header, execution: { ...current.header.execution, started: true } },
    );
  }
  return {
    status,
    caseId: header.caseId,
    executionName: header.execution.name,
    previousCaseId: header.previousCaseId,
  };
}

/**
 * Start the execution of a case opened earlier without one (a just-in-time grant, when it
 * ends): `joined` when this call started it, `duplicate` when it already runs.
 */
export async function ensureStarted(
  record: Case,
  deps: Pick<IntakeDependencies, 'cases' | 'workflow'>,
): Promise<'joined' | 'duplicate'> {
  if (record.header.execution.started) return 'duplicate';
  await started(record, 'joined', deps);
  return 'joined';
}

/** The credential's open case, if it has one. */
export async function openCaseOf(cases: CaseStore, credentialId: string): Promise<Case | null> {
  const pointer = await cases.readDocument(credentialKey(credentialId));
  if (!pointer) return null;
  const record = await materialize(cases, PointerSchema.parse(pointer.value));
  return isOpen(record.header) ? record : null;
}

/**
 * Open a case that no call opened (a just-in-time grant): the credential must have no open case.
 * Returns false when it already has one (a retried grant).
 */
export async function openRequestedCase(
  cases: CaseStore,
  header: CaseHeader,
  opened: NewCaseEntry,
): Promise<boolean> {
  const pointerKey = credentialKey(header.credentialId);
  const pointer = await cases.readDocument(pointerKey);
  const latest = pointer ? PointerSchema.parse(pointer.value) : null;
  if (latest?.caseId === header.caseId) {
    await materialize(cases, latest);
    return false;
  }
  if (latest && isOpen((await materialize(cases, latest)).header))
    throw new CaseStateError(`${header.credentialId} already has an open case, ${latest.caseId}`);
  const value = { caseId: header.caseId, header, opened: { ...opened, seq: 0 } };
  if (!(await cases.writeDocument(pointerKey, value, pointer?.version ?? null)))
    throw new CaseStateError(`${header.credentialId}: another case opened at the same time`);
  await materialize(cases, PointerSchema.parse(value));
  return true;
}

// ---- Closing ---------------------------------------------------------------------------

/** `recorded`: this attempt wrote the close (a retry of the step finds it written). */
export type CloseResult = { status: 'closed' | 'raised'; record: Case; recorded: boolean };

/**
 * Record the outcome, once, if the case has not been raised since `revision` (the revision its
 * decision was made on). A raised case stays open: the execution reconsiders it.
 */
export async function closeCase(
  cases: CaseStore,
  caseId: string,
  revision: number,
  closing: { outcome: Outcome; reason: string; summary: string; at: string },
  /** Close whatever the revision: a step failed, and a human is paged with the case as it stands. */
  force = false,
): Promise<CloseResult> {
  let raised = false;
  const { record } = await changeHeader(cases, caseId, (current) => {
    if (!isOpen(current.header)) return null;
    if (current.header.revision !== revision && !force) {
      raised = true;
      return null;
    }
    return closeHeader(current.header, closing.outcome, closing.at);
  });
  if (raised) return { status: 'raised', record, recorded: false };
  // Closed now, or by an earlier attempt of this step that stopped before recording why.
  const closedAs = (await requireCase(cases, caseId)).header.outcome;
  if (closedAs !== closing.outcome)
    throw new CaseStateError(`case ${caseId} already closed as ${closedAs}, not ${closing.outcome}`);
  const recorded = await recordEntry(cases, caseId, {
    id: 'close',
    at: closing.at,
    step: 'close',
    summary: closing.summary,
    detail: { outcome: closing.outcome, reason: closing.reason },
  });
  return { status: 'closed', record: await requireCase(cases, caseId), recorded };
}

// ---- The blast-radius cap ----------------------------------------------------------------

const CAP_KEY = 'guard-rails/automatic-revocations';
const ReservationsSchema = z.object({
  reservations: z.array(z.object({ caseId: z.string(), at: z.string() })),
});

/**
 * Reserve one of the window's automatic revocations for the case, atomically, before any IAM
 * change. A case holds at most one reservation (a retried step finds its own). Refused when
 * the window's reservations reach the cap: the case then waits for a human.
 */
export async function reserveRevocation(
  cases: CaseStore,
  caseId: string,
  now: Date,
  rails: Config['guardRails'],
): Promise<{ granted: boolean; count: number }> {
  const since = toInstant(addMinutes(now, -rails.windowMinutes));
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const document = await cases.readDocument(CAP_KEY);
    const current = document ? ReservationsSchema.parse(document.value).reservations : [];
    const live = current.filter((reservation) => reservation.at >= since);
    if (live.some((reservation) => reservation.caseId === caseId))
      return { granted: true, count: live.length };
    if (live.length >= rails.maxRevocationsPerWindow) return { granted: false, count: live.length };
    const next = { reservations: [...live, { caseId, at: toInstant(now) }] };
    if (await cases.writeDocument(CAP_KEY, next, document?.version ?? null))
      return { granted: true, count: live.length + 1 };
    await backOff(attempt);
  }
  throw new CaseContentionError('the revocation cap is too contended to reserve');
}

/** Give the reservation back: the revocation did not happen (held for a human, or nothing changed). */
export async function releaseRevocation(cases: CaseStore, caseId: string): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const document = await cases.readDocument(CAP_KEY);
    if (!document) return;
    const current = ReservationsSchema.parse(document.value).reservations;
    if (!current.some((reservation) => reservation.caseId === caseId)) return;
    const next = { reservations: current.filter((reservation) => reservation.caseId !== caseId) };
    if (await cases.writeDocument(CAP_KEY, next, document.version)) return;
    await backOff(attempt);
  }
  throw new CaseContentionError('the revocation cap is too contended to release');
}

/** Automatic revocations reserved in the current window, for people's commands (`revoker plan`). */
export async function revocationsInWindow(
  cases: CaseStore,
  now: Date,
  rails: Config['guardRails'],
): Promise<number> {
  const document = await cases.readDocument(CAP_KEY);
  const since = toInstant(addMinutes(now, -rails.windowMinutes));
  return document
    ? ReservationsSchema.parse(document.value).reservations.filter((reservation) => reservation.at >= since)
        .length
    : 0;
}
