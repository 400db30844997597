import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entriesOf, lastEntry } from '../../../../lib/domain/case.ts';
import type { Config } from '../../../../lib/domain/config.ts';
import { envelopeFor } from '../../../../lib/domain/envelope.ts';
import type { IamAccountState } from '../../../../lib/domain/iam-state.ts';
import { resolvePrincipal } from '../../../../lib/domain/principal.ts';
import type { RevocationAction } from '../../../../lib/domain/revocation/actions.ts';
import { instanceCredentialsIamEscalation } from '../../../../lib/domain/rules.ts';
import { buildTrigger } from '../../../../lib/domain/trigger.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import type { CaseStore, IamScope } from '../../../../lib/ports.ts';
import { ReadBackTimeoutError } from '../../../../lib/usecases/apply-plan.ts';
import { requireCase } from '../../../../lib/usecases/cases.ts';
import { detect } from '../../../../lib/usecases/detect.ts';
import { RevocationNeedsHumanError, revoke } from '../../../../lib/usecases/revoke.ts';
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

/** IAM as it is right after a write: the first `staleReads` reads after a change show the old state. */
class EventuallyConsistentIam extends LocalIamAccount {
  private previous: IamAccountState | null = null;
  private stale = 0;
  /** Every change asked of IAM, in order. */
  readonly performed: RevocationAction[] = [];

  constructor(
    file: string,
    private readonly staleReads: number,
  ) {
    super(file);
  }
  /** IAM catches up: every read from now on shows the changes made. */
  settle(): void {
    this.stale = 0;
  }
  override async perform(accountId: string, action: RevocationAction): Promise<void> {
    this.performed.push(action);
    this.previous = await this.load();
    this.stale = this.staleReads;
    await super.perform(accountId, action);
  }
  override async readState(scope: IamScope): Promise<IamAccountState> {
    if (this.previous && this.stale-- > 0) return this.previous;
    return super.readState(scope);
  }
}

async function setup(change: (config: Config) => Config = (config) => config, staleReads = 0) {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-revoke-'));
  const iam = new EventuallyConsistentIam(join(directory, 'iam.json'), staleReads);
  await iam.save({
    accountId: trigger.target.accountId,
    roles: { [roleName]: { arn: roleTarget(trigger).roleArn, path: '/' } },
  });
  const sleeps: number[] = [];
  const deps = {
    iam,
    config: change(await shippedConfig()),
    clock: new SimulatedClock(new Date('2026-01-15T12:00:00Z')),
    cases: new FileCaseStore(join(directory, 'cases')),
    sleep: async (ms: number) => void sleeps.push(ms),
  };
  return { deps, iam, sleeps };
}

/** The steps recorded on the case, in order. */
async function stepsOf(cases: CaseStore, caseId: string): Promise<string[]> {
  return (await requireCase(cases, caseId)).entries.map((entry) => entry.step);
}

