import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { callerOf } from '../../../../lib/domain/access.ts';
import { createGrantHandler } from '../../../../lib/handlers/grant.ts';
import { FileAuditLog } from '../../../../lib/local/audit-log.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { localGrantGuardArn, withGrantGuard } from '../../../../lib/local/grant-guard.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { FileScheduler } from '../../../../lib/local/scheduler.ts';
import { LocalTaskCallbacks } from '../../../../lib/local/task-callbacks.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { listGrantRequests, requestGrant } from '../../../../lib/usecases/operator.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { RecordingDeadLetters } from '../../../fixtures/workflow.ts';

const ACCOUNT = '146450651832';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const CAROL = `arn:aws:iam::${ACCOUNT}:user/carol`;
const READ_ONLY = 'arn:aws:iam::aws:policy/job-function/ViewOnlyAccess';

async function handler() {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-grant-'));
  const iam = new LocalIamAccount(join(directory, 'iam.json'));
  await iam.save(
    withGrantGuard({ accountId: ACCOUNT, users: { alice: { arn: ALICE }, carol: { arn: CAROL } } }),
  );
  const clock = new SimulatedClock(new Date('2026-01-15T10:00:00Z'));
  const deadLetters = new RecordingDeadLetters();
  const deps = {
    config: await shippedConfig(),
    homeAccountId: ACCOUNT,
    cases: new FileCaseStore(join(directory, 'cases')),
    audit: new FileAuditLog(join(directory, 'audit.jsonl')),
    clock,
    iamFor: () => iam,
    scheduler: new FileScheduler(join(directory, 'schedules')),
    callbacks: new LocalTaskCallbacks(join(directory, 'callbacks'), clock),
    engine: { run: async () => ({ columns: [], rows: [], bytesScanned: null, engineMillis: 0 }) },
    runbooks: loadRunbooks(),
    grantGuard: localGrantGuardArn,
    deadLetters,
  };
  const grant = createGrantHandler(deps);
  return { iam, deps, deadLetters, invoke: (event: unknown) => grant(event, {} as Context) };
}

const announced = (detail: Record<string, unknown>) => ({
  version: '0',
  id: 'announcement-1',
  source: 'revoker.jit',
  'detail-type': 'Grant Requested',
  account: ACCOUNT,
  time: '2026-01-15T10:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
});

describe('the grant function', () => {
  it('grants nothing for an event that asks for a grant itself: it is dead-lettered with the reason', async () => {
    const { iam, deadLetters, invoke } = await handler();

    const outcome = await invoke(
      announced({
        principalArn: ALICE,
        policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
        duration: '7d',
        requestedBy: 'oncall',
      }),
    );

    expect(outcome).toMatchObject({
      status: 'rejected',
      reason: expect.stringContaining('through the operator API'),
    });
    expect(deadLetters.letters).toHaveLength(1);
    expect((await iam.load()).users.alice!.attachedPolicies).toEqual([]);
  });

  it('finishes a recorded request an interruption left approved, and notes one that waits', async () => {
    const { iam, deps, invoke } = await handler();
    // Carol asks for herself: a rule that needs no approval grants to the requester's own principal.
    const request = await requestGrant(
      callerOf(CAROL),
      { principalArn: CAROL, policyArn: READ_ONLY, duration: '2h', reason: 'incident 42' },
      {
        ...deps,
        // IAM answers the request's read, then becomes unreachable before the grant attaches.
        iamFor: () =>
          new Proxy(iam, {
            get: (target, name) =>
              name === 'readState'
                ? target.readState.bind(target)
                : () => {
                    throw new Error('IAM was unreachable');
                  },
          }),
      },
    ).catch(() => null);
    expect(request).toBeNull();
    const [left] = (await listGrantRequests(deps)).requests;
    expect(left?.status).toBe('approved');

    const finished = await invoke(announced({ requestId: left!.requestId }));
    const again = await invoke(announced({ requestId: left!.requestId }));

    expect(finished).toMatchObject({
      status: 'finished',
      reason: `grant request ${left!.requestId} is granted`,
    });
    expect(again).toMatchObject({ status: 'noted', reason: `grant request ${left!.requestId} is granted` });
    // The guard first, then the policy: what the deployed composition gives the grant function.
    expect((await iam.load()).users.carol!.attachedPolicies).toEqual([
      localGrantGuardArn(ACCOUNT),
      READ_ONLY,
    ]);
  });
});
