// Just-in-time grants on the embedded stand-ins: the local IAM account (which really holds the
// grant guard and evaluates it), the case files, the file scheduler, and DuckDB over log files
// holding the role session the grant let alice open.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entriesOf } from '../../../../lib/domain/case.ts';
import {
  type Grant,
  grantTrigger,
  MAX_OPEN_GRANTS_PER_REQUESTER,
  MAX_OWN_OPEN_GRANTS,
} from '../../../../lib/domain/jit.ts';
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
import type { CaseStore, IamGateway, Scheduler } from '../../../../lib/ports.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { closeCase } from '../../../../lib/usecases/cases.ts';
import { guardHeldBy, openGrants, readGrantIndex } from '../../../../lib/usecases/grant-documents.ts';
import { SWEEP_GRACE_MS, startGrantEnd, sweepOverdueGrants } from '../../../../lib/usecases/grant-sweep.ts';
import {
  expireGrant,
  type GrantDependencies,
  GrantRefusedError,
  grantAccess,
} from '../../../../lib/usecases/jit.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { type Dynalite, startDynalite, storesUnderTest } from '../../../fixtures/dynalite.ts';
import { RecordingWorkflow } from '../../../fixtures/workflow.ts';

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
  async perform(accountId: string, action: RevocationAction): Promise<void> {
    if (this.changes.length + 1 === this.failAt) {
      this.failAt = null;
      throw new Error('the process stopped here');
    }
    await this.meanwhile(action);
    this.changes.push(`${action.action} ${'policyArn' in action.input ? action.input.policyArn : ''}`);
    await this.account.perform(accountId, action);
  }
}

/**
 * The case files, with `before` run ahead of each write (the document's key, or `case:<id>` for
 * a case made and `entry:<step>` for an entry): whatever else happens at that moment.
 */
class HookedCases implements CaseStore {
  before: (write: string) => Promise<void> = async () => {};
  constructor(readonly store: CaseStore) {}
  get: CaseStore['get'] = (caseId) => this.store.get(caseId);
  list: CaseStore['list'] = () => this.store.list();
  readDocument: CaseStore['readDocument'] = (key) => this.store.readDocument(key);
  update: CaseStore['update'] = (caseId, version, header) => this.store.update(caseId, version, header);
  create: CaseStore['create'] = async (header) => {
    await this.before(`case:${header.caseId}`);
    return this.store.create(header);
  };
  append: CaseStore['append'] = async (caseId, entry) => {
    await this.before(`entry:${entry.step}`);
    return this.store.append(caseId, entry);
  };
  writeDocument: CaseStore['writeDocument'] = async (key, value, version) => {
    await this.before(key);
    return this.store.writeDocument(key, value, version);
  };
}

/** The local scheduler, with `before` run ahead of each schedule. */
class HookedScheduler implements Scheduler {
  before: (name: string) => Promise<void> = async () => {};
  constructor(readonly scheduler: FileScheduler) {}
  async scheduleOnce(...args: Parameters<Scheduler['scheduleOnce']>): Promise<void> {
    await this.before(args[0]);
    await this.scheduler.scheduleOnce(...args);
  }
}

async function parts(options: { guard?: boolean; configured?: boolean; store?: CaseStore } = {}) {
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
  const scheduler = new HookedScheduler(new FileScheduler(join(local, 'schedules')));
  const cases = new HookedCases(options.store ?? new FileCaseStore(join(local, 'cases')));
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
        requester: 'person:alice',
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
  return {
    iam,
    account,
    clock,
    scheduler: scheduler.scheduler,
    hooks: { cases, scheduler },
    cases,
    deps,
    grant,
    expire,
    held,
    judge,
  };
}

let dynalite: Dynalite;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'revoker-jit-'));
  writeLogs(join(directory, 'logs'));
  engine = await DuckDbQueryEngine.open(join(directory, 'logs'));
  dynalite = await startDynalite();
});
afterAll(async () => {
  engine.close();
  await dynalite.stop();
});

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
    // A role's session would carry none of the guard: she assumes none while it is on.
    expect(judge('sts:AssumeRole')).toMatch(/explicit deny/);
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
      requester: 'person:sam',
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
          requester: 'person:sam',
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
    await account.perform(ACCOUNT, {
      action: 'attach-user-policy',
      input: { userName: 'alice', policyArn: ADMIN },
    });

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

