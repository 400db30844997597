// Revocations that stop halfway: a fault injected after each IAM change of a six-change plan,
// in turn (the change made, then the function dies before it can say so). Whatever the
// position, the case recorded the intent before the first change; undo restores the snapshot
// exactly; a retry or `reconcile` finishes the plan without repeating a change.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entriesOf, raiseHeader } from '../../../../lib/domain/case.ts';
import { type IamAccountStateInput, within } from '../../../../lib/domain/iam-state.ts';
import { grantTrigger } from '../../../../lib/domain/jit.ts';
import type { RevocationAction } from '../../../../lib/domain/revocation/actions.ts';
import { type Trigger, TriggerSchema } from '../../../../lib/domain/trigger.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { localGrantGuardArn, withGrantGuard } from '../../../../lib/local/grant-guard.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { FileScheduler } from '../../../../lib/local/scheduler.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { UndoIncompleteError, UndoRefusedError } from '../../../../lib/usecases/apply-plan.ts';
import { changeHeader } from '../../../../lib/usecases/cases.ts';
import { expireGrant, grantAccess } from '../../../../lib/usecases/jit.ts';
import {
  ReconcileRefusedError,
  reconcile,
  unfinishedRevocations,
} from '../../../../lib/usecases/revocations.ts';
import { revoke } from '../../../../lib/usecases/revoke.ts';
import { undoRevocation } from '../../../../lib/usecases/undo.ts';
import { openTestCase } from '../../../fixtures/cases.ts';
import { shippedConfig } from '../../../fixtures/config.ts';

const ACCOUNT = '111122223333';
const config = await shippedConfig();

/** Alice holds six things a revocation changes: a deny to write, two keys, a certificate, an SSH key, a service credential. */
const ALICE: IamAccountStateInput = {
  accountId: ACCOUNT,
  users: {
    alice: {
      arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      accessKeys: [
        { accessKeyId: 'AKIAALICE00000000001', status: 'Active' },
        { accessKeyId: 'AKIAALICE00000000002', status: 'Active' },
      ],
      hasLoginProfile: true,
      signingCertificates: [{ certificateId: 'CERTALICE0000000000000001', status: 'Active' }],
      sshPublicKeys: [{ sshPublicKeyId: 'APKAALICE00000000001', status: 'Active' }],
      serviceSpecificCredentials: [{ serviceSpecificCredentialId: 'ACCAALICE00000000001', status: 'Active' }],
      inlinePolicies: { 'team-access': '{"Version":"2012-10-17","Statement":[]}' },
    },
    bob: { arn: `arn:aws:iam::${ACCOUNT}:user/bob` },
  },
};
const PLANNED_CHANGES = 6;

const trigger: Trigger = TriggerSchema.parse({
  credentialId: 'alice-key-1',
  ruleId: 'access-key-for-another-user',
  eventId: '00000000-0000-4000-8000-000000000001',
  eventTime: '2026-01-15T12:00:00Z',
  eventSource: 'iam.amazonaws.com',
  eventName: 'CreateAccessKey',
  region: 'us-east-1',
  sourceIp: '198.51.100.23',
  userAgent: 'aws-cli/2.15.30',
  target: {
    kind: 'iam-user',
    accountId: ACCOUNT,
    userArn: `arn:aws:iam::${ACCOUNT}:user/alice`,
    userName: 'alice',
    accessKeyId: 'AKIAALICE00000000001',
  },
});

/**
 * The local account, with a fault after the Nth change: the change is made, then the call
 * fails as a function killed mid-flight would. It also notes whether the case already held
 * the revocation's intent when the first change was made.
 */
class FaultyIam extends LocalIamAccount {
  performed: RevocationAction[] = [];
  intentBeforeFirstChange: boolean | null = null;
  constructor(
    file: string,
    private readonly cases: FileCaseStore,
    public faultAfter: number,
  ) {
    super(file);
  }
  override async perform(accountId: string, action: RevocationAction): Promise<void> {
    if (this.performed.length === 0)
      this.intentBeforeFirstChange =
        entriesOf((await this.cases.get('case-1'))!, 'revoke-intent').length === 1;
    await super.perform(accountId, action);
    this.performed.push(action);
    if (this.performed.length === this.faultAfter)
      throw new Error('the function was killed after the change');
  }
}

