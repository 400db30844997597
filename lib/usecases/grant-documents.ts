// The small documents grants keep beside their cases, each changed by compare-and-set: which
// grants hold a principal's grant guard (the last one to end detaches it), which grants of a
// principal are not yet ended (its index), and which grants' ends have not started (the
// heartbeat ends one whose schedule was deleted or never fired). Each is bounded: the index by
// caps per principal (by who asked), the open grants by one document per day they end on, with a cap each.
import {
  endDayOf,
  type Grant,
  type GrantIndex,
  GrantIndexSchema,
  GuardHoldersSchema,
  grantCapRefusal,
  MAX_GRANTS_ENDING_PER_DAY,
  type OpenGrants,
  OpenGrantsFromSchema,
  OpenGrantsSchema,
  otherHolders,
  withHolder,
  withoutHolder,
} from '../domain/jit.ts';
import { toInstant } from '../domain/time.ts';
import type { CaseStore } from '../ports.ts';
import { changeDocument } from './cases.ts';

type Guarded = Pick<Grant, 'grantId' | 'principalArn'> & { guardPolicyArn: string };

function holdersKey(principalArn: string): string {
  return `grant-guard/${principalArn}`;
}

/** `grant` holds its principal's guard from now until its end releases it (once, however often called). */
export async function holdGuard(cases: CaseStore, grant: Guarded): Promise<void> {
  await changeDocument(cases, holdersKey(grant.principalArn), GuardHoldersSchema.parse, (current) =>
    withHolder(current, grant),
  );
}

/** `grant` no longer needs the guard: the other grants still holding the same guard are returned. */
export async function releaseGuard(cases: CaseStore, grant: Guarded): Promise<string[]> {
  const after = await changeDocument(
    cases,
    holdersKey(grant.principalArn),
    GuardHoldersSchema.parse,
    (current) => withoutHolder(current, grant.grantId),
  );
  return otherHolders(after, grant);
}

/** The grants other than `grant` holding its guard now. */
export async function guardHeldBy(cases: CaseStore, grant: Guarded): Promise<string[]> {
  const document = await cases.readDocument(holdersKey(grant.principalArn));
  return otherHolders(document ? GuardHoldersSchema.parse(document.value) : null, grant);
}

// ---- A principal's grants ---------------------------------------------------------------

function indexKey(principalArn: string): string {
  return `grants/${principalArn}`;
}

/** The principal's grants not yet ended, and the holds carried over to them. */
export async function readGrantIndex(cases: CaseStore, principalArn: string): Promise<GrantIndex> {
  const document = await cases.readDocument(indexKey(principalArn));
  return document ? GrantIndexSchema.parse(document.value) : { grantIds: [], heldSince: {}, requesters: {} };
}

function without(index: GrantIndex, drop: (grantId: string) => boolean): GrantIndex {
  const kept = (record: Record<string, string>) =>
    Object.fromEntries(Object.entries(record).filter(([id]) => !drop(id)));
  return {
    grantIds: index.grantIds.filter((id) => !drop(id)),
    heldSince: kept(index.heldSince),
    requesters: kept(index.requesters),
  };
}

/**
 * Add the grant to its principal's index, once, as asked for by `requester` (a person, or null
 * when unknown); grants in `ended` (their cases closed) go. Refused (the reason, and nothing
 * written) when the principal holds as many open grants as that requester may add: see
 * MAX_OWN_OPEN_GRANTS. The caps are checked in the same compare-and-set as the write, so grants
 * asked for at once never pass them together.
 */
export async function indexGrant(
  cases: CaseStore,
  grant: Pick<Grant, 'grantId' | 'principalArn'>,
  requester: string | null,
  ended: ReadonlySet<string>,
): Promise<{ status: 'indexed' } | { status: 'full'; reason: string }> {
  let refusal: string | null = null;
  await changeDocument(cases, indexKey(grant.principalArn), GrantIndexSchema.parse, (current) => {
    refusal = null;
    const index = without(current ?? { grantIds: [], heldSince: {}, requesters: {} }, (id) => ended.has(id));
    if (index.grantIds.includes(grant.grantId))
      return index.grantIds.length === current?.grantIds.length ? null : index;
    refusal = grantCapRefusal(index, grant.principalArn, requester);
    if (refusal !== null) return null;
    return {
      ...index,
      grantIds: [...index.grantIds, grant.grantId],
      requesters: requester === null ? index.requesters : { ...index.requesters, [grant.grantId]: requester },
    };
  });
  return refusal === null ? { status: 'indexed' } : { status: 'full', reason: refusal };
}

/**
 * The grant's end is done: it leaves its principal's index. Each of `keptBy` (the live grants
 * that kept its policy on) carries on the hold it was part of, from `since`: their ends look
 * back that far for the sessions opened under the policy.
 */
export async function unindexGrant(
  cases: CaseStore,
  grant: Pick<Grant, 'grantId' | 'principalArn'>,
  keptBy: readonly string[],
  since: string,
): Promise<void> {
  await changeDocument(cases, indexKey(grant.principalArn), GrantIndexSchema.parse, (current) => {
    if (!current) return null;
    const index = without(current, (id) => id === grant.grantId);
    for (const id of keptBy) {
      if (!index.grantIds.includes(id)) continue;
      const carried = index.heldSince[id];
      if (!carried || since < carried) index.heldSince[id] = since;
    }
    const unchanged =
      index.grantIds.length === current.grantIds.length &&
      JSON.stringify(index.heldSince) === JSON.stringify(current.heldSince);
    return unchanged ? null : index;
  });
}