describe('a grant beginning as another grant of the principal ends', () => {
  // Each moment of the new grant at which the other's end can run from start to finish: before
  // it lists itself, opens its case, holds the guard, schedules its end, joins the index, attaches.
  const MOMENTS: [string, (write: string) => boolean][] = [
    ['listed for the heartbeat', (write) => /^open-grants\/\d/.test(write)],
    ['opening its case', (write) => write.startsWith('case:')],
    ['holding the guard', (write) => write.startsWith('grant-guard/')],
    ['scheduling its end', (write) => write === 'schedule'],
    ['joining the index', (write) => write.startsWith('grants/')],
    ['attaching', (write) => write === 'attach'],
  ];

  it.each(MOMENTS)(
    'the other’s end run when the new grant is %s: the guard is on under the new policy',
    async (_moment, at) => {
      const { iam, clock, hooks, grant, expire, held, judge } = await parts();
      const readOnly = await grant(3600, READ_ONLY);
      clock.advance(3600);
      let ended = false;
      const endHere = async (write: string) => {
        if (ended || !at(write)) return;
        ended = true;
        await expire(readOnly);
      };
      hooks.cases.before = endHere;
      hooks.scheduler.before = () => endHere('schedule');
      iam.meanwhile = (action) =>
        action.action === 'attach-user-policy' ? endHere('attach') : Promise.resolve();

      const admin = await grant(3600);

      expect(ended).toBe(true);
      expect((await held()).sort()).toEqual([ADMIN, GUARD].sort());
      expect(judge('states:SendTaskSuccess')).toMatch(/explicit deny/);
      // And its own end takes both away.
      clock.advance(3600);
      await expire(admin);
      expect(await held()).toEqual([]);
    },
  );

  it('an end stopped after taking the guard off, while the new grant came in, puts it back when run again', async () => {
    const { iam, clock, hooks, grant, expire, held, judge } = await parts();
    const readOnly = await grant(3600, READ_ONLY);
    clock.advance(3600);
    // The end lets go of the guard before the new grant holds it, and is held up just before the
    // guard's detach until the new grant has read IAM (guard on), attached its policy and looked again.
    let reached: () => void = () => {};
    const atDetach = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    iam.meanwhile = async (action) => {
      if (action.action === 'detach-user-policy' && action.input.policyArn === GUARD) {
        reached();
        await gate;
      }
    };
    let ending: Promise<unknown> | null = null;
    hooks.cases.before = async (write) => {
      if (ending || !/^open-grants\/\d/.test(write)) return;
      ending = expire(readOnly).catch((error: Error) => error.message);
      await atDetach;
    };

    await grant(3600);
    expect(await held()).toContain(GUARD);
    // The end detaches the guard and, seeing the new grant hold it, stops before attaching it again.
    iam.failAt = iam.changes.length + 2;
    open();

    expect(await ending).toBe('the process stopped here');
    expect(await held()).toEqual([ADMIN]);
    // Its retry finds the guard held by the new grant, and off: it puts it back.
    await expire(readOnly);

    expect((await held()).sort()).toEqual([ADMIN, GUARD].sort());
    expect(judge('states:SendTaskSuccess')).toMatch(/explicit deny/);
  });
});

