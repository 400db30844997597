import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepFunctionsWorkflow } from '../../../../lib/aws/step-functions.ts';
import { type Case, entriesOf, isOpen } from '../../../../lib/domain/case.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import type { CaseStore, WorkflowStarter } from '../../../../lib/ports.ts';
import { closeCase } from '../../../../lib/usecases/cases.ts';
import { type DetectOutcome, detect } from '../../../../lib/usecases/detect.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { type Dynalite, startDynalite, storesUnderTest } from '../../../fixtures/dynalite.ts';
import {
  deliverShuffled,
  type EscalatingAttack,
  escalatingAttack,
} from '../../../fixtures/escalating-attack.ts';
import { RecordingDeadLetters, RecordingWorkflow } from '../../../fixtures/workflow.ts';

const config = await shippedConfig();
let attack: EscalatingAttack;
let dynalite: Dynalite;

beforeAll(async () => {
  [attack, dynalite] = await Promise.all([escalatingAttack(), startDynalite()]);
});

afterAll(async () => {
  await dynalite.stop();
});

const STORES = storesUnderTest(() => dynalite);

function parts(
  store: CaseStore,
  workflow: WorkflowStarter = new RecordingWorkflow(),
  clock = new SimulatedClock(attack.end),
) {
  return { cases: store, workflow, clock, config, deadLetters: new RecordingDeadLetters() };
}

/** The case each outcome went to (a delivery taken in elsewhere at the same moment has none). */
function casesOf(outcomes: DetectOutcome[]): Set<string> {
  return new Set(
    outcomes.flatMap((outcome) => ('caseId' in outcome && outcome.caseId ? [outcome.caseId] : [])),
  );
}

/** The events a case took in: the one that opened it, and each that joined or raised it. */
function eventsOn(record: Case): string[] {
  return record.entries.flatMap((entry) =>
    entry.step === 'opened' || entry.step === 'detection' || entry.step === 'raise'
      ? [entry.detail.eventKey]
      : [],
  );
}

describe.each(STORES)('the case lifecycle on %s', (_name, makeStore) => {
  it('1,000 deliveries of the attack, duplicated, shuffled and partly concurrent: one case, each call on it once, raised to its worst', async () => {
    const { store, close } = await makeStore();
    const workflow = new RecordingWorkflow();
    const deps = parts(store, workflow);
    const outcomes = await deliverShuffled(attack.envelopes, 1000, 'deliveries', (envelope) =>
      detect(envelope, deps),
    );

    const caseIds = casesOf(outcomes);
    expect(caseIds.size).toBe(1);
    const record = (await store.get([...caseIds][0]!))!;
    const events = eventsOn(record);
    expect(events.sort()).toEqual([...attack.detected].sort());
    expect(outcomes.filter((outcome) => outcome.status === 'opened')).toHaveLength(1);
    // The notify-only command opened it (the first call); the trail stopped made it critical, the
    // shared snapshot and the key for another user made its response automatic.
    expect(record.header.standing).toMatchObject({ severity: 'critical', response: 'auto-revoke' });
    expect(entriesOf(record, 'raise').length).toBe(record.header.revision);
    expect(record.header.revision).toBeGreaterThanOrEqual(1);
    expect([...workflow.started.keys()]).toEqual([record.header.execution.name]);
    expect(record.header.execution.started).toBe(true);
    close();
  }, 120_000);

  it('a duplicate delivery of the same event never opens or raises twice, even after its case closed', async () => {
    const { store, close } = await makeStore();
    const deps = parts(store);
    const [first, second] = attack.envelopes;

    const [opened] = await detect(first!, deps);
    const [raised] = await detect(second!, deps);
    const [again] = await detect(second!, deps);
    const caseId = (opened as { caseId: string }).caseId;
    const before = (await store.get(caseId))!;
    await closeCase(store, caseId, before.header.revision, {
      outcome: 'benign',
      reason: 'a test',
      summary: 'benign: a test',
      at: '2026-01-15T12:30:00Z',
    });
    const [late] = await detect(first!, deps);

    expect([opened?.status, raised?.status, again?.status, late?.status]).toEqual([
      'opened',
      'raised',
      'duplicate',
      'duplicate',
    ]);
    const after = (await store.get(caseId))!;
    expect(after.header.revision).toBe(1);
    expect(eventsOn(after)).toEqual([first!.detail.eventID, second!.detail.eventID]);
    close();
  });

  it('calls racing the close each land once: on the case before it closed, or on the one new case after', async () => {
    const { store, close } = await makeStore();
    const deps = parts(store);
    const [opening] = await detect(attack.envelopes[0]!, deps);
    const firstCase = (opening as { caseId: string }).caseId;
    // 40 more calls by the same key that rank no higher: each joins, or opens the next case.
    const calls = Array.from({ length: 40 }, (_, index) => ({
      ...attack.envelopes[0]!,
      id: `racer-${index}`,
      detail: {
        ...attack.envelopes[0]!.detail,
        eventID: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      },
    }));

    const [outcomes] = await Promise.all([
      Promise.all(calls.map((call) => detect(call, deps))),
      closeCase(store, firstCase, 0, {
        outcome: 'notified',
        reason: 'a test',
        summary: 'notified',
        at: '2026-01-15T12:30:00Z',
      }),
    ]);

    const landed = casesOf(outcomes.flat());
    const records = await Promise.all(
      [...new Set([firstCase, ...landed])].map(async (id) => (await store.get(id))!),
    );
    const open = records.filter((record) => isOpen(record.header));
    expect(open.length).toBeLessThanOrEqual(1);
    for (const record of open) expect(record.header.previousCaseId).toBe(firstCase);
    const all = records.flatMap(eventsOn);
    expect(all.sort()).toEqual(
      [attack.envelopes[0]!.detail.eventID, ...calls.map((call) => call.detail.eventID)].sort(),
    );
    // Nothing joined the first case after its close.
    const closed = records.find((record) => record.header.caseId === firstCase)!;
    const closedAt = entriesOf(closed, 'close')[0]!.seq;
    expect(closed.entries.filter((entry) => entry.step === 'detection' && entry.seq > closedAt)).toEqual([]);
    close();
  });
});

