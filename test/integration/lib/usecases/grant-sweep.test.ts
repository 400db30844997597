// The heartbeat's sweep of grants on the local stand-ins (the IAM account with its guard, the
// case files, the file scheduler): a grant whose schedule is deleted or never fires still has
// its end started, exactly as the schedule's event would start it, and once whoever is first.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executionNameOf } from '../../../../lib/domain/case.ts';
import { OPEN_GRANT_LEASE_MS } from '../../../../lib/domain/jit.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { localGrantGuardArn, withGrantGuard } from '../../../../lib/local/grant-guard.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { FileScheduler } from '../../../../lib/local/scheduler.ts';
import type { IamGateway } from '../../../../lib/ports.ts';
import { closeCase } from '../../../../lib/usecases/cases.ts';
import { detect } from '../../../../lib/usecases/detect.ts';
import { guardHeldBy, noteOpenGrant, openGrants } from '../../../../lib/usecases/grant-documents.ts';
import { SWEEP_GRACE_MS, sweepOverdueGrants } from '../../../../lib/usecases/grant-sweep.ts';
import { grantAccess } from '../../../../lib/usecases/jit.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { RecordingDeadLetters, RecordingWorkflow } from '../../../fixtures/workflow.ts';

const ACCOUNT = '111122223333';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const POWER_USER = 'arn:aws:iam::aws:policy/PowerUserAccess';
const T0 = new Date('2026-01-15T10:00:00Z');

/** Records what it started, and each answer it gave: `started` once per name, then `already-started`. */
class AnsweringWorkflow extends RecordingWorkflow {
  readonly answers: string[] = [];
  override async start(name: string, input: unknown): Promise<'started' | 'already-started'> {
    const answer = await super.start(name, input);
    this.answers.push(answer);
    return answer;
  }
}

async function parts() {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-sweep-'));
  const account = new LocalIamAccount(join(directory, 'iam.json'));
  await account.save(withGrantGuard({ accountId: ACCOUNT, users: { alice: { arn: ALICE } } }));
  const clock = new SimulatedClock(T0);
  const cases = new FileCaseStore(join(directory, 'cases'));
  const schedules = join(directory, 'schedules');
  const scheduler = new FileScheduler(schedules);
  const workflow = new AnsweringWorkflow();
  const deadLetters = new RecordingDeadLetters();
  const config = await shippedConfig();
  const grant = (seconds: number, iam: IamGateway = account) =>
    grantAccess(
      {
        principalArn: ALICE,
        policyArn: POWER_USER,
        seconds,
        requestedBy: 'sam@example.com',
        requester: 'person:sam',
        reason: 'incident 42',
        region: 'us-east-1',
      },
      { iam, cases, clock, scheduler, config, grantGuard: localGrantGuardArn, sleep: async () => {} },
    );
  const sweep = () => sweepOverdueGrants({ cases, workflow, clock });
  /** What EventBridge Scheduler delivers at the grant's end. */
  const scheduled = async (at: Date) => (await scheduler.due(at)).map((due) => due.event);
  const deliver = (event: unknown) => detect(event, { cases, workflow, clock, config, deadLetters });
  const deleteSchedules = () => {
    for (const file of readdirSync(schedules)) rmSync(join(schedules, file));
  };
  return {
    account,
    cases,
    clock,
    workflow,
    grant,
    sweep,
    scheduled,
    deliver,
    deleteSchedules,
    scheduler,
    config,
  };
}