describe.each(storesUnderTest(() => dynalite))('a grant stopped halfway (%s)', (_name, makeStore) => {
  const STEPS: [string, (write: string) => boolean][] = [
    ['listing itself for the heartbeat', (write) => /^open-grants\/\d/.test(write)],
    ['opening its case', (write) => write.startsWith('case:')],
    ['holding the guard', (write) => write.startsWith('grant-guard/')],
    ['scheduling its end', (write) => write === 'schedule'],
    ['joining the index', (write) => write.startsWith('grants/')],
    ['recording it granted', (write) => write === 'entry:grant'],
  ];

  it.each(STEPS)(
    'at %s keeps no other grant’s policy on; whatever it recorded is ended at its time',
    async (_step, at) => {
      const { store, close } = await makeStore();
      const { clock, cases, hooks, grant, expire, held } = await parts({ store });
      const first = await grant(4 * 3600);
      clock.advance(1800);
      let stopped = false;
      const stopHere = async (write: string) => {
        if (!stopped && at(write)) {
          stopped = true;
          throw new Error('the process stopped here');
        }
      };
      hooks.cases.before = stopHere;
      hooks.scheduler.before = () => stopHere('schedule');
      await expect(grant(4 * 3600)).rejects.toThrow('the process stopped here');
      hooks.cases.before = async () => {};
      hooks.scheduler.before = async () => {};

      // The first grant's end: the second was never granted, so nothing keeps the policy on.
      clock.advance(3.5 * 3600);
      const ended = await expire(first);
      expect(ended.kept).toBeNull();
      expect(await held()).not.toContain(ADMIN);

      // The second's time is up: the heartbeat starts its end if it got as far as being listed.
      clock.advance(3600 + SWEEP_GRACE_MS / 1000);
      const workflow = new RecordingWorkflow();
      const swept = await sweepOverdueGrants({ cases, workflow, clock });
      const second = (await cases.list()).find((record) => record.header.caseId !== first.grantId);
      if (second) {
        expect(swept.started).toEqual([second.header.caseId]);
        const recorded = second.header.execution.input.grant as Grant;
        await expire(recorded);
      } else {
        expect(swept.started).toEqual([]);
      }

      expect(await held()).toEqual([]);
      expect((await openGrants(cases, clock.now())).grants).toEqual([]);
      expect((await readGrantIndex(cases, ALICE)).grantIds).toEqual([]);
      expect(
        await guardHeldBy(cases, {
          grantId: 'jit-000000000000000000000000',
          principalArn: ALICE,
          guardPolicyArn: GUARD,
        }),
      ).toEqual([]);
      close();
    },
  );
});

