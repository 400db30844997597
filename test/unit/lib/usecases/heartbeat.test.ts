import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import type { CaseStore, RegionHeartbeat } from '../../../../lib/ports.ts';
import { HeartbeatFailedError, heartbeat } from '../../../../lib/usecases/heartbeat.ts';
import { RecordingWorkflow } from '../../../fixtures/workflow.ts';

const HOME = '111122223333';

/** Records each ping; the regions (or account/region) in `failing` refuse. */
function fakeHeartbeat(failing: Record<string, string> = {}): RegionHeartbeat & { pinged: string[] } {
  const pinged: string[] = [];
  return {
    pinged,
    async ping(region, accountId) {
      const where = accountId === HOME ? region : `${accountId}/${region}`;
      pinged.push(where);
      if (failing[where]) throw new Error(failing[where]);
    },
  };
}

const config = (regions: string[]) => ({
  verify: { marginMinutes: 5, waitSeconds: 300, maxAttempts: 6, regions },
});

/** No grants open: the sweep has nothing to do (test/integration/lib/usecases/grant-sweep.test.ts has grants). */
function quiet(cases: CaseStore = new FileCaseStore(mkdtempSync(join(tmpdir(), 'revoker-heartbeat-')))) {
  return {
    cases,
    homeAccountId: HOME,
    workflow: new RecordingWorkflow(),
    clock: new SimulatedClock(new Date('2026-01-15T10:00:00Z')),
  };
}

describe('heartbeat', () => {
  it('makes one call in every region of the trail', async () => {
    const regions = fakeHeartbeat();

    const result = await heartbeat({
      heartbeat: regions,
      config: config(['us-east-1', 'eu-west-1', 'ap-southeast-2']),
      ...quiet(),
    });

    expect(regions.pinged.sort()).toEqual(['ap-southeast-2', 'eu-west-1', 'us-east-1']);
    expect(result).toEqual({ pinged: ['us-east-1', 'eu-west-1', 'ap-southeast-2'], grantsEnded: [] });
  });

  it('still calls the other regions when one fails, then fails naming it and why', async () => {
    const regions = fakeHeartbeat({ 'eu-west-1': 'connect ETIMEDOUT' });

    const running = heartbeat({
      heartbeat: regions,
      config: config(['us-east-1', 'eu-west-1', 'ap-southeast-2']),
      ...quiet(),
    });

    await expect(running).rejects.toThrow(HeartbeatFailedError);
    await expect(running).rejects.toThrow(
      'heartbeat failed in eu-west-1 (connect ETIMEDOUT); sent in us-east-1, ap-southeast-2.',
    );
    expect(regions.pinged.sort()).toEqual(['ap-southeast-2', 'eu-west-1', 'us-east-1']);
  });

  it('in an organisation, makes one in every region of every enrolled account, naming each that fails', async () => {
    const regions = fakeHeartbeat({ '222233334444/eu-west-1': 'AccessDenied' });
    const accounts = {
      memberRoleName: 'revoker-member',
      enrolled: [{ id: '222233334444' }, { id: '333344445555' }],
    };

    const running = heartbeat({
      heartbeat: regions,
      config: { ...config(['us-east-1', 'eu-west-1']), accounts },
      ...quiet(),
    });

    await expect(running).rejects.toThrow('heartbeat failed in 222233334444/eu-west-1 (AccessDenied)');
    expect(regions.pinged.sort()).toEqual([
      '222233334444/eu-west-1',
      '222233334444/us-east-1',
      '333344445555/eu-west-1',
      '333344445555/us-east-1',
      'eu-west-1',
      'us-east-1',
    ]);
  });

  it('outside us-east-1, raises the alarm line until the global services’ events are forwarded', async () => {
    const alarms: Record<string, unknown>[] = [];
    const run = (region: string, forwarded: boolean) =>
      heartbeat({
        heartbeat: fakeHeartbeat(),
        config: config(['eu-west-1']),
        ...quiet(),
        globalEvents: { region, forwarded },
        alarm: (line) => void alarms.push(line),
      });

    await run('eu-west-1', false);
    await run('eu-west-1', true);
    await run('us-east-1', false);

    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ revokerAlarm: 'GlobalEventsUnseen', region: 'eu-west-1' });
    expect(String(alarms[0]!.message)).toContain('deploy member.yaml to us-east-1');
  });

  it('still calls every region when the open grants cannot be read, then fails saying so', async () => {
    const regions = fakeHeartbeat();
    const broken = quiet();
    // The case store, but for documents, which it cannot read just now.
    const cases: CaseStore = Object.assign(Object.create(broken.cases) as CaseStore, {
      readDocument: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
    });

    const running = heartbeat({ heartbeat: regions, config: config(['us-east-1']), ...broken, cases });

    await expect(running).rejects.toThrow(
      'overdue grants not ended: the open grants could not be read (ProvisionedThroughputExceededException).',
    );
    expect(regions.pinged).toEqual(['us-east-1']);
  });
});
