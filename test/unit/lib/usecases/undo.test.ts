import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { equivalentStates } from '../../../../lib/domain/iam-state.ts';
import { resolvePrincipal } from '../../../../lib/domain/principal.ts';
import { instanceCredentialsIamEscalation } from '../../../../lib/domain/rules.ts';
import { buildTrigger } from '../../../../lib/domain/trigger.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { UndoRefusedError } from '../../../../lib/usecases/apply-plan.ts';
import { revoke } from '../../../../lib/usecases/revoke.ts';
import { undoRevocation } from '../../../../lib/usecases/undo.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { roleTarget, stolenInstanceCredentialsGrant } from '../../../fixtures/records.ts';

const record = stolenInstanceCredentialsGrant();
const resolution = resolvePrincipal(record.userIdentity);
if (!resolution.ok) throw new Error(resolution.reason);
const trigger = buildTrigger(instanceCredentialsIamEscalation, record, resolution.principal);
const roleName = roleTarget(trigger).roleName;

async function revoked() {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-undo-'));
  const iam = new LocalIamAccount(join(directory, 'iam.json'));
  await iam.save({
    accountId: trigger.target.accountId,
    roles: {
      [roleName]: {
        arn: roleTarget(trigger).roleArn,
        path: '/',
        // An older case's deny is already there: undo must put it back, not delete it.
        inlinePolicies: {
          'revoker-revocation':
            '{"Version":"2012-10-17","Statement":[{"Sid":"RevokerDenySessionsIssuedBeforeCutoff","Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2026-01-01T00:00:00Z"}}}]}',
          app: '{"Version":"2012-10-17","Statement":[]}',
        },
      },
    },
  });
  const original = await iam.load();
  const deps = {
    iam,
    config: await shippedConfig(),
    clock: new SimulatedClock(new Date('2026-01-15T12:00:00Z')),
    cases: new FileCaseStore(join(directory, 'cases')),
    sleep: async () => {},
  };
  await revoke({ caseId: 'case-1', trigger }, deps);
  return { iam, deps, original };
}

describe('undoRevocation', () => {
  it('restores exactly the state before the revocation, and records it on the case', async () => {
    const { iam, deps, original } = await revoked();
    expect(equivalentStates(await iam.load(), original)).toBe(false);

    const result = await undoRevocation('case-1', deps);

    expect(result).toEqual({ caseId: 'case-1', restoredSteps: 1 });
    expect(equivalentStates(await iam.load(), original)).toBe(true);
    expect((await deps.cases.get('case-1'))!.audit.at(-1)).toMatchObject({ step: 'undo' });
  });

  it('is not blocked by changes elsewhere in the account, which it leaves as they are', async () => {
    const { iam, deps } = await revoked();
    // Another case revokes someone else after this one.
    await iam.save({
      ...(await iam.load()),
      users: { bob: { arn: `arn:aws:iam::${trigger.target.accountId}:user/bob`, accessKeys: [] } },
    });

    await undoRevocation('case-1', deps);

    const state = await iam.load();
    expect(Object.keys(state.roles[roleName]!.inlinePolicies).sort()).toEqual(['app', 'revoker-revocation']);
    expect(Object.keys(state.users)).toEqual(['bob']);
  });

  it('refuses, changing nothing, when IAM has drifted since the revocation', async () => {
    const { iam, deps } = await revoked();
    await iam.perform({
      action: 'put-role-policy',
      input: { roleName, policyName: 'hotfix', policyDocument: '{"Statement":[]}' },
    });
    const drifted = await iam.load();

    await expect(undoRevocation('case-1', deps)).rejects.toThrow(
      new UndoRefusedError(
        `IAM has changed since the revocation (role ${roleName}: inlinePolicies changed); undo would not restore the recorded state, so nothing was changed`,
      ),
    );
    expect(equivalentStates(await iam.load(), drifted)).toBe(true);
  });

  it('undoes a revoke step that ran twice (a retry at a later cutoff) back to the original', async () => {
    const { iam, deps, original } = await revoked();
    await revoke(
      { caseId: 'case-1', trigger },
      { ...deps, clock: new SimulatedClock(new Date('2026-01-15T12:05:00Z')) },
    );

    await undoRevocation('case-1', deps);

    expect(equivalentStates(await iam.load(), original)).toBe(true);
  });

  it('refuses a second undo, and a case with nothing applied', async () => {
    const { deps } = await revoked();
    await undoRevocation('case-1', deps);

    await expect(undoRevocation('case-1', deps)).rejects.toThrow('already undone');
    await expect(undoRevocation('case-404', deps)).rejects.toThrow('there is no case case-404');
  });
});