describe('how many grants there may be', () => {
  const MAX = MAX_OWN_OPEN_GRANTS;
  /** Nothing of a refused grant is left: no hold of the guard, no listing, no place in the index; its case closed as refused. */
  const leftBehind = async (cases: CaseStore, refused: readonly string[]) => {
    const holders = await guardHeldBy(cases, {
      grantId: 'jit-000000000000000000000000',
      principalArn: ALICE,
      guardPolicyArn: GUARD,
    });
    const listed = (await openGrants(cases, new Date('2026-01-20T00:00:00Z'))).grants.map(
      (entry) => entry.grantId,
    );
    const indexed = (await readGrantIndex(cases, ALICE)).grantIds;
    const open = [];
    for (const id of refused) {
      const record = await cases.get(id);
      if (record && record.header.outcome !== 'refused') open.push(id);
    }
    return {
      held: refused.filter((id) => holders.includes(id)),
      listed: refused.filter((id) => listed.includes(id)),
      indexed: refused.filter((id) => indexed.includes(id)),
      open,
    };
  };

  it(`a principal holds at most ${MAX} open grants its own person asked for: the next is refused whole, and allowed once one ends`, async () => {
    const { clock, cases, grant, expire } = await parts();
    const grants: Grant[] = [];
    for (let n = 0; n < MAX; n++) {
      grants.push(await grant(3600 + n * 60, n % 2 ? READ_ONLY : ADMIN));
      clock.advance(1);
    }
    const before = (await cases.list()).length;

    await expect(grant(3600)).rejects.toThrow(
      new GrantRefusedError(
        `${ALICE} already holds ${MAX} open grants its own person asked for, the most it may (${MAX}): ask again when one has ended`,
      ),
    );
    expect((await cases.list()).length).toBe(before);

    clock.advance(3600);
    await expire(grants[0]!);
    await closeCase(
      cases,
      grants[0]!.grantId,
      0,
      { outcome: 'contained', reason: 'ended', summary: 'Ended.', at: toInstantOf(clock) },
      true,
    );
    await expect(grant(3600)).resolves.toMatchObject({ principalArn: ALICE });
    // The ended grant left the index as its end finished: the index lists only open grants.
    expect((await readGrantIndex(cases, ALICE)).grantIds).toHaveLength(MAX);
    expect((await readGrantIndex(cases, ALICE)).grantIds).not.toContain(grants[0]!.grantId);
  });

  it('grants asked for at once pass the cap no further, and those refused leave nothing behind', async () => {
    const { cases, deps, held } = await parts();
    const asked = 26;
    const results = await Promise.allSettled(
      Array.from({ length: asked }, (_, n) =>
        grantAccess(
          {
            principalArn: ALICE,
            policyArn: READ_ONLY,
            seconds: 8 * 3600,
            requestedBy: 'alice',
            requester: 'person:alice',
            reason: `ask ${n}`,
            region: 'us-east-1',
            grantedAt: new Date(T0.getTime() + n * 1000),
          },
          deps,
        ),
      ),
    );
    const granted = results.flatMap((result) =>
      result.status === 'fulfilled' ? [result.value.grantId] : [],
    );
    const refusals = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as Error] : [],
    );

    expect(granted).toHaveLength(MAX);
    expect(refusals).toHaveLength(asked - MAX);
    for (const refusal of refusals) expect(refusal).toBeInstanceOf(GrantRefusedError);
    const refused = (await cases.list())
      .map((record) => record.header.caseId)
      .filter((id) => !granted.includes(id));
    expect(await leftBehind(cases, refused)).toEqual({ held: [], listed: [], indexed: [], open: [] });
    expect((await readGrantIndex(cases, ALICE)).grantIds.sort()).toEqual([...granted].sort());
    expect((await held()).sort()).toEqual([GUARD, READ_ONLY].sort());
  });

  it(`someone else’s grants (${MAX_OPEN_GRANTS_PER_REQUESTER} at most each) never use up the principal’s own`, async () => {
    const { clock, deps, grant } = await parts();
    const bySam = (n: number) =>
      grantAccess(
        {
          principalArn: ALICE,
          policyArn: READ_ONLY,
          seconds: 8 * 3600,
          requestedBy: 'sam@example.com (approved by oncall)',
          requester: 'person:sam',
          reason: `sam ${n}`,
          region: 'us-east-1',
        },
        deps,
      );
    for (let n = 0; n < MAX_OPEN_GRANTS_PER_REQUESTER; n++) {
      await bySam(n);
      clock.advance(1);
    }

    await expect(bySam(99)).rejects.toThrow(
      `already holds ${MAX_OPEN_GRANTS_PER_REQUESTER} open grants you asked for, the most one other person may ask for`,
    );
    for (let n = 0; n < MAX; n++) {
      await expect(grant(3600)).resolves.toMatchObject({ principalArn: ALICE });
      clock.advance(1);
    }
  });
});

