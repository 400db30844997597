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

export async function applyPlan(
  scope: IamScope,
  actions: RevocationAction[],
  options: ApplyOptions,
): Promise<AppliedPlan> {
  const before = await options.iam.readState(scope);
  const steps: AppliedStep[] = [];
  // The state each action starts from, as the plan expects it, for its exact undo.
  let expected = before;
  for (const action of actions) {
    const current = await options.iam.readState(scope);
    const undo = undoActions(expected, action);
    if (isApplied(current, action)) {
      steps.push({ action, description: describeAction(action), status: 'already-applied', undo: [] });
    } else {
      await options.iam.perform(action);
      await readBack(scope, action, options);
      steps.push({ action, description: describeAction(action), status: 'applied', undo });
    }
    expected = applyAction(expected, action);
  }
  return { scope, before, steps, after: await options.iam.readState(scope) };
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
  for (const step of [...applied.steps].reverse()) {
    for (const undo of step.undo.map(parseAction)) {
      const now = await options.iam.readState(applied.scope);
      if (isApplied(now, undo)) continue;
      await options.iam.perform(undo);
      await readBack(applied.scope, undo, options);
    }
  }
  const restored = await options.iam.readState(applied.scope);
  if (!equivalentStates(restored, applied.before)) {
    throw new UndoRefusedError(
      `undo finished but IAM differs from the recorded state (${differences(applied.before, restored).join('; ')})`,
    );
  }
  return restored;
}

async function readBack(scope: IamScope, action: RevocationAction, options: ApplyOptions): Promise<void> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const deadline = now() + (options.readBackDeadlineMs ?? 30_000);
  for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
    if (isApplied(await options.iam.readState(scope), action)) return;
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
