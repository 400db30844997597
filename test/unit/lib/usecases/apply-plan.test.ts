import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RevocationAction } from '../../../../lib/domain/revocation/actions.ts';
import { planRevocation, type RevocationTarget, scopeFor } from '../../../../lib/domain/revocation/plan.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { applyPlan } from '../../../../lib/usecases/apply-plan.ts';
import { shippedConfig } from '../../../fixtures/config.ts';

const ACCOUNT = '111122223333';

/** The local account, counting the changes it is asked to make. */
class CountingIam extends LocalIamAccount {
  performed: RevocationAction[] = [];
  override async perform(action: RevocationAction): Promise<void> {
    this.performed.push(action);
    await super.perform(action);
  }
}

describe('applyPlan', () => {
  it('makes each change once: applying the same plan again performs nothing', async () => {
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

    const first = await applyPlan(scopeFor(target), actions, { iam, sleep: async () => {} });
    const second = await applyPlan(scopeFor(target), actions, { iam, sleep: async () => {} });

    expect(first.steps.map((step) => step.status)).toEqual(['applied', 'applied', 'applied']);
    expect(second.steps.map((step) => step.status)).toEqual([
      'already-applied',
      'already-applied',
      'already-applied',
    ]);
    expect(iam.performed).toHaveLength(3);
    expect(second.steps.every((step) => step.undo.length === 0)).toBe(true);
  });
});
