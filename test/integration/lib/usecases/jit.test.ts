// Just-in-time grants on the embedded stand-ins: the local IAM account (which really holds the
// grant guard and evaluates it), the case files, the file scheduler, and DuckDB over log files
// holding the role session the grant let alice open.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entriesOf } from '../../../../lib/domain/case.ts';
import { type Grant, grantTrigger } from '../../../../lib/domain/jit.ts';
import type { RevocationAction } from '../../../../lib/domain/revocation/actions.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { DuckDbQueryEngine } from '../../../../lib/local/duckdb-engine.ts';
import { LogWriter } from '../../../../lib/local/generator/log-writer.ts';
import { Random } from '../../../../lib/local/generator/random.ts';
import { toRecord } from '../../../../lib/local/generator/world.ts';
import { localGrantGuardArn, withGrantGuard } from '../../../../lib/local/grant-guard.ts';
import { authorizerFor, LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { FileScheduler } from '../../../../lib/local/scheduler.ts';
import type { IamGateway } from '../../../../lib/ports.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { expireGrant, GrantRefusedError, grantAccess } from '../../../../lib/usecases/jit.ts';
import { shippedConfig } from '../../../fixtures/config.ts';

const ACCOUNT = '111122223333';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const GUARD = localGrantGuardArn(ACCOUNT);
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

/**
 * The local IAM account, as the grant and its end see it: every change recorded in order, and
 * the one `failAt` names (counting from 1) failing as a crash would stop it, before it is made.
 */
class RecordingIam implements IamGateway {
  readonly changes: string[] = [];
  failAt: number | null = null;
  /** Runs just before each change is made: whatever else happens at that moment. */
  meanwhile: (action: RevocationAction) => Promise<void> = async () => {};
  constructor(readonly account: LocalIamAccount) {}
  readState: IamGateway['readState'] = (scope) => this.account.readState(scope);
  async perform(action: RevocationAction): Promise<void> {
    if (this.changes.length + 1 === this.failAt) {
      this.failAt = null;
      throw new Error('the process stopped here');
    }
    await this.meanwhile(action);
    this.changes.push(`${action.action} ${'policyArn' in action.input ? action.input.policyArn : ''}`);
    await this.account.perform(action);
  }
}

async function parts(options: { guard?: boolean; configured?: boolean } = {}) {
  const local = mkdtempSync(join(directory, 'case-'));
  const account = new LocalIamAccount(join(local, 'iam.json'));
  const state = {
    accountId: ACCOUNT,
    users: { alice: { arn: ALICE, accessKeys: [] } },
    roles: { 'ops-admin': { arn: OPS_ROLE, path: '/' } },
  };
  await account.save(options.guard === false ? state : withGrantGuard(state));
  const iam = new RecordingIam(account);
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
    ...(options.configured === false ? {} : { grantGuard: localGrantGuardArn }),
    sleep: async () => {},
  };
  const grant = (seconds: number, policyArn = ADMIN) =>
    grantAccess(
      {
        principalArn: ALICE,
        policyArn,
        seconds,
        requestedBy: 'sam@example.com',
        reason: 'incident 42',
        region: 'us-east-1',
      },
      deps,
    );
  const expire = (granted: Grant) =>
    expireGrant({ caseId: granted.grantId, trigger: grantTrigger(granted), grant: granted }, deps);
  const held = async () => (await account.load()).users.alice!.attachedPolicies;
  /** What the local account answers a call by alice (null: allowed; else the denial). */
  const judge = (action: string) =>
    authorizerFor(account.file)({
      account: ACCOUNT,
      action,
      roleName: null,
      userName: 'alice',
      tokenIssueTime: null,
      sessionName: null,
    });
  return { iam, account, clock, scheduler, cases, deps, grant, expire, held, judge };
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'revoker-jit-'));
  writeLogs(join(directory, 'logs'));
  engine = await DuckDbQueryEngine.open(join(directory, 'logs'));
});
afterAll(() => engine.close());