// ---- Grants whose end has not started --------------------------------------------------

/** Where grants recorded before the documents were split by day are listed (read, never added to). */
const EVERY_OPEN_GRANT_KEY = 'open-grants';
const FROM_KEY = 'open-grants/from';

function dayKey(day: string): string {
  return `open-grants/${day}`;
}

/**
 * A grant whose end is still to start, listed under the day it ends (once, however often
 * called), with when it was last listed (`now`: a sweep leaves an entry whose case is not made
 * yet alone for OPEN_GRANT_LEASE_MS from then; a retry listing it again renews that). `full`
 * (and nothing written) when MAX_GRANTS_ENDING_PER_DAY already end that day. The entry is written before the heartbeat's starting day is moved back
 * to its day: whichever way a sweep and this interleave, the sweep either reads the entry or
 * fails to move past it.
 */
export async function noteOpenGrant(
  cases: CaseStore,
  grant: Pick<Grant, 'grantId' | 'expiresAt'>,
  now: Date,
): Promise<'noted' | 'full'> {
  const day = endDayOf(grant);
  let full = false;
  await changeDocument(cases, dayKey(day), OpenGrantsSchema.parse, (current) => {
    const grants = current?.grants ?? [];
    full = false;
    const listed = grants.find((entry) => entry.grantId === grant.grantId);
    if (listed)
      return listed.listedAt !== undefined && listed.listedAt >= toInstant(now)
        ? null
        : {
            grants: grants.map((entry) =>
              entry === listed ? { ...entry, listedAt: toInstant(now) } : entry,
            ),
          };
    if (grants.length >= MAX_GRANTS_ENDING_PER_DAY) {
      full = true;
      return null;
    }
    return {
      grants: [...grants, { grantId: grant.grantId, expiresAt: grant.expiresAt, listedAt: toInstant(now) }],
    };
  });
  if (full) return 'full';
  // Always written (a new version even when the day is not earlier): a sweep that read the
  // starting day before this then fails to move it, and reads this day again next time.
  await changeDocument(cases, FROM_KEY, OpenGrantsFromSchema.parse, (current) => ({
    day: current && current.day < day ? current.day : day,
  }));
  return 'noted';
}

function removing(grantId: string) {
  return (current: OpenGrants | null): OpenGrants | null => {
    const grants = current?.grants ?? [];
    if (!grants.some((entry) => entry.grantId === grantId)) return null;
    return { grants: grants.filter((entry) => entry.grantId !== grantId) };
  };
}

/** The grant's end has started (or it is gone): nothing is left for the heartbeat to do for it. */
export async function forgetOpenGrant(
  cases: CaseStore,
  grant: Pick<Grant, 'grantId' | 'expiresAt'>,
): Promise<void> {
  await changeDocument(cases, dayKey(endDayOf(grant)), OpenGrantsSchema.parse, removing(grant.grantId));
  await changeDocument(cases, EVERY_OPEN_GRANT_KEY, OpenGrantsSchema.parse, removing(grant.grantId));
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/**
 * The grants whose end has not started and is due by the end of `now`'s day: from the
 * heartbeat's starting day to today, and those listed before the documents were split by day.
 */
export async function openGrants(cases: CaseStore, now: Date): Promise<OpenGrants> {
  return (await readOpenGrants(cases, now)).open;
}

async function readOpenGrants(cases: CaseStore, now: Date) {
  const today = now.toISOString().slice(0, 10);
  const from = await cases.readDocument(FROM_KEY);
  const start = from ? OpenGrantsFromSchema.parse(from.value).day : today;
  const grants: OpenGrants['grants'] = [];
  // Each day from the start (a past day lists only grants whose end has not started).
  const days: string[] = [];
  for (let day = start; day <= today; day = nextDay(day)) {
    const document = await cases.readDocument(dayKey(day));
    if (document) grants.push(...OpenGrantsSchema.parse(document.value).grants);
    days.push(day);
  }
  const every = await cases.readDocument(EVERY_OPEN_GRANT_KEY);
  if (every) grants.push(...OpenGrantsSchema.parse(every.value).grants);
  return { open: { grants }, from, days, today };
}

/**
 * The open grants, with a way to move the heartbeat's starting day past the days left with no
 * grant (after their ends were started): by compare-and-set on the starting day as read, so a
 * grant listed under one of them meanwhile keeps it (see noteOpenGrant).
 */
export async function openGrantsForSweep(cases: CaseStore, now: Date) {
  const read = await readOpenGrants(cases, now);
  return {
    open: read.open,
    async moveOn(forgotten: ReadonlySet<string>): Promise<void> {
      // No starting day yet: nothing was ever listed by day, nothing to move.
      if (!read.from) return;
      let start = OpenGrantsFromSchema.parse(read.from.value).day;
      for (const day of read.days) {
        if (day >= read.today) break;
        const left = read.open.grants.filter(
          (entry) => endDayOf(entry) === day && !forgotten.has(entry.grantId),
        );
        if (left.length > 0) break;
        start = nextDay(day);
      }
      if (OpenGrantsFromSchema.parse(read.from.value).day === start) return;
      await cases.writeDocument(FROM_KEY, { day: start }, read.from.version);
    },
  };
}