describe('the heartbeat’s sweep of grants', () => {
  it('starts the end of a grant whose schedule was deleted, once it is overdue, as the schedule would have', async () => {
    const { cases, clock, workflow, grant, sweep, deleteSchedules } = await parts();
    const granted = await grant(3600);
    deleteSchedules();

    clock.advance(3600);
    expect(await sweep()).toEqual({ started: [], failed: [] });
    expect(workflow.started.size).toBe(0);

    clock.advance(SWEEP_GRACE_MS / 1000);
    const swept = await sweep();

    expect(swept).toEqual({ started: [granted.grantId], failed: [] });
    const record = (await cases.get(granted.grantId))!;
    // The very execution the schedule's event starts: the case's own name and input.
    expect([...workflow.started]).toEqual([
      [executionNameOf(granted.grantId), record.header.execution.input],
    ]);
    expect(record.header.execution.started).toBe(true);
    expect(await openGrants(cases, clock.now())).toEqual({ grants: [] });
    expect(await sweep()).toEqual({ started: [], failed: [] });
  });

  it('reads the days from the earliest one listing an open grant to today; a day it emptied is not read again', async () => {
    const { cases, clock, grant, sweep, deleteSchedules } = await parts();
    const first = await grant(3600);
    clock.advance(1);
    const second = await grant(2 * 86_400);
    deleteSchedules();
    expect(await cases.readDocument('open-grants/from')).toMatchObject({ value: { day: '2026-01-15' } });

    clock.advance(86_400);
    expect(await sweep()).toEqual({ started: [first.grantId], failed: [] });
    expect(await cases.readDocument('open-grants/from')).toMatchObject({ value: { day: '2026-01-16' } });

    clock.advance(86_400 + SWEEP_GRACE_MS / 1000);
    expect(await sweep()).toEqual({ started: [second.grantId], failed: [] });
    expect(await openGrants(cases, clock.now())).toEqual({ grants: [] });
  });

  it('leaves to the schedule a grant it ended; a late schedule then changes nothing', async () => {
    const { clock, workflow, grant, sweep, scheduled, deliver } = await parts();
    const granted = await grant(3600);

    clock.advance(3600);
    const [fired] = await deliver((await scheduled(clock.now()))[0]);
    clock.advance(600);
    const swept = await sweep();

    expect(fired).toMatchObject({ status: 'joined', caseId: granted.grantId });
    expect(swept).toEqual({ started: [], failed: [] });
    expect(workflow.started.size).toBe(1);
  });

  it('the schedule and the sweep at the same moment start one execution between them', async () => {
    const { clock, workflow, grant, sweep, scheduled, deliver } = await parts();
    const grants = [await grant(3600)];
    clock.advance(1);
    grants.push(await grant(3599));

    clock.advance(3600 + SWEEP_GRACE_MS / 1000);
    const events = await scheduled(clock.now());
    const [swept, ...fired] = await Promise.all([sweep(), ...events.map((event) => deliver(event))]);

    expect([...workflow.started.keys()].sort()).toEqual(
      grants.map((granted) => executionNameOf(granted.grantId)).sort(),
    );
    // Each execution was started once; every other attempt found it started.
    expect(workflow.answers.filter((answer) => answer === 'started')).toHaveLength(2);
    expect(swept.failed).toEqual([]);
    expect(fired.flat().map((outcome) => outcome.status)).not.toContain('rejected');
  });

  it('starts the end of a grant an interruption stopped before it was recorded as granted', async () => {
    const { account, cases, clock, workflow, grant, sweep } = await parts();
    // The case, its schedule and the guard's holder are written; then the process stops.
    const stopped: IamGateway = {
      readState: (scope) => account.readState(scope),
      perform: async () => {
        throw new Error('the process stopped here');
      },
    };

    await expect(grant(3600, stopped)).rejects.toThrow('the process stopped here');

    clock.advance(3600 + SWEEP_GRACE_MS / 1000);
    const swept = await sweep();

    expect(swept.started).toHaveLength(1);
    expect(workflow.started.size).toBe(1);
    expect((await cases.list()).map((record) => record.entries.map((entry) => entry.step))).toEqual([
      ['opened'],
    ]);
  });

  it('leaves alone a grant listed before its case is opened (a retry long after its end) until its lease is up', async () => {
    const { cases, clock, sweep } = await parts();
    const retried = { grantId: 'jit-00000000000000000000beef', expiresAt: '2026-01-15T09:00:00Z' };
    // Listed now, an hour after its end; its case is still to be opened.
    await noteOpenGrant(cases, retried, clock.now());

    expect(await sweep()).toEqual({ started: [], failed: [] });
    clock.advance(OPEN_GRANT_LEASE_MS / 1000 - 1);
    expect(await sweep()).toEqual({ started: [], failed: [] });
    expect((await openGrants(cases, clock.now())).grants.map((entry) => entry.grantId)).toEqual([
      retried.grantId,
    ]);

    // Never opened: once the lease is up, it is forgotten.
    clock.advance(1);
    expect(await sweep()).toEqual({ started: [], failed: [] });
    expect((await openGrants(cases, clock.now())).grants).toEqual([]);
  });

  it('a sweep between a grant’s listing and its case never leaves that case open for good', async () => {
    const { account, cases, clock, workflow, scheduler, config, sweep } = await parts();
    // A grant of a minute, slow between listing itself and opening its case: its end passes, and
    // the heartbeat sweeps, just before the case is made.
    let swept: Awaited<ReturnType<typeof sweepOverdueGrants>> | null = null;
    const slow = Object.create(cases) as typeof cases;
    slow.create = async (header) => {
      clock.advance(60 + SWEEP_GRACE_MS / 1000);
      swept = await sweepOverdueGrants({ cases, workflow, clock });
      return cases.create(header);
    };

    await expect(
      grantAccess(
        {
          principalArn: ALICE,
          policyArn: POWER_USER,
          seconds: 60,
          requestedBy: 'alice',
          requester: 'person:alice',
          reason: 'r',
          region: 'us-east-1',
        },
        {
          iam: account,
          cases: slow,
          clock,
          scheduler,
          config,
          grantGuard: localGrantGuardArn,
          sleep: async () => {},
        },
      ),
    ).rejects.toThrow(/it ended at/);

    expect(swept).toEqual({ started: [], failed: [] });
    // Either its end runs or its case is closed: never an open case nothing ends, holding the guard.
    const [record] = await cases.list();
    expect(record!.header.outcome ?? (record!.header.execution.started ? 'ending' : 'open')).not.toBe('open');
    expect(
      await guardHeldBy(cases, {
        grantId: 'jit-000000000000000000000000',
        principalArn: ALICE,
        guardPolicyArn: localGrantGuardArn(ACCOUNT),
      }),
    ).toEqual([]);
    clock.advance(3600);
    await sweep();
    expect((await openGrants(cases, clock.now())).grants).toEqual([]);
  });

  it('forgets a grant whose case was closed meanwhile (a human ended it): nothing to start', async () => {
    const { cases, clock, workflow, grant, sweep } = await parts();
    const granted = await grant(3600);
    await closeCase(
      cases,
      granted.grantId,
      0,
      {
        outcome: 'needs-human',
        reason: 'ended by hand',
        summary: 'Ended by hand.',
        at: '2026-01-15T10:30:00Z',
      },
      true,
    );

    clock.advance(3600 + SWEEP_GRACE_MS / 1000);
    const swept = await sweep();

    expect(swept).toEqual({ started: [], failed: [] });
    expect(workflow.started.size).toBe(0);
    expect(await openGrants(cases, clock.now())).toEqual({ grants: [] });
  });
});
