// The small documents grants keep beside their cases, each changed by compare-and-set: which
// grants hold a principal's grant guard (the last one to end detaches it), and which grants'
// ends have not started (the heartbeat ends one whose schedule was deleted or never fired).
import {
  type Grant,
  GuardHoldersSchema,
  OpenGrantsSchema,
  otherHolders,
  withHolder,
  withoutHolder,
} from '../domain/jit.ts';
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

const OPEN_GRANTS_KEY = 'open-grants';

/** A grant whose end is still to start, and when it is due. */
export async function noteOpenGrant(
  cases: CaseStore,
  grant: Pick<Grant, 'grantId' | 'expiresAt'>,
): Promise<void> {
  await changeDocument(cases, OPEN_GRANTS_KEY, OpenGrantsSchema.parse, (current) => {
    const grants = current?.grants ?? [];
    if (grants.some((entry) => entry.grantId === grant.grantId)) return null;
    return { grants: [...grants, { grantId: grant.grantId, expiresAt: grant.expiresAt }] };
  });
}

/** The grant's end has started (or it is gone): nothing is left for the heartbeat to do for it. */
export async function forgetOpenGrant(cases: CaseStore, grantId: string): Promise<void> {
  await changeDocument(cases, OPEN_GRANTS_KEY, OpenGrantsSchema.parse, (current) => {
    const grants = current?.grants ?? [];
    if (!grants.some((entry) => entry.grantId === grantId)) return null;
    return { grants: grants.filter((entry) => entry.grantId !== grantId) };
  });
}

/** The grants whose end has not started, with when each is due. */
export async function openGrants(cases: CaseStore) {
  const document = await cases.readDocument(OPEN_GRANTS_KEY);
  return document ? OpenGrantsSchema.parse(document.value) : null;
}