describe('a grant finished after its end (a request an interruption left approved)', () => {
  /** The request as the operator API finishes it: always at the time it was approved. */
  const asApproved = (deps: GrantDependencies, at: Date) =>
    grantAccess(
      {
        principalArn: ALICE,
        policyArn: ADMIN,
        seconds: 3600,
        requestedBy: 'sam@example.com (approved by oncall)',
        requester: 'person:sam',
        reason: 'incident 42',
        region: 'us-east-1',
        grantedAt: at,
      },
      deps,
    );

  it('is refused once its case is closed: nothing is attached, and no hold of the guard is left', async () => {
    const { iam, clock, cases, deps, expire, held } = await parts();
    iam.failAt = 2;
    await expect(asApproved(deps, T0)).rejects.toThrow('the process stopped here');
    expect(await held()).toEqual([GUARD]);
    const [record] = await cases.list();
    const granted = record!.header.execution.input.grant as Grant;
    clock.advance(3600);
    await expire(granted);
    await closeCase(
      cases,
      granted.grantId,
      0,
      { outcome: 'contained', reason: 'ended', summary: 'Ended.', at: toInstantOf(clock) },
      true,
    );
    expect(await held()).toEqual([]);

    clock.advance(600);
    await expect(asApproved(deps, T0)).rejects.toThrow(
      new GrantRefusedError(`grant ${granted.grantId} is not attached: its case is closed (contained)`),
    );

    expect(await held()).toEqual([]);
    expect(
      await guardHeldBy(cases, {
        ...granted,
        grantId: 'jit-000000000000000000000000',
        guardPolicyArn: GUARD,
      }),
    ).toEqual([]);
  });

  it('is refused once its end has begun (its execution started), before the case closes', async () => {
    const { iam, clock, cases, deps, held } = await parts();
    iam.failAt = 2;
    await expect(asApproved(deps, T0)).rejects.toThrow('the process stopped here');
    const [record] = await cases.list();
    clock.advance(3600);
    const started = await startGrantEnd(
      record!.header.caseId,
      { cases, workflow: new RecordingWorkflow(), clock },
      0,
    );
    expect(started.status).toBe('joined');

    await expect(asApproved(deps, T0)).rejects.toThrow(/its end has begun/);
    expect(await held()).toEqual([GUARD]);
  });

  it('is refused whole when its end has passed before anything was recorded: nothing is written', async () => {
    const { cases, clock, deps, held } = await parts();
    clock.advance(2 * 3600);

    await expect(asApproved(deps, T0)).rejects.toThrow(
      /is not attached: it ended at 2026-01-15T11:00:00Z, before it could be granted/,
    );

    expect(await held()).toEqual([]);
    expect(await cases.list()).toEqual([]);
    expect((await openGrants(cases, clock.now())).grants).toEqual([]);
  });

  it('refused by a scheduler whose clock has passed its end, it is refused whole: its case closes as refused, nothing left held, listed or indexed', async () => {
    const { cases, clock, deps, held } = await parts();
    // EventBridge Scheduler's clock, a little ahead of the one that judged the grant still live.
    const ahead = new SimulatedClock(new Date(T0.getTime() + 3601_000));
    const scheduler = new FileScheduler(join(mkdtempSync(join(directory, 'late-')), 'schedules'), ahead);

    await expect(asApproved({ ...deps, scheduler }, T0)).rejects.toThrow(
      /is not attached: it ended at 2026-01-15T11:00:00Z, before it could be granted/,
    );

    expect(await held()).toEqual([]);
    const [record] = await cases.list();
    expect(record!.header).toMatchObject({ outcome: 'refused' });
    expect(entriesOf(record!, 'close')[0]!.detail).toMatchObject({ outcome: 'refused' });
    expect((await openGrants(cases, clock.now())).grants).toEqual([]);
    expect((await readGrantIndex(cases, ALICE)).grantIds).toEqual([]);
    expect(
      await guardHeldBy(cases, {
        grantId: 'jit-000000000000000000000000',
        principalArn: ALICE,
        guardPolicyArn: GUARD,
      }),
    ).toEqual([]);
    // The heartbeat finds nothing to end.
    clock.advance(2 * 3600);
    expect(await sweepOverdueGrants({ cases, workflow: new RecordingWorkflow(), clock })).toEqual({
      started: [],
      failed: [],
    });
  });
});

describe('a grant of the same policy beginning while another reads the principal', () => {
  // The other grant (B) reads alice in IAM several times: before it is listed, to decide whether
  // she holds the policy outside any grant, to attach, and to look again. A grant of the same
  // policy (A) is made from start to finish during each of them in turn.
  it.each([1, 2, 3, 4])(
    'made during B’s read number %i, it never makes B standing access: after both ends the policy is gone',
    async (readNumber) => {
      const { iam, clock, deps, expire, held } = await parts();
      const ask = (seconds: number, gateway: IamGateway = iam) =>
        grantAccess(
          {
            principalArn: ALICE,
            policyArn: ADMIN,
            seconds,
            requestedBy: 'sam@example.com (approved by oncall)',
            requester: 'person:sam',
            reason: 'incident 42',
            region: 'us-east-1',
          },
          { ...deps, iam: gateway },
        );
      let reads = 0;
      let a: Grant | null = null;
      const racing: IamGateway = {
        readState: async (scope) => {
          if (scope.users.includes('alice') && ++reads === readNumber) {
            clock.advance(1);
            a = await ask(3600);
          }
          return iam.readState(scope);
        },
        perform: (accountId, action) => iam.perform(accountId, action),
      };

      const b = await ask(2 * 3600, racing);

      expect(a).not.toBeNull();
      expect(b.heldBefore).toBe(false);
      expect(a!.heldBefore).toBe(false);
      clock.advance(3600);
      expect((await expire(a!)).kept).toMatch(/still live/);
      clock.advance(3600);
      expect((await expire(b)).kept).toBeNull();
      expect(await held()).toEqual([]);
    },
  );

  it('a grant of a policy the principal holds outside any grant stays standing access beside another such grant', async () => {
    const { account, clock, grant, expire, held } = await parts();
    await account.perform(ACCOUNT, {
      action: 'attach-user-policy',
      input: { userName: 'alice', policyArn: ADMIN },
    });
    const first = await grant(3600);
    clock.advance(600);
    const second = await grant(3600);

    expect([first.heldBefore, second.heldBefore]).toEqual([true, true]);
    clock.advance(3000);
    await expire(first);
    clock.advance(600);
    await expire(second);
    expect(await held()).toEqual([ADMIN]);
  });
});

