// The blast-radius cap under concurrency, on both real stores: thirty cases confirmed at once,
// each allowed to revoke automatically, with a cap of five per window. Every revocation
// reserves its place before any IAM change, so exactly five happen; the rest wait for a human.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entriesOf } from '../../../../lib/domain/case.ts';
import { type Trigger, TriggerSchema } from '../../../../lib/domain/trigger.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { revocationsInWindow } from '../../../../lib/usecases/cases.ts';
import { RevocationNeedsHumanError, revoke } from '../../../../lib/usecases/revoke.ts';
import { openTestCase } from '../../../fixtures/cases.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { type Dynalite, startDynalite, storesUnderTest } from '../../../fixtures/dynalite.ts';

const ACCOUNT = '111122223333';
const config = await shippedConfig();
let dynalite: Dynalite;

beforeAll(async () => {
  dynalite = await startDynalite();
});

afterAll(async () => {
  await dynalite.stop();
});

const STORES = storesUnderTest(() => dynalite);

/** A confirmed call by user-N's access key, from an address it never used. */
function triggerFor(index: number): Trigger {
  const userName = `user-${index}`;
  return TriggerSchema.parse({
    credentialId: `credential-${index}`,
    ruleId: 'access-key-for-another-user',
    eventId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    eventTime: '2026-01-15T12:00:00Z',
    eventSource: 'iam.amazonaws.com',
    eventName: 'CreateAccessKey',
    region: 'us-east-1',
    sourceIp: '198.51.100.23',
    userAgent: 'aws-cli/2.15.30',
    target: {
      kind: 'iam-user',
      accountId: ACCOUNT,
      userArn: `arn:aws:iam::${ACCOUNT}:user/${userName}`,
      userName,
      accessKeyId: `AKIAUSER${String(index).padStart(12, '0')}`,
    },
  });
}

describe.each(STORES)('revoke, thirty cases at once with a cap of five (%s)', (_name, makeStore) => {
  it('revokes exactly five automatically; the other twenty-five wait for a human, IAM untouched', async () => {
    const { store, close } = await makeStore();
    const iam = new LocalIamAccount(join(mkdtempSync(join(tmpdir(), 'revoker-iam-')), 'iam.json'));
    const triggers = Array.from({ length: 30 }, (_, index) => triggerFor(index));
    await iam.save({
      accountId: ACCOUNT,
      users: Object.fromEntries(
        triggers.map((_trigger, index) => [
          `user-${index}`,
          {
            arn: `arn:aws:iam::${ACCOUNT}:user/user-${index}`,
            accessKeys: [{ accessKeyId: `AKIAUSER${String(index).padStart(12, '0')}`, status: 'Active' }],
          },
        ]),
      ),
    });
    for (const [index, trigger] of triggers.entries())
      await openTestCase(store, trigger, { caseId: `case-${index}` });
    const deps = {
      iam,
      config,
      clock: new SimulatedClock(new Date('2026-01-15T12:05:00Z')),
      cases: store,
      sleep: async () => {},
    };
    expect(config.guardRails.maxRevocationsPerWindow).toBe(5);

    const results = await Promise.allSettled(
      triggers.map((trigger, index) => revoke({ caseId: `case-${index}`, trigger, revision: 0 }, deps)),
    );

    const revoked = results.filter((result) => result.status === 'fulfilled');
    const held = results.filter((result) => result.status === 'rejected');
    expect(revoked).toHaveLength(5);
    expect(held).toHaveLength(25);
    for (const result of held) {
      expect(result.reason).toBeInstanceOf(RevocationNeedsHumanError);
      expect(String(result.reason.message)).toContain('reach the cap of 5');
    }
    const records = await Promise.all(triggers.map((_, index) => store.get(`case-${index}`)));
    expect(records.filter((record) => entriesOf(record!, 'revoked').length === 1)).toHaveLength(5);
    expect(records.filter((record) => entriesOf(record!, 'revoke-held').length === 1)).toHaveLength(25);
    expect(records.filter((record) => entriesOf(record!, 'revoke-intent').length > 0)).toHaveLength(5);
    const state = await iam.load();
    const denied = Object.values(state.users).filter((user) => Object.keys(user.inlinePolicies).length > 0);
    expect(denied).toHaveLength(5);
    close();
  }, 60_000);
});

describe('revoke, when IAM already shows the plan', () => {
  it('takes no place in the window for a revocation that changes nothing', async () => {
    const { store, close } = await STORES[0]![1]();
    const iam = new LocalIamAccount(join(mkdtempSync(join(tmpdir(), 'revoker-iam-')), 'iam.json'));
    const trigger = triggerFor(0);
    await iam.save({
      accountId: ACCOUNT,
      users: {
        'user-0': {
          arn: `arn:aws:iam::${ACCOUNT}:user/user-0`,
          accessKeys: [{ accessKeyId: 'AKIAUSER000000000000', status: 'Active' }],
        },
      },
    });
    const deps = {
      iam,
      config,
      clock: new SimulatedClock(new Date('2026-01-15T12:05:00Z')),
      cases: store,
      sleep: async () => {},
    };
    await openTestCase(store, trigger, { caseId: 'case-0' });
    await revoke({ caseId: 'case-0', trigger: trigger, revision: 0 }, deps);
    expect(await revocationsInWindow(store, deps.clock.now(), config.guardRails)).toBe(1);

    // Another case of the same user (its console session, say), revoked when IAM already shows it all.
    const again = TriggerSchema.parse({
      ...trigger,
      credentialId: 'credential-0-console',
      eventId: '00000000-0000-4000-8000-00000000ffff',
    });
    await openTestCase(store, again, { caseId: 'case-0b' });
    const result = await revoke({ caseId: 'case-0b', trigger: again, revision: 0 }, deps);

    expect(result.actions.every((action) => action.status === 'already-applied')).toBe(true);
    expect(await revocationsInWindow(store, deps.clock.now(), config.guardRails)).toBe(1);
    close();
  });
});