/**
 * Step Functions as StartExecution behaves: a name is unique per state machine; the same name
 * and input while it runs is accepted again; any other reuse within 90 days of its close is
 * refused with ExecutionAlreadyExists.
 */
function stepFunctionsFake() {
  const executions = new Map<string, { input: string; closedAt: Date | null }>();
  const client = new SFNClient({ region: 'us-east-1' });
  mockClient(client)
    .on(StartExecutionCommand)
    .callsFake((command: { name: string; input: string }) => {
      const known = executions.get(command.name);
      if (known && !(known.closedAt === null && known.input === command.input)) {
        const error = new Error(`Execution Already Exists: '${command.name}'`);
        error.name = 'ExecutionAlreadyExists';
        throw error;
      }
      executions.set(command.name, { input: command.input, closedAt: null });
      return { executionArn: `arn:aws:states:us-east-1:111122223333:execution:revoker:${command.name}` };
    });
  return {
    workflow: new StepFunctionsWorkflow(client, 'arn:aws:states:us-east-1:111122223333:stateMachine:revoker'),
    executions,
    close(name: string, at: Date) {
      executions.get(name)!.closedAt = at;
    },
  };
}

/** Where a case's execution starts: the local runner's names, or Step Functions (the fake above). */
const WORLDS: [
  string,
  number,
  () => { workflow: WorkflowStarter; names: () => string[]; close(name: string, at: Date): void },
][] = [
  [
    'locally (the file store, the local runner)',
    0,
    () => {
      const workflow = new RecordingWorkflow();
      return { workflow, names: () => [...workflow.started.keys()], close() {} };
    },
  ],
  [
    'in AWS mode (DynamoDB on dynalite, Step Functions refusing a name reused within 90 days)',
    1,
    () => {
      const sfn = stepFunctionsFake();
      return { workflow: sfn.workflow, names: () => [...sfn.executions.keys()], close: sfn.close };
    },
  ],
];

describe('a closed case, then a worse call a day later', () => {
  it.each(WORLDS)(
    'opens a new case linked to the closed one, under a name of its own (%s)',
    async (_name, storeIndex, makeWorld) => {
      const { store, close } = await STORES[storeIndex]![1]();
      const world = makeWorld();
      const clock = new SimulatedClock(attack.end);
      const deps = parts(store, world.workflow, clock);
      const command = attack.envelopes[0]!;
      const trailStopped = attack.envelopes.find((envelope) => envelope.detail.eventName === 'StopLogging')!;

      const [first] = await detect(command, deps);
      const firstCase = (first as { caseId: string }).caseId;
      await closeCase(store, firstCase, 0, {
        outcome: 'benign',
        reason: 'cleared',
        summary: 'benign: cleared',
        at: '2026-01-15T12:10:00Z',
      });
      world.close(`case-${firstCase}`, new Date('2026-01-15T12:10:00Z'));
      clock.advance(86_400);
      const dayLater = {
        ...trailStopped,
        id: 'a-day-later',
        time: '2026-01-16T12:00:00Z',
        detail: {
          ...trailStopped.detail,
          eventID: 'f0000000-0000-4000-8000-000000000001',
          eventTime: '2026-01-16T12:00:00Z',
        },
      };
      const [second] = await detect(dayLater, deps);

      expect(second).toMatchObject({ status: 'opened', ruleId: 'cloudtrail-stopped-or-deleted' });
      const secondCase = (second as { caseId: string }).caseId;
      expect(secondCase).not.toBe(firstCase);
      const record = (await store.get(secondCase))!;
      expect(record.header.previousCaseId).toBe(firstCase);
      expect(record.header.execution.started).toBe(true);
      expect(world.names()).toEqual([`case-${firstCase}`, `case-${secondCase}`]);
      close();
    },
  );
});

