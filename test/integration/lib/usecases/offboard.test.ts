// Offboarding on generated logs whose answers are known: a person with an IAM user, who also
// worked through a shared deploy role under their source identity, and an Identity Center
// identity that created a user and a key.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { DuckDbQueryEngine } from '../../../../lib/local/duckdb-engine.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { type OffboardDependencies, offboard } from '../../../../lib/usecases/offboard.ts';
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

describe('offboard', () => {
  it('revokes the person’s user and keys, and only their sessions of the shared role', async () => {
    const result = await offboard({ person: PERSON, accountId: logs.account.id, dryRun: false }, deps);

    expect(result.plans.map((plan) => plan.target.kind)).toEqual(['iam-user', 'role-sessions']);
    const state = await iam.load();
    expect(state.users[PERSON]!.accessKeys.map((key) => key.status)).toEqual(['Inactive']);
    const roleDeny = JSON.parse(state.roles[DEPLOY_ROLE]!.inlinePolicies['revoker-revocation']!);
    // The deploy role is shared: the deny names the person's source identity, not every session.
    expect(roleDeny.Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceIdentity': PERSON },
      DateLessThan: { 'aws:TokenIssueTime': '2026-01-15T12:00:00Z' },
    });
    expect((await deps.cases.get(result.caseId))!.audit.map((entry) => entry.step)).toEqual([
      'revoke',
      'revoke',
      'offboard',
    ]);
  });

  it('hands what it cannot revoke alone to a human, by name', async () => {
    const result = await offboard({ person: PERSON_EMAIL, accountId: logs.account.id, dryRun: true }, deps);

    expect(result.plans).toEqual([]);
    expect(result.manualSteps).toEqual([
      expect.stringContaining(`what ${PERSON_EMAIL} created (CreateAccessKey`),
      expect.stringContaining(`what ${PERSON_EMAIL} created (CreateUser ${GHOST_USER})`),
      expect.stringMatching(/^Disable alice@example\.com in IAM Identity Center, .*AWSReservedSSO_/),
    ]);
  });
});
