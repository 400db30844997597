import { describe, expect, it } from 'vitest';
import { equivalentStates } from '../../../../../lib/domain/iam-state.ts';
import {
  ACTIONS,
  type ActionName,
  ActionTargetMissingError,
  applyAction,
  isApplied,
  parseAction,
  type RevocationAction,
  undoActions,
} from '../../../../../lib/domain/revocation/actions.ts';
import { ACTION_EXAMPLES } from '../../../../fixtures/revocation-actions.ts';

const entries = Object.entries(ACTIONS) as [ActionName, (typeof ACTIONS)[ActionName]][];
const exampleOf = (name: ActionName) => ACTION_EXAMPLES[name];

describe('the revocation action catalog', () => {
  it.each(entries)(
    '%s is complete: title, permissions, a valid example that describes itself',
    (name, spec) => {
      expect(spec.title.length).toBeGreaterThan(10);
      expect(spec.permissions.length).toBeGreaterThan(0);
      for (const permission of spec.permissions) expect(permission).toMatch(/^(iam|sso):[A-Z][A-Za-z]+$/);
      const action = parseAction({ action: name, input: exampleOf(name).input });
      expect(spec.describe(action.input as never)).not.toBe('');
    },
  );

  it.each(entries)('%s changes the example state, and applying it again changes nothing', (name) => {
    const action = { action: name, input: exampleOf(name).input } as RevocationAction;
    const before = exampleOf(name).state;

    const after = applyAction(before, action);

    expect(isApplied(after, action)).toBe(true);
    expect(equivalentStates(applyAction(after, action), after)).toBe(true);
    // Every example is a real change: an entry whose example is already applied proves nothing.
    expect(isApplied(before, action)).toBe(false);
  });

  it.each(entries)('%s is undone exactly from the state before it', (name) => {
    const action = { action: name, input: exampleOf(name).input } as RevocationAction;
    const before = exampleOf(name).state;
    let state = applyAction(before, action);

    for (const undo of undoActions(before, action)) state = applyAction(state, parseAction(undo));

    expect(equivalentStates(state, before)).toBe(true);
  });

  it('names the missing principal, as IAM answers NoSuchEntity', () => {
    const example = ACTION_EXAMPLES['update-access-key'];

    expect(() =>
      applyAction(example.state, {
        action: 'update-access-key',
        input: { ...example.input, userName: 'mallory' },
      }),
    ).toThrow(new ActionTargetMissingError('user mallory does not exist'));
  });

  it('refuses an action that is not in the catalog, or an input of the wrong shape', () => {
    expect(() => parseAction({ action: 'delete-user', input: { userName: 'alice' } })).toThrow();
    expect(() =>
      parseAction({
        action: 'update-access-key',
        input: { userName: 'alice', accessKeyId: 'x', status: 'Active' },
      }),
    ).toThrow();
  });
});
