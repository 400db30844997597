// Just-in-time grants on the embedded stand-ins: the local IAM account, the case files, the
// file scheduler, and DuckDB over log files holding the role session the grant let alice open.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Grant, grantTrigger } from '../../../../lib/domain/jit.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { DuckDbQueryEngine } from '../../../../lib/local/duckdb-engine.ts';
import { LogWriter } from '../../../../lib/local/generator/log-writer.ts';
import { Random } from '../../../../lib/local/generator/random.ts';
import { toRecord } from '../../../../lib/local/generator/world.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { FileScheduler } from '../../../../lib/local/scheduler.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { expireGrant, GrantRefusedError, grantAccess } from '../../../../lib/usecases/jit.ts';
import { shippedConfig } from '../../../fixtures/config.ts';

const ACCOUNT = '111122223333';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const OPS_ROLE = `arn:aws:iam::${ACCOUNT}:role/ops-admin`;
const SESSION_ID = 'AROAOPSADMIN0000000001:alice-incident';
const T0 = new Date('2026-01-15T10:00:00Z');

let directory: string;
let engine: DuckDbQueryEngine;

/** While her grant is live, alice opens a session of the ops role: it outlives the grant. */
function writeLogs(root: string): void {
  const writer = new LogWriter(root, 'jit');
  const time = new Date(T0.getTime() + 10 * 60_000);
  writer.add(
    ACCOUNT,
    'us-east-1',
    time,
    toRecord(
      {
        time,
        account: ACCOUNT,
        region: 'us-east-1',
        identity: {
          type: 'IAMUser',
          principalId: 'AIDAALICE000000000001',
          arn: ALICE,
          accountId: ACCOUNT,
          accessKeyId: 'AKIAALICE00000000001',
          userName: 'alice',
        },
        eventSource: 'sts.amazonaws.com',
        eventName: 'AssumeRole',
        sourceIPAddress: '203.0.113.7',
        userAgent: 'aws-cli/2.15.30',
        readOnly: true,
        requestParameters: { roleArn: OPS_ROLE, roleSessionName: 'alice-incident' },
        responseElements: {
          credentials: { accessKeyId: 'ASIAOPSADMIN00000001', expiration: 'Jan 15, 2026, 10:10:00 PM' },
          assumedRoleUser: {
            assumedRoleId: SESSION_ID,
            arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ops-admin/alice-incident`,
          },
        },
      },
      new Random('jit'),
    ),
  );
  writer.flush();
}

async function parts() {
  const local = mkdtempSync(join(directory, 'case-'));
  const iam = new LocalIamAccount(join(local, 'iam.json'));
  await iam.save({
    accountId: ACCOUNT,
    users: { alice: { arn: ALICE, accessKeys: [] } },
    roles: { 'ops-admin': { arn: OPS_ROLE, path: '/' } },
  });
  const clock = new SimulatedClock(T0);
  const config = await shippedConfig();
  const scheduler = new FileScheduler(join(local, 'schedules'));
  const cases = new FileCaseStore(join(local, 'cases'));
  const deps = {
    iam,
    cases,
    clock,
    scheduler,
    config,
    engine,
    runbooks: loadRunbooks(),
    sleep: async () => {},
  };
  const grant = (seconds: number) =>
    grantAccess(
      {
        principalArn: ALICE,
        policyArn: ADMIN,
        seconds,
        requestedBy: 'sam@example.com',
        reason: 'incident 42',
        region: 'us-east-1',
      },
      deps,
    );
  const expire = (granted: Grant) =>
    expireGrant({ caseId: granted.grantId, trigger: grantTrigger(granted), grant: granted }, deps);
  return { iam, clock, scheduler, cases, deps, grant, expire };
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'revoker-jit-'));
  writeLogs(join(directory, 'logs'));
  engine = await DuckDbQueryEngine.open(join(directory, 'logs'));
});
afterAll(() => engine.close());

describe('just-in-time grants', () => {
  it('attaches the policy, opens the grant’s case, and schedules its end', async () => {
    const { iam, scheduler, cases, grant } = await parts();

    const granted = await grant(7200);

    expect((await iam.load()).users.alice!.attachedPolicies).toEqual([ADMIN]);
    expect(granted).toMatchObject({ expiresAt: '2026-01-15T12:00:00Z', heldBefore: false });
    const opened = (await cases.get(granted.grantId))!;
    expect(opened.entries.map((entry) => entry.step)).toEqual(['opened', 'grant']);
    expect(opened.header).toMatchObject({ origin: 'grant', outcome: null, execution: { started: false } });
    expect(await scheduler.due(new Date('2026-01-15T11:59:59Z'))).toEqual([]);
    expect((await scheduler.due(new Date('2026-01-15T12:00:00Z'))).map((due) => due.event)).toEqual([
      // The event only names the grant: what to take away is what its case recorded.
      expect.objectContaining({
        source: 'revoker.jit',
        'detail-type': 'Grant Expired',
        detail: { grantId: granted.grantId },
      }),
    ]);
  });

  it('refuses a grant to a principal IAM does not have, or for longer than a week', async () => {
    const { deps } = await parts();
    const request = {
      principalArn: `arn:aws:iam::${ACCOUNT}:user/nobody`,
      policyArn: ADMIN,
      seconds: 3600,
      requestedBy: 'sam',
      reason: '',
      region: 'us-east-1',
    };

    await expect(grantAccess(request, deps)).rejects.toThrow(
      new GrantRefusedError(`${request.principalArn} was not found in IAM`),
    );
    await expect(grantAccess({ ...request, principalArn: ALICE, seconds: 8 * 86_400 }, deps)).rejects.toThrow(
      GrantRefusedError,
    );
  });

  it('refuses a principal named under a path IAM does not have it under: the grant names the ARN IAM has', async () => {
    const { deps, iam, cases } = await parts();
    const madeUp = `arn:aws:iam::${ACCOUNT}:role/team-x/ops-admin`;

    await expect(
      grantAccess(
        {
          principalArn: madeUp,
          policyArn: ADMIN,
          seconds: 3600,
          requestedBy: 'sam',
          reason: '',
          region: 'us-east-1',
        },
        deps,
      ),
    ).rejects.toThrow(
      new GrantRefusedError(`IAM has this role as ${OPS_ROLE}, not ${madeUp}: a grant names the ARN IAM has`),
    );
    expect((await iam.load()).roles['ops-admin']!.attachedPolicies).toEqual([]);
    expect(await cases.list()).toEqual([]);
  });

  it('keeps the policy while another grant gives it, then takes it and the session the grants opened away', async () => {
    const { iam, clock, grant, expire } = await parts();
    const first = await grant(7200);
    clock.advance(1800);
    const second = await grant(7200);

    clock.advance(5400);
    const atFirstEnd = await expire(first);

    expect(second.heldBefore).toBe(false);
    expect(atFirstEnd).toMatchObject({
      applied: false,
      kept: expect.stringContaining(`still live (the last until 2026-01-15T12:30:00Z: ${second.grantId})`),
    });
    expect((await iam.load()).users.alice!.attachedPolicies).toEqual([ADMIN]);

    clock.advance(1800);
    const atSecondEnd = await expire(second);

    expect(atSecondEnd.kept).toBeNull();
    const state = await iam.load();
    expect(state.users.alice!.attachedPolicies).toEqual([]);
    // The ops session alice opened at 10:10 is denied by its aws:userid; the role's others are not.
    const deny = JSON.parse(state.roles['ops-admin']!.inlinePolicies['revoker-revocation']!);
    expect(deny.Statement[0].Condition).toMatchObject({ StringEquals: { 'aws:userid': SESSION_ID } });
    expect(atSecondEnd.verify).toEqual([
      { principal: OPS_ROLE, sourceIdentity: '', sessionUserId: SESSION_ID },
    ]);
  });

  it('never takes away a policy the principal held outside any grant', async () => {
    const { iam, grant, expire, clock } = await parts();
    await iam.perform({ action: 'attach-user-policy', input: { userName: 'alice', policyArn: ADMIN } });

    const granted = await grant(3600);
    clock.advance(3600);
    const ended = await expire(granted);

    expect(granted.heldBefore).toBe(true);
    expect(ended.kept).toMatch(/outside any grant/);
    expect((await iam.load()).users.alice!.attachedPolicies).toEqual([ADMIN]);
  });
});
