import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../../lib/domain/config.ts';
import { resolvePrincipal } from '../../../../lib/domain/principal.ts';
import { instanceCredentialsIamEscalation } from '../../../../lib/domain/rules.ts';
import { buildTrigger } from '../../../../lib/domain/trigger.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import type { InlinePolicy } from '../../../../lib/ports.ts';
import { ProtectedPrincipalError, ReadBackTimeoutError, revoke } from '../../../../lib/usecases/revoke.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { stolenInstanceCredentialsGrant } from '../../../fixtures/records.ts';

const record = stolenInstanceCredentialsGrant();
const resolution = resolvePrincipal(record.userIdentity);
if (!resolution.ok) throw new Error(resolution.reason);
const trigger = buildTrigger(instanceCredentialsIamEscalation, record, resolution.principal);
const roleName = trigger.target.roleName;

/** IAM as it is right after a write: reads lag behind for the first `staleReads` calls. */
class EventuallyConsistentIam extends LocalIamAccount {
  constructor(
    file: string,
    private staleReads: number,
  ) {
    super(file);
  }
  override async getRolePolicy(role: string, policy: string): Promise<InlinePolicy | null> {
    if (this.staleReads-- > 0) return null;
    return super.getRolePolicy(role, policy);
  }
}

async function setup(change: (config: Config) => Config = (config) => config, staleReads = 0) {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-revoke-'));
  const iam = new EventuallyConsistentIam(join(directory, 'iam.json'), staleReads);
  await iam.save({
    accountId: trigger.target.accountId,
    roles: {
      [roleName]: { arn: trigger.target.roleArn, path: '/', inlinePolicies: {}, attachedPolicies: [] },
    },
    users: {},
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
    // One stale read for the snapshot, two more while reading the write back.
    const { deps, iam, sleeps } = await setup(undefined, 3);

    const revocation = await revoke({ caseId: 'c1', trigger }, deps);

    expect(revocation).toMatchObject({
      applied: true,
      cutoff: '2026-01-15T12:00:00Z',
      before: null,
      policyName: 'revoker-c1',
    });
    expect(sleeps).toEqual([250, 500]);
    const state = await iam.load();
    expect(JSON.parse(state.roles[roleName]!.inlinePolicies['revoker-c1']!).Statement[0].Condition).toEqual({
      DateLessThan: { 'aws:TokenIssueTime': '2026-01-15T12:00:00Z' },
    });
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
      guardRails: { protectedPrincipals: [trigger.target.roleArn] },
    }));

    await expect(revoke({ caseId: 'c3', trigger }, deps)).rejects.toThrow(ProtectedPrincipalError);
    expect((await iam.load()).roles[roleName]!.inlinePolicies).toEqual({});
  });

  it('in dry-run mode records the plan and changes nothing', async () => {
    const { deps, iam } = await setup((config) => ({ ...config, mode: 'dry-run' }));

    const revocation = await revoke({ caseId: 'c4', trigger }, deps);

    expect(revocation.applied).toBe(false);
    expect((await iam.load()).roles[roleName]!.inlinePolicies).toEqual({});
    expect((await deps.cases.get('c4'))?.audit[0]?.summary).toMatch(/^Dry run: would deny/);
  });
});
