// Apply a revocation plan, and undo one: snapshot first, one change at a time, skip what IAM
// already shows, read each change back until IAM shows it (it is eventually consistent),
// and record enough to restore the prior state exactly — or to refuse when it has drifted.
import { equivalentStates, fingerprint, type IamAccountState, type IamScope } from '../domain/iam-state.ts';
import {
  applyAction,
  describeAction,
  isApplied,
  parseAction,
  type RevocationAction,
  undoActions,
} from '../domain/revocation/actions.ts';
import type { IamGateway } from '../ports.ts';

export interface ApplyOptions {
  iam: IamGateway;
  /** How long to keep reading a change back before giving up; IAM usually converges in seconds. */
  readBackDeadlineMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface AppliedStep {
  action: RevocationAction;
  description: string;
  status: 'applied' | 'already-applied';
  /** The actions that restore what this one changed, from the state just before it. */
  undo: RevocationAction[];
}

/** What an application changed: enough to undo it exactly, or to see that it drifted. */
export interface AppliedPlan {
  scope: IamScope;
  before: IamAccountState;
  steps: AppliedStep[];
  after: IamAccountState;
}

export class ReadBackTimeoutError extends Error {
  override name = 'ReadBackTimeoutError';
}

export class UndoRefusedError extends Error {
  override name = 'UndoRefusedError';
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Apply the actions in order. `before` is the state the plan was made from, when the caller
 * has just read it; every later read is a read-back that also tells whether the next action
 * is already in place, so a plan costs one read per change plus one.
 */
export async function applyPlan(
  scope: IamScope,
  actions: RevocationAction[],
  options: ApplyOptions,
  before?: IamAccountState,
): Promise<AppliedPlan> {
  const start = before ?? (await options.iam.readState(scope));
  const steps: AppliedStep[] = [];
  let current = start;
  // The state each action starts from, as the plan expects it, for its exact undo.
  let expected = start;
  for (const action of actions) {
    if (isApplied(current, action)) {
      steps.push({ action, description: describeAction(action), status: 'already-applied', undo: [] });
    } else {
      const undo = undoActions(expected, action);
      await options.iam.perform(action);
      current = await readBack(scope, action, options);
      steps.push({ action, description: describeAction(action), status: 'applied', undo });
    }
    expected = applyAction(expected, action);
  }
  return { scope, before: start, steps, after: current };
}

/**
 * Restore the state before `applied`, exactly. Refuses, and changes nothing, when IAM no
 * longer shows what the application left (someone or something changed it since).
 */
export async function undoPlan(applied: AppliedPlan, options: ApplyOptions): Promise<IamAccountState> {
  const current = await options.iam.readState(applied.scope);
  if (!equivalentStates(current, applied.after)) {
    throw new UndoRefusedError(
      `IAM has changed since the revocation (${differences(applied.after, current).join('; ')}); undo would not restore the recorded state, so nothing was changed`,
    );
  }
  let state = current;
  for (const step of [...applied.steps].reverse()) {
    for (const undo of step.undo.map(parseAction)) {
      if (isApplied(state, undo)) continue;
      await options.iam.perform(undo);
      state = await readBack(applied.scope, undo, options);
    }
  }
  if (!equivalentStates(state, applied.before)) {
    throw new UndoRefusedError(
      `undo finished but IAM differs from the recorded state (${differences(applied.before, state).join('; ')})`,
    );
  }
  return state;
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