describe('a delivery that stopped halfway, taken in again', () => {
  it.each(STORES)(
    'records the raise it made before stopping, and interrupts a stale wait (%s)',
    async (_name, makeStore) => {
      const { store, close } = await makeStore();
      const failed: { token: string; error: string }[] = [];
      const callbacks = {
        succeed: async () => {},
        heartbeat: async () => {},
        fail: async (token: string, error: string) => {
          failed.push({ token, error });
        },
      };
      const deps = { ...parts(store), callbacks };
      const [opened] = await detect(attack.envelopes[0]!, deps);
      const caseId = (opened as { caseId: string }).caseId;
      // The case waits for a human on revision 0.
      await store.append(caseId, {
        id: 'escalate:waiting',
        at: '2026-01-15T12:01:00Z',
        step: 'escalate',
        summary: 'waiting',
        detail: {
          from: 'confirm',
          reason: 'ambiguous',
          taskToken: 'token-0',
          acknowledgeBy: '2026-01-15T12:16:00Z',
          decideBy: '2026-01-15T13:01:00Z',
          onTimeout: 'expire',
          links: [],
          refused: [],
          planPreview: '-',
          revision: 0,
        },
      });
      const trailStopped = attack.envelopes.find((envelope) => envelope.detail.eventName === 'StopLogging')!;
      // The first delivery raised the header, then stopped before its entry and the interrupt.
      const [first] = await detect(trailStopped, { ...parts(store) });
      expect(first?.status).toBe('raised');
      const record = (await store.get(caseId))!;
      const raiseEntry = record.entries.find((entry) => entry.step === 'raise')!;
      // The same case as a crash right after that compare-and-set leaves it: raised, with no raise
      // entry, the wait not interrupted, the delivery not marked done.
      const { header } = record;
      const fresh = (await makeStore()).store;
      await fresh.create(header);
      for (const { seq: _seq, ...entry } of record.entries.filter(
        (candidate) => candidate.id !== raiseEntry.id,
      ))
        await fresh.append(caseId, entry);
      await fresh.writeDocument(
        `credential/${header.credentialId}`,
        { caseId, header, opened: record.entries[0] },
        null,
      );

      const [retried] = await detect(trailStopped, { ...parts(fresh), callbacks });

      expect(retried?.status).toBe('raised');
      const after = (await fresh.get(caseId))!;
      expect(after.entries.filter((entry) => entry.step === 'raise')).toEqual([
        expect.objectContaining({
          detail: expect.objectContaining({
            eventName: 'StopLogging',
            to: expect.objectContaining({ severity: 'critical' }),
            revision: 1,
          }),
        }),
      ]);
      expect(failed).toEqual([{ token: 'token-0', error: 'revoker.Raised' }]);
      close();
    },
  );
});

describe('closing after a step failed', () => {
  it.each(STORES)(
    'closes as needs-human even though the case was raised since (%s)',
    async (_name, makeStore) => {
      const { store, close } = await makeStore();
      const deps = parts(store);
      const [opened] = await detect(attack.envelopes[0]!, deps);
      const caseId = (opened as { caseId: string }).caseId;
      await detect(attack.envelopes.find((envelope) => envelope.detail.eventName === 'StopLogging')!, deps);
      const closing = {
        outcome: 'needs-human' as const,
        reason: 'confirm failed',
        summary: 'needs-human: confirm failed',
        at: '2026-01-15T12:30:00Z',
      };

      const conditional = await closeCase(store, caseId, 0, closing);
      const forced = await closeCase(store, caseId, 0, closing, true);

      expect(conditional.status).toBe('raised');
      expect(forced.status).toBe('closed');
      expect((await store.get(caseId))!.header.outcome).toBe('needs-human');
      close();
    },
  );
});
