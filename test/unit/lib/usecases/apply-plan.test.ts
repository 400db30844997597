import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { equivalentStates } from '../../../../lib/domain/iam-state.ts';
import { describeAction, type RevocationAction } from '../../../../lib/domain/revocation/actions.ts';
import { planRevocation, type RevocationTarget, scopeFor } from '../../../../lib/domain/revocation/plan.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { applyPlan, undoRevocations } from '../../../../lib/usecases/apply-plan.ts';
import { shippedConfig } from '../../../fixtures/config.ts';

const ACCOUNT = '111122223333';

/** The local account, counting the changes it is asked to make. */
class CountingIam extends LocalIamAccount {
  performed: RevocationAction[] = [];
  override async perform(accountId: string, action: RevocationAction): Promise<void> {
    this.performed.push(action);
    await super.perform(accountId, action);
  }
}

/** Alice with two active keys, and the plan that revokes her: three changes. */
async function aliceAndHerPlan() {
  const iam = new CountingIam(join(mkdtempSync(join(tmpdir(), 'revoker-apply-')), 'iam.json'));
  await iam.save({
    accountId: ACCOUNT,
    users: {
      alice: {
        arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
        accessKeys: [
          { accessKeyId: 'AKIAEXAMPLEALICE0001', status: 'Active' },
          { accessKeyId: 'AKIAEXAMPLEALICE0002', status: 'Active' },
        ],
      },
    },
  });
  const target: RevocationTarget = {
    kind: 'iam-user',
    accountId: ACCOUNT,
    userName: 'alice',
    arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  };
  const plan = planRevocation(target, {
    config: await shippedConfig(),
    state: await iam.load(),
    cutoff: '2026-01-15T12:00:00Z',
    recentRevocations: 0,
  });
  const actions = plan.actions.map((planned) => planned.action);
  return { iam, scope: scopeFor(target), actions, before: await iam.load() };
}

describe('applyPlan', () => {
  it('makes each change once: applying the same plan again performs nothing', async () => {
    const { iam, scope, actions } = await aliceAndHerPlan();

    const first = await applyPlan(scope, actions, { iam, sleep: async () => {} });
    const second = await applyPlan(scope, actions, { iam, sleep: async () => {} });

    expect(first.steps.map((step) => step.status)).toEqual(['applied', 'applied', 'applied']);
    expect(second.steps.map((step) => step.status)).toEqual([
      'already-applied',
      'already-applied',
      'already-applied',
    ]);
    expect(iam.performed).toHaveLength(3);
    expect(second.steps.every((step) => step.undo.length === 0)).toBe(true);
  });

  it('tells of each step once IAM shows it, before making the next change', async () => {
    const { iam, scope, actions } = await aliceAndHerPlan();
    const told: string[] = [];

    await applyPlan(scope, actions, {
      iam,
      sleep: async () => {},
      onStep: async (step, index) => {
        told.push(`step ${index} after ${iam.performed.length} change(s): ${step.status}`);
      },
    });

    expect(told).toEqual([
      'step 0 after 1 change(s): applied',
      'step 1 after 2 change(s): applied',
      'step 2 after 3 change(s): applied',
    ]);
  });

  it('resumed from the snapshot it was planned on, takes the changes an interrupted attempt made as its own', async () => {
    const { iam, scope, actions, before } = await aliceAndHerPlan();
    // The first attempt made one change and stopped.
    await iam.perform(ACCOUNT, actions[0]!);

    const resumed = await applyPlan(scope, actions, { iam, sleep: async () => {} }, before);

    expect(iam.performed).toHaveLength(3);
    expect(resumed.before).toEqual(before);
    expect(resumed.steps.map((step) => step.status)).toEqual(['applied', 'applied', 'applied']);
    expect(resumed.steps.every((step) => step.undo.length > 0)).toBe(true);
  });
});

describe('undoRevocations', () => {
  it('undoes an interrupted revocation from where it stopped, back to its snapshot', async () => {
    const { iam, scope, actions, before } = await aliceAndHerPlan();
    // Interrupted after its first change: no result was recorded.
    await iam.perform(ACCOUNT, actions[0]!);
    const performed = iam.performed.length;

    const undone = await undoRevocations([{ revocationId: 'r0-e0', scope, before, actions, after: null }], {
      iam,
      sleep: async () => {},
    });

    expect(undone.restored).toEqual(['r0-e0']);
    expect(undone.reversed).toHaveLength(1);
    expect(undone.reversed[0]).toBe(describeAction(iam.performed.at(-1)!));
    expect(iam.performed).toHaveLength(performed + 1);
    expect(equivalentStates(await iam.load(), before)).toBe(true);
  });
});
