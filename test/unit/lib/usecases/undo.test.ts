import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envelopeFor } from '../../../../lib/domain/envelope.ts';
import { equivalentStates } from '../../../../lib/domain/iam-state.ts';
import { grantTrigger } from '../../../../lib/domain/jit.ts';
import { resolvePrincipal } from '../../../../lib/domain/principal.ts';
import { instanceCredentialsIamEscalation } from '../../../../lib/domain/rules.ts';
import { buildTrigger } from '../../../../lib/domain/trigger.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { localGrantGuardArn, withGrantGuard } from '../../../../lib/local/grant-guard.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { FileScheduler } from '../../../../lib/local/scheduler.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { UndoRefusedError } from '../../../../lib/usecases/apply-plan.ts';
import { closeCase } from '../../../../lib/usecases/cases.ts';
import { detect } from '../../../../lib/usecases/detect.ts';
import { expireGrant, grantAccess } from '../../../../lib/usecases/jit.ts';
import { revoke } from '../../../../lib/usecases/revoke.ts';
import { undoRevocation } from '../../../../lib/usecases/undo.ts';
import { openTestCase } from '../../../fixtures/cases.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { roleTarget, stolenInstanceCredentialsGrant } from '../../../fixtures/records.ts';
import { RecordingDeadLetters, RecordingWorkflow } from '../../../fixtures/workflow.ts';

const record = stolenInstanceCredentialsGrant();
const resolution = resolvePrincipal(record.userIdentity);
if (!resolution.ok) throw new Error(resolution.reason);
const trigger = buildTrigger(instanceCredentialsIamEscalation, record, resolution.principal);
const roleName = roleTarget(trigger).roleName;
/** Another stolen session of the same role: another credential, so another case. */
const otherResolution = resolvePrincipal({ ...record.userIdentity, accessKeyId: 'ASIAOTHERKEY00000000' });
if (!otherResolution.ok) throw new Error(otherResolution.reason);
const otherTrigger = buildTrigger(instanceCredentialsIamEscalation, record, otherResolution.principal);
/** The same credentials stopping the trail: a more severe rule, which raises their case. */
const stopLogging = stolenInstanceCredentialsGrant({
  eventSource: 'cloudtrail.amazonaws.com',
  eventName: 'StopLogging',
  eventID: 'stop-logging',
  requestParameters: { name: 'management-events' },
});

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
  await openTestCase(deps.cases, trigger, { caseId: 'case-1' });
  await revoke({ caseId: 'case-1', trigger, revision: 0 }, deps);
  return { iam, deps, original };
}

const REWRITE_DENY = `Write inline policy revoker-revocation on role ${roleName}`;

describe('undoRevocation', () => {
  it('restores exactly the state before the revocation, and records it on the case', async () => {
    const { iam, deps, original } = await revoked();
    expect(equivalentStates(await iam.load(), original)).toBe(false);

    const result = await undoRevocation('case-1', deps);

    expect(result).toEqual({ caseId: 'case-1', restored: ['r0-e0'], reversed: [REWRITE_DENY] });
    expect(equivalentStates(await iam.load(), original)).toBe(true);
    expect((await deps.cases.get('case-1'))!.entries.at(-1)).toMatchObject({
      step: 'undo',
      detail: { restored: ['r0-e0'], reversed: [REWRITE_DENY], failure: null },
    });
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
    await iam.perform(trigger.target.accountId, {
      action: 'put-role-policy',
      input: { roleName, policyName: 'hotfix', policyDocument: '{"Statement":[]}' },
    });
    const drifted = await iam.load();

    await expect(undoRevocation('case-1', deps)).rejects.toThrow(
      new UndoRefusedError(
        `IAM has changed since revocation r0-e0 (role ${roleName}: inlinePolicies changed); undo would not restore the recorded state, so nothing was changed`,
      ),
    );
    expect(equivalentStates(await iam.load(), drifted)).toBe(true);
  });

  it('undoes a case revoked twice (again after a raise, at a later cutoff), latest first, back to the original', async () => {
    const { iam, deps, original } = await revoked();
    const later = { ...deps, clock: new SimulatedClock(new Date('2026-01-15T12:05:00Z')) };
    const [raised] = await detect(envelopeFor(stopLogging, 'delivery-stop-logging'), {
      ...later,
      workflow: new RecordingWorkflow(),
      deadLetters: new RecordingDeadLetters(),
    });
    expect(raised).toMatchObject({ status: 'raised', caseId: 'case-1' });
    await revoke({ caseId: 'case-1', trigger, revision: 1 }, later);

    const result = await undoRevocation('case-1', deps);

    expect(result).toEqual({
      caseId: 'case-1',
      restored: ['r1-e0', 'r0-e0'],
      reversed: [REWRITE_DENY, REWRITE_DENY],
    });
    expect(equivalentStates(await iam.load(), original)).toBe(true);
  });

  it('refuses a second undo, and a case with nothing applied', async () => {
    const { deps } = await revoked();
    await undoRevocation('case-1', deps);

    await openTestCase(deps.cases, otherTrigger, { caseId: 'case-2' });

    await expect(undoRevocation('case-1', deps)).rejects.toThrow('already undone');
    await expect(undoRevocation('case-2', deps)).rejects.toThrow(
      'case case-2 has no applied revocation to undo',
    );
    await expect(undoRevocation('case-404', deps)).rejects.toThrow('there is no case case-404');
  });

  it('refuses a just-in-time grant’s case: its end undone would leave the policy on with nothing to end it', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'revoker-undo-grant-'));
    const account = '111122223333';
    const carol = `arn:aws:iam::${account}:user/carol`;
    const iam = new LocalIamAccount(join(directory, 'iam.json'));
    await iam.save(withGrantGuard({ accountId: account, users: { carol: { arn: carol } } }));
    const clock = new SimulatedClock(new Date('2026-01-15T10:00:00Z'));
    const deps = {
      iam,
      clock,
      config: await shippedConfig(),
      cases: new FileCaseStore(join(directory, 'cases')),
      scheduler: new FileScheduler(join(directory, 'schedules')),
      grantGuard: localGrantGuardArn,
      engine: { run: async () => ({ columns: [], rows: [], bytesScanned: 0, engineMillis: 1 }) },
      runbooks: loadRunbooks(),
      sleep: async () => {},
    };
    const grant = await grantAccess(
      {
        principalArn: carol,
        policyArn: 'arn:aws:iam::aws:policy/PowerUserAccess',
        seconds: 3600,
        requestedBy: 'carol (approved by oncall)',
        requester: 'person:carol',
        reason: 'incident',
        region: 'us-east-1',
      },
      deps,
    );
    clock.advance(3600);
    await expireGrant({ caseId: grant.grantId, trigger: grantTrigger(grant), grant }, deps);
    await closeCase(
      deps.cases,
      grant.grantId,
      0,
      { outcome: 'contained', reason: 'ended', summary: 'Ended.', at: '2026-01-15T11:00:00Z' },
      true,
    );
    const ended = await iam.load();
    expect(ended.users.carol!.attachedPolicies).toEqual([]);

    await expect(undoRevocation(grant.grantId, deps)).rejects.toThrow(
      new UndoRefusedError(
        `case ${grant.grantId} is a just-in-time grant's: undoing its end would give the policy back with nothing to take it away again, so nothing was changed; ask for a new grant instead (revoker jit request)`,
      ),
    );
    expect(equivalentStates(await iam.load(), ended)).toBe(true);
  });
});
