import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../../lib/domain/config.ts';
import type { IamAccountState } from '../../../../lib/domain/iam-state.ts';
import { resolvePrincipal } from '../../../../lib/domain/principal.ts';
import type { RevocationAction } from '../../../../lib/domain/revocation/actions.ts';
import { instanceCredentialsIamEscalation } from '../../../../lib/domain/rules.ts';
import { buildTrigger } from '../../../../lib/domain/trigger.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import type { IamScope } from '../../../../lib/ports.ts';
import { ReadBackTimeoutError } from '../../../../lib/usecases/apply-plan.ts';
import { RevocationNeedsHumanError, revoke } from '../../../../lib/usecases/revoke.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { roleTarget, stolenInstanceCredentialsGrant } from '../../../fixtures/records.ts';

const record = stolenInstanceCredentialsGrant();
const resolution = resolvePrincipal(record.userIdentity);
if (!resolution.ok) throw new Error(resolution.reason);
const trigger = buildTrigger(instanceCredentialsIamEscalation, record, resolution.principal);
const roleName = roleTarget(trigger).roleName;

/** IAM as it is right after a write: the first `staleReads` reads after a change show the old state. */
class EventuallyConsistentIam extends LocalIamAccount {
  private previous: IamAccountState | null = null;
  private stale = 0;

  constructor(
    file: string,
    private readonly staleReads: number,
  ) {
    super(file);
  }
  override async perform(action: RevocationAction): Promise<void> {
    this.previous = await this.load();
    this.stale = this.staleReads;
    await super.perform(action);
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

describe('revoke', () => {
  it('writes the deny for sessions issued before now, and reads it back through IAM lag', async () => {
    // The first two reads after the write still show the role without the deny.
    const { deps, iam, sleeps } = await setup(undefined, 2);

    const revocation = await revoke({ caseId: 'c1', trigger }, deps);

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

    await revoke({ caseId: 'c1', trigger }, deps);

    const [entry] = (await deps.cases.get('c1'))!.audit;
    const detail = entry!.detail as { record: { before: IamAccountState; steps: { undo: unknown[] }[] } };
    expect(detail.record.before.roles[roleName]!.inlinePolicies).toEqual({});
    expect(detail.record.steps[0]!.undo).toEqual([
      { action: 'delete-role-policy', input: { roleName, policyName: 'revoker-revocation' } },
    ]);
  });

  it('gives up, named, when IAM never shows the change', async () => {
    const { deps } = await setup(undefined, Number.POSITIVE_INFINITY);

    await expect(revoke({ caseId: 'c2', trigger }, { ...deps, readBackDeadlineMs: 2000 })).rejects.toThrow(
      ReadBackTimeoutError,
    );
  });

  it('re-checks protection at the point of action and changes nothing', async () => {
    const { deps, iam } = await setup((config) => ({
      ...config,
      guardRails: { ...config.guardRails, protectedPrincipals: [roleTarget(trigger).roleArn] },
    }));

    await expect(revoke({ caseId: 'c3', trigger }, deps)).rejects.toThrow(RevocationNeedsHumanError);
    expect((await iam.load()).roles[roleName]!.inlinePolicies).toEqual({});
    expect((await deps.cases.get('c3'))?.audit[0]?.summary).toContain('is protected');
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

    const revocation = await revoke({ caseId: 'c5', trigger, approval }, deps);

    expect(revocation.applied).toBe(true);
    expect(revocation.notes.at(-1)).toMatch(/^Approved by oncall@example.com although .* is protected/);
    expect(Object.keys((await iam.load()).roles[roleName]!.inlinePolicies)).toEqual(['revoker-revocation']);
    expect((await deps.cases.get('c5'))?.audit[0]?.summary).toMatch(
      /^Revoked \(approved by oncall@example.com\)/,
    );
  });

  it('keeps the guard rails when an escalation merely timed out', async () => {
    const { deps, iam } = await setup((config) => ({
      ...config,
      guardRails: { ...config.guardRails, protectedPrincipals: [roleTarget(trigger).roleArn] },
    }));
    const approval = { decision: 'timed-out' as const, reason: 'no decision within 3600 seconds' };

    await expect(revoke({ caseId: 'c6', trigger, approval }, deps)).rejects.toThrow(
      RevocationNeedsHumanError,
    );
    expect((await iam.load()).roles[roleName]!.inlinePolicies).toEqual({});
  });

  it('stops at the blast-radius cap: the next revocation in the window waits for a human', async () => {
    const { deps } = await setup((config) => ({
      ...config,
      guardRails: { ...config.guardRails, maxRevocationsPerWindow: 1 },
    }));
    await revoke({ caseId: 'first', trigger }, deps);

    await expect(revoke({ caseId: 'second', trigger }, deps)).rejects.toThrow(
      /1 automatic revocations in the last 60 minutes reach the cap of 1/,
    );
  });

  it('does not count a retried step of the same case against the cap', async () => {
    const { deps } = await setup((config) => ({
      ...config,
      guardRails: { ...config.guardRails, maxRevocationsPerWindow: 1 },
    }));
    await revoke({ caseId: 'retried', trigger }, deps);

    const again = await revoke({ caseId: 'retried', trigger }, deps);

    expect(again.actions).toEqual([expect.objectContaining({ status: 'already-applied' })]);
  });

  it('in dry-run mode records the plan and changes nothing', async () => {
    const { deps, iam } = await setup((config) => ({ ...config, mode: 'dry-run' }));

    const revocation = await revoke({ caseId: 'c4', trigger }, deps);

    expect(revocation).toMatchObject({ applied: false, actions: [{ status: 'planned' }] });
    expect((await iam.load()).roles[roleName]!.inlinePolicies).toEqual({});
    expect((await deps.cases.get('c4'))?.audit[0]?.summary).toMatch(/^Dry run: would deny/);
  });
});
