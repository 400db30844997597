// Apply a revocation plan, and undo one: snapshot first, one change at a time, skip what IAM
// already shows, read each change back until IAM shows it (it is eventually consistent),
// and record enough to restore the prior state exactly — or to refuse when it has drifted.
import { equivalentStates, fingerprint, type IamAccountState, type IamScope } from '../domain/iam-state.ts';
import {
  applyAction,
  describeAction,
  isApplied,
  type RevocationAction,
  undoActions,
} from '../domain/revocation/actions.ts';
import type { AppliedPlan, AppliedStep } from '../domain/revocation/record.ts';
import type { IamGateway } from '../ports.ts';

export interface ApplyOptions {
  iam: IamGateway;
  /** How long to keep reading a change back before giving up; IAM usually converges in seconds. */
  readBackDeadlineMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Told of each step once IAM shows it (or showed it already), before the next change. */
  onStep?: (step: AppliedStep, index: number) => Promise<void>;
}

export type { AppliedPlan, AppliedStep };

export class ReadBackTimeoutError extends Error {
  override name = 'ReadBackTimeoutError';
}

export class UndoRefusedError extends Error {
  override name = 'UndoRefusedError';
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Apply the actions in order. `before` is the snapshot the plan was made from (and the undo
 * restores): an action it already showed is `already-applied` and its undo is nothing. IAM as
 * it is now (`current`, read fresh when not given) decides what still needs doing, so applying
 * again after an interruption makes only the changes still missing, and records the ones the
 * interrupted attempt made as its own. A plan costs one read per change plus one.
 */
export async function applyPlan(
  scope: IamScope,
  actions: RevocationAction[],
  options: ApplyOptions,
  before?: IamAccountState,
  current?: IamAccountState,
): Promise<AppliedPlan> {
  const start = before ?? (await options.iam.readState(scope));
  let now = current ?? (before ? await options.iam.readState(scope) : start);
  const steps: AppliedStep[] = [];
  // The state each action starts from, as the plan expects it, for its exact undo.
  let expected = start;
  for (const [index, action] of actions.entries()) {
    let step: AppliedStep;
    if (isApplied(expected, action)) {
      step = { action, description: describeAction(action), status: 'already-applied', undo: [] };
    } else {
      const undo = undoActions(expected, action);
      if (!isApplied(now, action)) {
        await options.iam.perform(scope.accountId, action);
        now = await readBack(scope, action, options);
      }
      step = { action, description: describeAction(action), status: 'applied', undo };
    }
    steps.push(step);
    await options.onStep?.(step, index);
    expected = applyAction(expected, action);
  }
  return { scope, before: start, steps, after: now };
}

/** A revocation as its intent recorded it: what it read first, and what it set out to change. */
export interface RecordedRevocation {
  revocationId: string;
  scope: IamScope;
  before: IamAccountState;
  actions: RevocationAction[];
  /** What IAM showed when it finished, if it did. */
  after: IamAccountState | null;
}

/** How far a recorded revocation got: the states it passes through, and which one IAM shows. */
interface Progress {
  revocation: RecordedRevocation;
  /** states[k]: after the first k actions (states[0] is the snapshot). */
  states: IamAccountState[];
  /** How many of its actions IAM shows applied. */
  reached: number;
}

/**
 * Where a revocation stands in IAM: the longest prefix of its actions whose state IAM shows,
 * or null when IAM matches none of them (it changed since: an undo would not restore the snapshot).
 */
function progressOf(revocation: RecordedRevocation, current: IamAccountState): Progress | null {
  const states = [revocation.before];
  for (const action of revocation.actions) states.push(applyAction(states.at(-1)!, action));
  if (revocation.after) states[states.length - 1] = revocation.after;
  for (let reached = states.length - 1; reached >= 0; reached--) {
    if (equivalentStates(current, states[reached]!)) return { revocation, states, reached };
  }
  return null;
}

export class UndoIncompleteError extends Error {
  override name = 'UndoIncompleteError';
  constructor(
    message: string,
    readonly restored: string[],
    readonly reversed: string[],
  ) {
    super(message);
  }
}

/**
 * Restore the snapshots of several revocations exactly, latest first. Every one is checked
 * against IAM before anything changes (a revocation interrupted halfway is undone from where
 * it stopped; one whose principal changed since refuses the whole undo, changing nothing).
 * A failure halfway reports exactly which revocations were restored and which changes reversed.
 */
export async function undoRevocations(
  revocations: RecordedRevocation[],
  options: ApplyOptions,
): Promise<{ restored: string[]; reversed: string[] }> {
  // Check all first. Revocations of the same principals follow each other: the later one's
  // snapshot is what the earlier one must find once the later one is undone.
  const plans: Progress[] = [];
  const expectedNow = new Map<string, IamAccountState>();
  for (const revocation of [...revocations].reverse()) {
    const key = fingerprint(revocation.scope);
    const current = expectedNow.get(key) ?? (await options.iam.readState(revocation.scope));
    const progress = progressOf(revocation, current);
    if (!progress) {
      const recorded = revocation.after ?? revocation.before;
      throw new UndoRefusedError(
        `IAM has changed since revocation ${revocation.revocationId} (${differences(recorded, current).join('; ')}); undo would not restore the recorded state, so nothing was changed`,
      );
    }
    plans.push(progress);
    expectedNow.set(key, revocation.before);
  }
  const restored: string[] = [];
  const reversed: string[] = [];
  for (const { revocation, states, reached } of plans) {
    try {
      let state = states[reached]!;
      for (let index = reached - 1; index >= 0; index--) {
        const action = revocation.actions[index]!;
        const from = states[index]!;
        if (isApplied(from, action)) continue;
        for (const undo of undoActions(from, action)) {
          if (isApplied(state, undo)) continue;
          await options.iam.perform(revocation.scope.accountId, undo);
          state = await readBack(revocation.scope, undo, options);
          reversed.push(describeAction(undo));
        }
      }
      if (!equivalentStates(state, revocation.before)) {
        throw new UndoRefusedError(
          `undo finished but IAM differs from the recorded state (${differences(revocation.before, state).join('; ')})`,
        );
      }
      restored.push(revocation.revocationId);
    } catch (error) {
      throw new UndoIncompleteError(
        `undo stopped at revocation ${revocation.revocationId}: ${(error as Error).message}. Restored: ${restored.join(', ') || 'none'}; reversed: ${reversed.join('; ') || 'nothing'}; the rest is still in place`,
        restored,
        reversed,
      );
    }
  }
  return { restored, reversed };
}

/** Read until IAM shows the change; the state it shows is returned for the next step. */
async function readBack(
  scope: IamScope,
  action: RevocationAction,
  options: ApplyOptions,
): Promise<IamAccountState> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const deadline = now() + (options.readBackDeadlineMs ?? 30_000);
  for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
    const state = await options.iam.readState(scope);
    if (isApplied(state, action)) return state;
    if (now() + delay > deadline) {
      throw new ReadBackTimeoutError(`IAM did not show "${describeAction(action)}" before the deadline`);
    }
    await sleep(delay);
  }
}