describe('just-in-time grants', () => {
  it('attaches the guard, then the policy, opens the grant’s case, and schedules its end', async () => {
    const { iam, scheduler, cases, grant, held } = await parts();

    const granted = await grant(7200);

    expect(iam.changes).toEqual([`attach-user-policy ${GUARD}`, `attach-user-policy ${ADMIN}`]);
    expect(await held()).toEqual([GUARD, ADMIN]);
    expect(granted).toMatchObject({
      expiresAt: '2026-01-15T12:00:00Z',
      heldBefore: false,
      guardPolicyArn: GUARD,
    });
    const opened = (await cases.get(granted.grantId))!;
    expect(opened.entries.map((entry) => entry.step)).toEqual([
      'opened',
      'iam-change',
      'iam-change',
      'grant',
    ]);
    expect(entriesOf(opened, 'iam-change').map((entry) => entry.summary)).toEqual([
      `Changed: Attach ${GUARD} to user alice.`,
      `Changed: Attach ${ADMIN} to user alice.`,
    ]);
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

  it('while granted, the local account denies alice revoker’s own resources through the guard', async () => {
    const { grant, judge } = await parts();

    expect(judge('states:SendTaskSuccess')).toBeNull();
    await grant(3600);

    expect(judge('states:SendTaskSuccess')).toMatch(/explicit deny/);
    // The rest of what the grant gives is hers.
    expect(judge('ec2:DescribeInstances')).toBeNull();
  });

  it('refuses any grant when no guard is configured, or the account has none; IAM and the cases are untouched', async () => {
    for (const [options, reason] of [
      [{ configured: false }, `no grant guard is configured for account ${ACCOUNT}`],
      [{ guard: false }, `the grant guard ${GUARD} does not exist in account ${ACCOUNT}`],
    ] as const) {
      const { iam, cases, grant, held } = await parts(options);

      await expect(grant(3600)).rejects.toThrow(reason);

      expect(iam.changes).toEqual([]);
      expect(await held()).toEqual([]);
      expect(await cases.list()).toEqual([]);
    }
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
    const { deps, account, cases } = await parts();
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
    expect((await account.load()).roles['ops-admin']!.attachedPolicies).toEqual([]);
    expect(await cases.list()).toEqual([]);
  });

  it('keeps the policy and its guard while another grant gives it, then takes the policy, the guard and the session the grants opened away', async () => {
    const { account, iam, clock, cases, grant, expire, held } = await parts();
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
    expect(atFirstEnd.notes).toContain(
      `the grant guard stays: 1 other grant of ${ALICE} still hold it (${second.grantId})`,
    );
    expect(await held()).toEqual([GUARD, ADMIN]);

    clock.advance(1800);
    iam.changes.length = 0;
    const atSecondEnd = await expire(second);

    expect(atSecondEnd.kept).toBeNull();
    // The policy first, then the guard.
    expect(iam.changes.slice(0, 2)).toEqual([`detach-user-policy ${ADMIN}`, `detach-user-policy ${GUARD}`]);
    const ended = (await cases.get(second.grantId))!;
    expect(entriesOf(ended, 'revoke-intent').map((entry) => entry.detail.revocationId)).toEqual([
      expect.stringMatching(/-detach$/),
      expect.stringMatching(/-guard$/),
      expect.anything(),
    ]);
    const state = await account.load();
    expect(state.users.alice!.attachedPolicies).toEqual([]);
    // The ops session alice opened at 10:10 is denied by its aws:userid; the role's others are not.
    const deny = JSON.parse(state.roles['ops-admin']!.inlinePolicies['revoker-revocation']!);
    expect(deny.Statement[0].Condition).toMatchObject({ StringEquals: { 'aws:userid': SESSION_ID } });
    expect(atSecondEnd.verify).toEqual([
      { principal: OPS_ROLE, sourceIdentity: '', sessionUserId: SESSION_ID },
    ]);
  });

  it('never takes away a policy the principal held outside any grant; the guard its grant brought goes', async () => {
    const { account, grant, expire, clock, held } = await parts();
    await account.perform({ action: 'attach-user-policy', input: { userName: 'alice', policyArn: ADMIN } });

    const granted = await grant(3600);
    expect(await held()).toEqual([ADMIN, GUARD]);
    clock.advance(3600);
    const ended = await expire(granted);

    expect(granted.heldBefore).toBe(true);
    expect(ended.kept).toMatch(/outside any grant/);
    expect(await held()).toEqual([ADMIN]);
  });

  it('keeps the guard while a live grant of another policy still needs it', async () => {
    const { clock, grant, expire, held } = await parts();
    const admin = await grant(3600);
    clock.advance(600);
    const readOnly = await grant(7200, READ_ONLY);

    clock.advance(3000);
    const atAdminEnd = await expire(admin);

    expect(atAdminEnd.kept).toBeNull();
    expect(atAdminEnd.notes).toContain(
      `the grant guard stays: 1 other grant of ${ALICE} still hold it (${readOnly.grantId})`,
    );
    expect(await held()).toEqual([GUARD, READ_ONLY]);

    clock.advance(4200);
    await expire(readOnly);

    expect(await held()).toEqual([]);
  });

  it('two grants ending at once: both policies go, and the guard with the last of them', async () => {
    const { clock, grant, expire, held } = await parts();
    const admin = await grant(3600);
    const readOnly = await grant(3600, READ_ONLY);

    clock.advance(3600);
    await Promise.all([expire(admin), expire(readOnly)]);

    expect(await held()).toEqual([]);
  });

  it('a grant beginning just as the last one’s end takes the guard off has it put back', async () => {
    const { iam, clock, grant, expire, held } = await parts();
    const admin = await grant(3600);
    clock.advance(3600);
    let readOnly: Grant | null = null;
    // Its end has let go of the guard and is about to detach it when the new grant comes in.
    iam.meanwhile = async (action) => {
      if (!readOnly && action.action === 'detach-user-policy' && action.input.policyArn === GUARD)
        readOnly = await grant(3600, READ_ONLY);
    };

    const ended = await expire(admin);

    expect(readOnly).not.toBeNull();
    expect((await held()).sort()).toEqual([GUARD, READ_ONLY].sort());
    expect(ended.actions.map((action) => action.description)).toContain(`Attach ${GUARD} to user alice`);
  });

  it('stopped between any two changes, the principal never holds the policy without the guard; running again finishes', async () => {
    // The grant makes two changes (guard, policy) and its end two (policy, guard): stop at each.
    for (const stopAt of [1, 2, 3, 4]) {
      const { iam, clock, cases, grant, expire, held } = await parts();
      const run = async <T>(step: () => Promise<T>): Promise<T | null> => {
        try {
          return await step();
        } catch (error) {
          expect((error as Error).message).toBe('the process stopped here');
          const now = await held();
          if (now.includes(ADMIN)) expect(now).toContain(GUARD);
          return null;
        }
      };
      iam.failAt = stopAt;

      const granted = (await run(() => grant(3600))) ?? (await grant(3600));
      expect(await held()).toEqual([GUARD, ADMIN]);
      clock.advance(3600);
      if (!(await run(() => expire(granted)))) await expire(granted);

      expect(await held()).toEqual([]);
      // Each change recorded once, however many runs it took.
      const record = (await cases.get(granted.grantId))!;
      expect(entriesOf(record, 'iam-change').map((entry) => entry.summary)).toEqual([
        `Changed: Attach ${GUARD} to user alice.`,
        `Changed: Attach ${ADMIN} to user alice.`,
        `Changed: Detach ${ADMIN} from user alice.`,
        `Changed: Detach ${GUARD} from user alice.`,
        expect.stringContaining('role ops-admin'),
      ]);
      expect(entriesOf(record, 'grant')).toHaveLength(1);
    }
  });
});
