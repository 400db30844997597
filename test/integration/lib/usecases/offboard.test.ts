// Offboarding on generated logs whose answers are known: a person with an IAM user, who also
// worked through a shared deploy role under their source identity, and an Identity Center
// identity that created a user and a key.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseIdFor } from '../../../../lib/domain/case.ts';
import { OFFBOARDING_SEVERITY, offboardingTrigger } from '../../../../lib/domain/offboarding.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { DuckDbQueryEngine } from '../../../../lib/local/duckdb-engine.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { type OffboardDependencies, offboard } from '../../../../lib/usecases/offboard.ts';
import { RevocationNeedsHumanError } from '../../../../lib/usecases/revoke.ts';
import { openTestCase } from '../../../fixtures/cases.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import {
  DEPLOY_ROLE,
  END,
  GHOST_USER,
  type InvestigationLogs,
  PERSON,
  PERSON_EMAIL,
  writeInvestigationLogs,
} from '../../../fixtures/investigation-logs.ts';

let logs: InvestigationLogs;
let engine: DuckDbQueryEngine;
let deps: OffboardDependencies;
let iam: LocalIamAccount;

beforeAll(async () => {
  logs = writeInvestigationLogs();
  engine = await DuckDbQueryEngine.open(logs.root);
  const account = logs.account.id;
  iam = new LocalIamAccount(join(logs.root, 'iam', `${account}.json`));
  const person = logs.account.people.find((candidate) => candidate.name === PERSON)!;
  await iam.save({
    accountId: account,
    users: {
      [PERSON]: {
        arn: `arn:aws:iam::${account}:user/${PERSON}`,
        accessKeys: [{ accessKeyId: person.accessKeyId, status: 'Active' }],
      },
    },
    roles: { [DEPLOY_ROLE]: { arn: `arn:aws:iam::${account}:role/${DEPLOY_ROLE}`, path: '/' } },
  });
  deps = {
    engine,
    runbooks: loadRunbooks(),
    iam,
    config: await shippedConfig(),
    clock: new SimulatedClock(END),
    cases: new FileCaseStore(join(logs.root, 'cases')),
  };
});
afterAll(() => engine.close());

/**
 * The offboard task's input for `person`, as the offboarding event starts it: the event opens
 * the person's case, or finds it open from an earlier request.
 */
async function offboarding(person: string) {
  const trigger = offboardingTrigger(
    { person, accountId: logs.account.id, region: 'us-east-1', requestedBy: 'hr-system' },
    'event-1',
    '2026-01-15T12:00:00Z',
  );
  const caseId = caseIdFor(trigger.credentialId, 'offboarding:event-1');
  if (!(await deps.cases.get(caseId))) {
    await openTestCase(deps.cases, trigger, {
      caseId,
      origin: 'offboarding',
      ranking: { ruleId: trigger.ruleId, severity: OFFBOARDING_SEVERITY, response: 'auto-revoke' },
    });
  }
  return { caseId, trigger };
}

describe('offboard', () => {
  it('revokes the person’s user and keys, and only their sessions of the shared role', async () => {
    const result = await offboard(await offboarding(PERSON), deps);

    expect(result.plans.map((plan) => plan.target.kind)).toEqual(['iam-user', 'role-sessions']);
    const state = await iam.load();
    expect(state.users[PERSON]!.accessKeys.map((key) => key.status)).toEqual(['Inactive']);
    const roleDeny = JSON.parse(state.roles[DEPLOY_ROLE]!.inlinePolicies['revoker-revocation']!);
    // The deploy role is shared: the deny names the person's source identity, not every session.
    expect(roleDeny.Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceIdentity': PERSON },
      DateLessThan: { 'aws:TokenIssueTime': '2026-01-15T12:00:00Z' },
    });
    // One revocation per target, each an intent, its changes read back, and its end; then the inventory.
    expect((await deps.cases.get(result.caseId))!.entries.map((entry) => entry.step)).toEqual([
      'opened',
      'revoke-intent',
      'iam-change', // the user's deny
      'iam-change', // its key, deactivated
      'revoked',
      'revoke-intent',
      'iam-change', // the deploy role's deny of the person's sessions
      'revoked',
      'offboard',
    ]);
    // Verification looks for the user's calls, and for the person's sessions on the shared role only.
    expect(result.revocation.verify).toEqual([
      { principal: `arn:aws:iam::${logs.account.id}:user/${PERSON}`, sourceIdentity: '' },
      { principal: `arn:aws:iam::${logs.account.id}:role/${DEPLOY_ROLE}`, sourceIdentity: PERSON },
    ]);
  });

  it('asks a human when nothing the person holds can be revoked automatically', async () => {
    const attempt = offboard(await offboarding(PERSON_EMAIL), deps);

    await expect(attempt).rejects.toThrow(RevocationNeedsHumanError);
    await expect(attempt).rejects.toThrow(
      /^nothing alice@example\.com holds could be revoked automatically: /,
    );
  });

  it('hands what it cannot revoke alone to a human, by name', async () => {
    const result = await offboard({ ...(await offboarding(PERSON_EMAIL)), dryRun: true }, deps);

    expect(result.plans).toEqual([]);
    expect(result.manualSteps).toEqual([
      expect.stringContaining(`what ${PERSON_EMAIL} created (CreateAccessKey`),
      expect.stringContaining(`what ${PERSON_EMAIL} created (CreateUser ${GHOST_USER})`),
      expect.stringMatching(/^Disable alice@example\.com in IAM Identity Center, .*AWSReservedSSO_/),
    ]);
  });
});
