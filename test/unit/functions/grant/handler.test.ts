import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createGrantHandler } from '../../../../functions/grant/handler.ts';
import { InvalidInputError } from '../../../../lib/edge.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { FileScheduler } from '../../../../lib/local/scheduler.ts';
import { shippedConfig } from '../../../fixtures/config.ts';

const ALICE = 'arn:aws:iam::111122223333:user/alice';

async function handler() {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-grant-'));
  const iam = new LocalIamAccount(join(directory, 'iam.json'));
  await iam.save({ accountId: '111122223333', users: { alice: { arn: ALICE } } });
  const scheduler = new FileScheduler(join(directory, 'schedules'));
  const cases = new FileCaseStore(join(directory, 'cases'));
  const grant = createGrantHandler({
    iam,
    cases,
    clock: new SimulatedClock(new Date('2026-01-15T10:00:00Z')),
    config: await shippedConfig(),
    scheduler,
  });
  return { iam, cases, scheduler, invoke: (event: unknown) => grant(event, {} as Context) };
}

const request = (detail: Record<string, unknown>) => ({
  version: '0',
  id: 'req-1',
  source: 'revoker.jit',
  'detail-type': 'Grant Requested',
  account: '111122223333',
  time: '2026-01-15T10:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
});

describe('the grant function', () => {
  it('grants what the request event asks for, and schedules its end', async () => {
    const { iam, cases, scheduler, invoke } = await handler();

    const grant = await invoke(
      request({
        principalArn: ALICE,
        policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        duration: '90m',
        requestedBy: 'access-bot',
      }),
    );

    expect(grant).toMatchObject({
      principalArn: ALICE,
      expiresAt: '2026-01-15T11:30:00Z',
      requestedBy: 'access-bot',
    });
    expect((await iam.load()).users.alice!.attachedPolicies).toEqual([
      'arn:aws:iam::aws:policy/ReadOnlyAccess',
    ]);
    expect(await scheduler.due(new Date('2026-01-15T11:30:00Z'))).toHaveLength(1);
    // The grant is a case from the start: open, its execution waiting for the grant's end.
    const record = await cases.get(grant.grantId);
    expect(record?.header).toMatchObject({ origin: 'grant', outcome: null, execution: { started: false } });
    expect(record?.entries.map((entry) => entry.step)).toEqual(['opened', 'grant']);
  });

  it('refuses a request that does not fit, naming the field, and grants nothing', async () => {
    const { iam, invoke } = await handler();

    await expect(
      invoke(
        request({
          principalArn: ALICE,
          policyArn: 'AdministratorAccess',
          duration: 'forever',
          requestedBy: 'x',
        }),
      ),
    ).rejects.toThrow(InvalidInputError);
    expect((await iam.load()).users.alice!.attachedPolicies).toEqual([]);
  });
});