/** Alice's case, revoked with a fault after change `faultAfter` (none when it is infinite). */
async function revokedWithFault(faultAfter: number) {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-fault-'));
  const cases = new FileCaseStore(join(directory, 'cases'));
  const iam = new FaultyIam(join(directory, 'iam.json'), cases, faultAfter);
  await iam.save(ALICE);
  const snapshot = await iam.load();
  await openTestCase(cases, trigger);
  const deps = {
    iam,
    config,
    cases,
    clock: new SimulatedClock(new Date('2026-01-15T12:05:00Z')),
    sleep: async () => {},
  };
  const revoking = revoke({ caseId: 'case-1', trigger, revision: 0 }, deps);
  if (Number.isFinite(faultAfter)) await expect(revoking).rejects.toThrow('killed after the change');
  else await revoking;
  iam.faultAfter = Number.POSITIVE_INFINITY;
  return { cases, iam, snapshot, deps };
}

describe('a revocation interrupted after each of its IAM changes, in turn', () => {
  for (let position = 1; position <= PLANNED_CHANGES; position++) {
    it(`after change ${position}: the intent was on the case first; undo restores the snapshot exactly`, async () => {
      const { cases, iam, snapshot, deps } = await revokedWithFault(position);

      const record = (await cases.get('case-1'))!;
      const [intent] = entriesOf(record, 'revoke-intent');
      expect(iam.intentBeforeFirstChange).toBe(true);
      expect(intent!.detail.actions).toHaveLength(PLANNED_CHANGES);
      // Every change IAM made is one the case said it would make, and the snapshot before them.
      expect(intent!.detail.actions.slice(0, position)).toEqual(iam.performed);
      expect(intent!.detail.before).toEqual(within(snapshot, intent!.detail.scope));
      expect(entriesOf(record, 'revoked')).toEqual([]);

      const undone = await undoRevocation('case-1', deps);

      expect(undone.reversed).toHaveLength(position);
      expect(await iam.load()).toEqual(snapshot);
      expect(entriesOf((await cases.get('case-1'))!, 'undo')[0]!.detail).toMatchObject({ failure: null });
    });

    it(`after change ${position}: a retry finishes the plan without repeating a change, and undo still restores it`, async () => {
      const { cases, iam, snapshot, deps } = await revokedWithFault(position);

      await revoke({ caseId: 'case-1', trigger, revision: 0 }, deps);

      expect(iam.performed).toHaveLength(PLANNED_CHANGES);
      const record = (await cases.get('case-1'))!;
      expect(entriesOf(record, 'revoked')[0]!.detail.record.steps.map((step) => step.status)).toEqual(
        Array(PLANNED_CHANGES).fill('applied'),
      );
      await undoRevocation('case-1', deps);
      expect(await iam.load()).toEqual(snapshot);
    });
  }

  it('reconcile finishes an interrupted revocation from its intent; a second reconcile finds nothing to do', async () => {
    const { cases, iam, deps } = await revokedWithFault(2);

    const first = await reconcile({ caseId: 'case-1', cases, iam, clock: deps.clock });
    const second = await reconcile({ caseId: 'case-1', cases, iam, clock: deps.clock });

    expect(first.finished).toEqual(['r0-e0']);
    expect(second.finished).toEqual([]);
    expect(iam.performed).toHaveLength(PLANNED_CHANGES);
    expect(Object.keys((await iam.load()).users.alice!.inlinePolicies)).toContain('revoker-revocation');
  });
});

describe('undo of a case with several revocations', () => {
  it('checks every one against IAM first: the earlier one drifted, so not even the later one is undone', async () => {
    const { cases, iam, deps } = await revokedWithFault(Number.POSITIVE_INFINITY);
    // A second round of the case (after a raise) revokes another user.
    await changeHeader(cases, 'case-1', (current) => raiseHeader(current.header, current.header.standing));
    const bob = TriggerSchema.parse({
      ...trigger,
      target: {
        ...trigger.target,
        userArn: `arn:aws:iam::${ACCOUNT}:user/bob`,
        userName: 'bob',
        accessKeyId: null,
      },
    });
    await revoke({ caseId: 'case-1', trigger: bob, revision: 1 }, deps);
    const revoked = await iam.load();
    expect(Object.keys(revoked.users.bob!.inlinePolicies)).toEqual(['revoker-revocation']);
    // Someone re-enables a key by hand after the revocations.
    await new LocalIamAccount(iam.file).perform(ACCOUNT, {
      action: 'update-access-key',
      input: { userName: 'alice', accessKeyId: 'AKIAALICE00000000002', status: 'Active' },
    });
    const drifted = await iam.load();

    await expect(undoRevocation('case-1', deps)).rejects.toThrow(UndoRefusedError);

    // Bob's revocation, the later one, could have been undone alone: it was not.
    expect(await iam.load()).toEqual(drifted);
    expect(drifted).not.toEqual(revoked);
  });

  it('on a failure halfway, says exactly what was and was not undone; a second undo finishes', async () => {
    const { cases, iam, snapshot, deps } = await revokedWithFault(Number.POSITIVE_INFINITY);
    const before = iam.performed.length;
    iam.faultAfter = before + 3;

    const failure = await undoRevocation('case-1', deps).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(UndoIncompleteError);
    expect((failure as UndoIncompleteError).restored).toEqual([]);
    expect((failure as UndoIncompleteError).reversed).toHaveLength(2);
    const partial = entriesOf((await cases.get('case-1'))!, 'undo');
    expect(partial[0]!.detail.failure).toContain('killed after the change');
    iam.faultAfter = Number.POSITIVE_INFINITY;
    const finished = await undoRevocation('case-1', deps);
    expect(finished.restored).toEqual(['r0-e0']);
    expect(await iam.load()).toEqual(snapshot);
  });
});