describe('a grant whose own end begins while it attaches', () => {
  it('takes away what it attached and is refused: its end, which found nothing attached, is not left with the policy on', async () => {
    const { iam, clock, cases, deps, held, judge, expire } = await parts();
    let endedDuring: string[] | null = null;
    // The minute is up while the grant attaches its policy: its schedule fires and its end runs
    // (from start to finish) before the attach is made.
    iam.meanwhile = async (action) => {
      if (endedDuring || action.action !== 'attach-user-policy' || action.input.policyArn !== ADMIN) return;
      const [record] = await cases.list();
      clock.advance(60);
      const ended = await expire(record!.header.execution.input.grant as Grant);
      endedDuring = ended.actions.map((step) => `${step.description} (${step.status})`);
    };

    await expect(
      grantAccess(
        {
          principalArn: ALICE,
          policyArn: ADMIN,
          seconds: 60,
          requestedBy: 'sam@example.com (approved by oncall)',
          requester: 'person:sam',
          reason: 'incident 42',
          region: 'us-east-1',
        },
        deps,
      ),
    ).rejects.toThrow(/its end has begun while it was attached: what it attached was taken away again/);

    expect(endedDuring).not.toBeNull();
    expect(await held()).toEqual([]);
    expect(judge('sts:AssumeRole')).toBeNull();
    const [record] = await cases.list();
    expect(entriesOf(record!, 'grant')).toEqual([]);
    // The end found the policy not yet attached and took the guard off; the grant put the guard
    // back under its policy, then, seeing its end begun, took both away.
    expect(entriesOf(record!, 'iam-change').map((entry) => entry.summary)).toEqual([
      `Changed: Attach ${GUARD} to user alice.`,
      `Already so: Detach ${ADMIN} from user alice.`,
      `Changed: Detach ${GUARD} from user alice.`,
      `Changed: Attach ${ADMIN} to user alice.`,
      `Changed: Attach ${GUARD} to user alice.`,
      `Changed: Detach ${ADMIN} from user alice.`,
      `Changed: Detach ${GUARD} from user alice.`,
    ]);
    expect(
      await guardHeldBy(cases, {
        grantId: 'jit-000000000000000000000000',
        principalArn: ALICE,
        guardPolicyArn: GUARD,
      }),
    ).toEqual([]);
    expect((await readGrantIndex(cases, ALICE)).grantIds).toEqual([]);
  });

  it('an end that begins once the grant has looked again finds the policy attached and takes it away', async () => {
    const { clock, cases, hooks, deps, held, expire } = await parts();
    let granted: Grant | null = null;
    // The end starts just as the grant records itself granted: after its last look at the case.
    hooks.cases.before = async (write) => {
      if (write !== 'entry:grant' || granted) return;
      const [record] = await cases.list();
      granted = record!.header.execution.input.grant as Grant;
      clock.advance(60);
      await expire(granted);
    };

    await grantAccess(
      {
        principalArn: ALICE,
        policyArn: ADMIN,
        seconds: 60,
        requestedBy: 'sam@example.com (approved by oncall)',
        requester: 'person:sam',
        reason: 'incident 42',
        region: 'us-east-1',
      },
      deps,
    );

    expect(granted).not.toBeNull();
    expect(await held()).toEqual([]);
  });
});

function toInstantOf(clock: SimulatedClock): string {
  return clock
    .now()
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
}