describe('revoke', () => {
  it('writes the deny for sessions issued before now, and reads it back through IAM lag', async () => {
    // The first two reads after the write still show the role without the deny.
    const { deps, iam, sleeps } = await setup(undefined, 2);
    await openTestCase(deps.cases, trigger, { caseId: 'c1' });

    const revocation = await revoke({ caseId: 'c1', trigger, revision: 0 }, deps);

    expect(revocation).toMatchObject({
      applied: true,
      cutoff: '2026-01-15T12:00:00Z',
      target: roleTarget(trigger).roleArn,
      actions: [
        { status: 'applied', description: `Write inline policy revoker-revocation on role ${roleName}` },
      ],
    });
    expect(sleeps).toEqual([250, 500]);
    const state = await iam.load();
    expect(
      JSON.parse(state.roles[roleName]!.inlinePolicies['revoker-revocation']!).Statement[0].Condition,
    ).toEqual({
      DateLessThan: { 'aws:TokenIssueTime': '2026-01-15T12:00:00Z' },
    });
  });

  it('records the state before and after, and the exact undo, on the case', async () => {
    const { deps } = await setup();
    await openTestCase(deps.cases, trigger, { caseId: 'c1' });

    await revoke({ caseId: 'c1', trigger, revision: 0 }, deps);

    const record = await requireCase(deps.cases, 'c1');
    const undo = [{ action: 'delete-role-policy', input: { roleName, policyName: 'revoker-revocation' } }];
    const detail = lastEntry(record, 'revoked')!.detail;
    expect(detail.record.before.roles[roleName]!.inlinePolicies).toEqual({});
    expect(Object.keys(detail.record.after.roles[roleName]!.inlinePolicies)).toEqual(['revoker-revocation']);
    expect(detail.record.steps[0]!.undo).toEqual(undo);
    expect(lastEntry(record, 'revoke-intent')!.detail.before.roles[roleName]!.inlinePolicies).toEqual({});
    expect(lastEntry(record, 'iam-change')!.detail).toMatchObject({ index: 0, status: 'applied', undo });
  });

  it('records the intent before any IAM change, then each change, then the result', async () => {
    const { deps } = await setup();
    await openTestCase(deps.cases, trigger, { caseId: 'c1' });

    await revoke({ caseId: 'c1', trigger, revision: 0 }, deps);

    expect(await stepsOf(deps.cases, 'c1')).toEqual(['opened', 'revoke-intent', 'iam-change', 'revoked']);
    const record = await requireCase(deps.cases, 'c1');
    expect(lastEntry(record, 'revoke-intent')!.detail).toMatchObject({
      revocationId: 'r0-e0',
      automatic: true,
      approval: null,
      actions: [{ action: 'put-role-policy', input: { roleName, policyName: 'revoker-revocation' } }],
    });
    expect(lastEntry(record, 'revoked')!.detail.revocationId).toBe('r0-e0');
  });

  it('gives up, named, when IAM never shows the change', async () => {
    const { deps } = await setup(undefined, Number.POSITIVE_INFINITY);
    await openTestCase(deps.cases, trigger, { caseId: 'c2' });

    await expect(
      revoke({ caseId: 'c2', trigger, revision: 0 }, { ...deps, readBackDeadlineMs: 2000 }),
    ).rejects.toThrow(ReadBackTimeoutError);
    // What was meant to change is on the case; nothing says it was done.
    expect(await stepsOf(deps.cases, 'c2')).toEqual(['opened', 'revoke-intent']);
  });

  it('finishes an interrupted revocation on retry from its recorded intent, changing IAM no further', async () => {
    const { deps, iam } = await setup(undefined, Number.POSITIVE_INFINITY);
    await openTestCase(deps.cases, trigger, { caseId: 'c2' });
    const input = { caseId: 'c2', trigger, revision: 0 };
    await expect(revoke(input, { ...deps, readBackDeadlineMs: 2000 })).rejects.toThrow(ReadBackTimeoutError);
    iam.settle();
    deps.clock.advance(300);

    const retried = await revoke(input, deps);

    expect(iam.performed).toHaveLength(1);
    expect(retried).toMatchObject({
      applied: true,
      cutoff: '2026-01-15T12:00:00Z',
      actions: [
        { status: 'applied', description: `Write inline policy revoker-revocation on role ${roleName}` },
      ],
    });
    expect(await stepsOf(deps.cases, 'c2')).toEqual(['opened', 'revoke-intent', 'iam-change', 'revoked']);
  });

  it('finds its own interrupted revocation on retry even when the case was raised in between', async () => {
    const { deps, iam } = await setup(undefined, Number.POSITIVE_INFINITY);
    await openTestCase(deps.cases, trigger, { caseId: 'c2' });
    const input = { caseId: 'c2', trigger, revision: 0 };
    await expect(revoke(input, { ...deps, readBackDeadlineMs: 2000 })).rejects.toThrow(ReadBackTimeoutError);
    // The same credentials stop the trail while the task waits to be retried: the case is raised.
    const [raised] = await detect(envelopeFor(stopLogging, 'delivery-stop-logging'), {
      cases: deps.cases,
      workflow: new RecordingWorkflow(),
      clock: deps.clock,
      config: deps.config,
      deadLetters: new RecordingDeadLetters(),
    });
    expect(raised).toMatchObject({ status: 'raised', caseId: 'c2' });
    iam.settle();
    deps.clock.advance(300);

    await revoke(input, { ...deps, readBackDeadlineMs: 2000 });

    expect(iam.performed).toHaveLength(1);
    expect(entriesOf(await requireCase(deps.cases, 'c2'), 'revoke-intent')).toHaveLength(1);
  });

  it('re-checks protection at the point of action and changes nothing', async () => {
    const { deps, iam } = await setup((config) => ({
      ...config,
      guardRails: { ...config.guardRails, protectedPrincipals: [roleTarget(trigger).roleArn] },
    }));

    await openTestCase(deps.cases, trigger, { caseId: 'c3' });

    await expect(revoke({ caseId: 'c3', trigger, revision: 0 }, deps)).rejects.toThrow(
      RevocationNeedsHumanError,
    );
    expect((await iam.load()).roles[roleName]!.inlinePolicies).toEqual({});
    expect(await stepsOf(deps.cases, 'c3')).toEqual(['opened', 'revoke-held']);
    expect(lastEntry(await requireCase(deps.cases, 'c3'), 'revoke-held')!.summary).toContain('is protected');
  });

  it('revokes a protected principal once a human approved, and says whose approval lifted the rail', async () => {
    const { deps, iam } = await setup((config) => ({
      ...config,
      guardRails: { ...config.guardRails, protectedPrincipals: [roleTarget(trigger).roleArn] },
    }));
    const approval = {
      decision: 'approved' as const,
      approver: 'oncall@example.com',
      at: '2026-01-15T12:04:00Z',
    };

    await openTestCase(deps.cases, trigger, { caseId: 'c5' });

    const revocation = await revoke({ caseId: 'c5', trigger, revision: 0, approval }, deps);

    expect(revocation.applied).toBe(true);
    expect(revocation.notes.at(-1)).toMatch(/^Approved by oncall@example.com although .* is protected/);
    expect(Object.keys((await iam.load()).roles[roleName]!.inlinePolicies)).toEqual(['revoker-revocation']);
    const record = await requireCase(deps.cases, 'c5');
    expect(lastEntry(record, 'revoke-intent')).toMatchObject({
      summary: expect.stringMatching(/^Revocation \(approved by oncall@example.com\): about to /),
      detail: { automatic: false, approval },
    });
    expect(lastEntry(record, 'revoked')!.detail.approval).toEqual(approval);
  });

  it('keeps the guard rails when an escalation merely timed out', async () => {
    const { deps, iam } = await setup((config) => ({
      ...config,
      guardRails: { ...config.guardRails, protectedPrincipals: [roleTarget(trigger).roleArn] },
    }));
    const approval = { decision: 'timed-out' as const, reason: 'no decision within 3600 seconds' };
    await openTestCase(deps.cases, trigger, { caseId: 'c6' });

    await expect(revoke({ caseId: 'c6', trigger, revision: 0, approval }, deps)).rejects.toThrow(
      RevocationNeedsHumanError,
    );
    expect((await iam.load()).roles[roleName]!.inlinePolicies).toEqual({});
  });

  it('stops at the blast-radius cap: the next revocation in the window waits for a human', async () => {
    const { deps } = await setup((config) => ({
      ...config,
      guardRails: { ...config.guardRails, maxRevocationsPerWindow: 1 },
    }));
    await openTestCase(deps.cases, trigger, { caseId: 'first' });
    await openTestCase(deps.cases, otherTrigger, { caseId: 'second' });
    await revoke({ caseId: 'first', trigger, revision: 0 }, deps);
    // A minute later: its deny (sessions issued before a later cutoff) would change IAM again.
    deps.clock.advance(60);

    await expect(revoke({ caseId: 'second', trigger: otherTrigger, revision: 0 }, deps)).rejects.toThrow(
      /1 automatic revocation in the last 60 minutes reaches the cap of 1/,
    );
    expect(await stepsOf(deps.cases, 'second')).toEqual(['opened', 'revoke-held']);
  });

  it('does not count a retried step of the same case against the cap', async () => {
    const { deps, iam } = await setup((config) => ({
      ...config,
      guardRails: { ...config.guardRails, maxRevocationsPerWindow: 1 },
    }));
    await openTestCase(deps.cases, trigger, { caseId: 'retried' });
    const first = await revoke({ caseId: 'retried', trigger, revision: 0 }, deps);

    const again = await revoke({ caseId: 'retried', trigger, revision: 0 }, deps);

    // The retry finds its own revocation on the case: the same result, and no second IAM change.
    expect(again).toEqual(first);
    expect(again.actions).toEqual([expect.objectContaining({ status: 'applied' })]);
    expect(iam.performed).toHaveLength(1);
    expect(await stepsOf(deps.cases, 'retried')).toEqual([
      'opened',
      'revoke-intent',
      'iam-change',
      'revoked',
    ]);
  });

  it('in dry-run mode records the plan and changes nothing', async () => {
    const { deps, iam } = await setup((config) => ({ ...config, mode: 'dry-run' }));

    await openTestCase(deps.cases, trigger, { caseId: 'c4' });

    const revocation = await revoke({ caseId: 'c4', trigger, revision: 0 }, deps);

    expect(revocation).toMatchObject({ applied: false, actions: [{ status: 'planned' }] });
    expect((await iam.load()).roles[roleName]!.inlinePolicies).toEqual({});
    expect(await stepsOf(deps.cases, 'c4')).toEqual(['opened', 'dry-run']);
    expect(lastEntry(await requireCase(deps.cases, 'c4'), 'dry-run')!.summary).toMatch(
      /^Dry run: would deny/,
    );
  });
});