describe('a revocation undone by a person', () => {
  it('is not put back by reconcile, nor by a retried revoke step; undo stays possible', async () => {
    const { cases, iam, snapshot, deps } = await revokedWithFault(3);
    await undoRevocation('case-1', deps);
    const performed = iam.performed.length;

    const reconciled = await reconcile({ caseId: 'case-1', cases, iam, clock: deps.clock });
    const retried = await revoke({ caseId: 'case-1', trigger, revision: 0 }, deps).catch(
      (error: Error) => error,
    );

    expect(reconciled.finished).toEqual([]);
    expect(retried).toMatchObject({
      name: 'RevocationNeedsHumanError',
      message: expect.stringContaining('was undone'),
    });
    expect(iam.performed).toHaveLength(performed);
    expect(await iam.load()).toEqual(snapshot);
  });
});

describe('reconcile of a just-in-time grant’s case', () => {
  it('is refused: an end stopped before taking the guard off leaves a later grant’s guard where it is', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'revoker-reconcile-grant-'));
    const carol = `arn:aws:iam::${ACCOUNT}:user/carol`;
    const guard = localGrantGuardArn(ACCOUNT);
    const powerUser = 'arn:aws:iam::aws:policy/PowerUserAccess';
    const account = new LocalIamAccount(join(directory, 'iam.json'));
    await account.save(withGrantGuard({ accountId: ACCOUNT, users: { carol: { arn: carol } } }));
    const clock = new SimulatedClock(new Date('2026-01-15T10:00:00Z'));
    const deps = {
      iam: account,
      clock,
      config,
      cases: new FileCaseStore(join(directory, 'cases')),
      scheduler: new FileScheduler(join(directory, 'schedules')),
      grantGuard: localGrantGuardArn,
      engine: { run: async () => ({ columns: [], rows: [], bytesScanned: 0, engineMillis: 1 }) },
      runbooks: loadRunbooks(),
      sleep: async () => {},
    };
    const ask = (policyArn: string) =>
      grantAccess(
        {
          principalArn: carol,
          policyArn,
          seconds: 3600,
          requestedBy: 'carol',
          requester: 'person:carol',
          reason: 'r',
          region: 'us-east-1',
        },
        deps,
      );
    const first = await ask('arn:aws:iam::aws:policy/job-function/ViewOnlyAccess');
    clock.advance(3600);
    // Its end stops (a Lambda timeout) after recording the guard's detach, before making it.
    const stopping = {
      readState: account.readState.bind(account),
      perform: async (accountId: string, action: RevocationAction) => {
        if ('policyArn' in action.input && action.input.policyArn === guard)
          throw new Error('Task timed out');
        return account.perform(accountId, action);
      },
    };
    await expect(
      expireGrant(
        { caseId: first.grantId, trigger: grantTrigger(first), grant: first },
        { ...deps, iam: stopping },
      ),
    ).rejects.toThrow('Task timed out');
    const interrupted = unfinishedRevocations((await deps.cases.get(first.grantId))!);
    expect(interrupted.map((entry) => entry.detail.revocationId)).toEqual([expect.stringMatching(/-guard$/)]);
    clock.advance(60);
    await ask(powerUser);
    expect((await account.load()).users.carol!.attachedPolicies).toEqual([guard, powerUser]);

    await expect(
      reconcile({ caseId: first.grantId, cases: deps.cases, iam: account, clock }),
    ).rejects.toThrow(ReconcileRefusedError);

    // The live grant keeps its guard; the ended grant's detach is still only recorded.
    expect((await account.load()).users.carol!.attachedPolicies).toEqual([guard, powerUser]);
    expect(unfinishedRevocations((await deps.cases.get(first.grantId))!)).toHaveLength(1);
  });
});