/** Where two states differ, by principal and field, for a refusal a human can act on. */
export function differences(expected: IamAccountState, actual: IamAccountState): string[] {
  const found: string[] = [];
  const principals = [
    ['role', expected.roles, actual.roles],
    ['user', expected.users, actual.users],
  ] as const;
  for (const [kind, expectedMap, actualMap] of principals) {
    for (const name of new Set([...Object.keys(expectedMap), ...Object.keys(actualMap)])) {
      const was = (expectedMap as Record<string, Record<string, unknown>>)[name];
      const is = (actualMap as Record<string, Record<string, unknown>>)[name];
      if (!was || !is) {
        found.push(`${kind} ${name} ${was ? 'no longer exists' : 'appeared'}`);
        continue;
      }
      for (const field of new Set([...Object.keys(was), ...Object.keys(is)])) {
        if (fingerprint(was[field]) !== fingerprint(is[field]))
          found.push(`${kind} ${name}: ${field} changed`);
      }
    }
  }
  if (fingerprint(expected.managedPolicies) !== fingerprint(actual.managedPolicies))
    found.push('managed policies changed');
  if (fingerprint(expected.identityCenter) !== fingerprint(actual.identityCenter))
    found.push('Identity Center changed');
  return found.length > 0 ? found : ['the states differ'];
}
