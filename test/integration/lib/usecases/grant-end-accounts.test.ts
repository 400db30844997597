// A grant's end denies the sessions its grantee opened, which may be roles in other accounts:
// each in its own account's mode and enrolment. A member kept in dry run is planned and not
// watched as if denied; a session in an account revoker does not act in is left to a human and
// stops none of the others.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccountsSchema } from '../../../../lib/domain/accounts.ts';
import { entriesOf } from '../../../../lib/domain/case.ts';
import { grantTrigger } from '../../../../lib/domain/jit.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { localGrantGuardArn, withGrantGuard } from '../../../../lib/local/grant-guard.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { localEnrolledIam, SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { FileScheduler } from '../../../../lib/local/scheduler.ts';
import type { QueryEngine } from '../../../../lib/ports.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { expireGrant, grantAccess } from '../../../../lib/usecases/jit.ts';
import { shippedConfig } from '../../../fixtures/config.ts';

const HOME = '111122223333';
const MEMBER = '222233334444';
const OUTSIDE = '999900001111';
const ALICE = `arn:aws:iam::${HOME}:user/alice`;
const MEMBER_ROLE = `arn:aws:iam::${MEMBER}:role/ops-admin`;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

/** Alice granted AdministratorAccess at home for an hour, with these sessions opened under it. */
async function grantWithSessions(
  memberMode: 'dry-run' | 'enforce',
  sessions: { role_arn: string; session_user_id: string }[],
) {
  const directory = mkdtempSync(join(tmpdir(), 'revoker-grant-accounts-'));
  const home = new LocalIamAccount(LocalIamAccount.pathFor(join(directory, 'iam'), HOME));
  await home.save(withGrantGuard({ accountId: HOME, users: { alice: { arn: ALICE, accessKeys: [] } } }));
  const member = new LocalIamAccount(LocalIamAccount.pathFor(join(directory, 'iam'), MEMBER));
  await member.save({ accountId: MEMBER, roles: { 'ops-admin': { arn: MEMBER_ROLE, path: '/' } } });
  const config = {
    ...(await shippedConfig()),
    mode: 'enforce' as const,
    accounts: AccountsSchema.parse({
      memberRoleName: 'revoker-member',
      enrolled: [{ id: HOME }, { id: MEMBER, mode: memberMode }],
    }),
  };
  const clock = new SimulatedClock(new Date('2026-01-15T10:00:00Z'));
  const engine: QueryEngine = {
    run: async (request) => ({
      columns: [],
      rows: request.name === 'sessions-issued' ? sessions : [],
      bytesScanned: null,
      engineMillis: 0,
    }),
  };
  const deps = {
    iam: (await localEnrolledIam(config, home)).withHome(),
    cases: new FileCaseStore(join(directory, 'cases')),
    clock,
    config,
    engine,
    runbooks: loadRunbooks(),
    scheduler: new FileScheduler(join(directory, 'schedules')),
    grantGuard: localGrantGuardArn,
    sleep: async () => {},
  };
  const grant = await grantAccess(
    {
      principalArn: ALICE,
      policyArn: ADMIN,
      seconds: 3600,
      requestedBy: 'sam',
      requester: 'person:sam',
      reason: 'incident',
      region: 'us-east-1',
    },
    deps,
  );
  clock.advance(3601);
  const end = () => expireGrant({ caseId: grant.grantId, trigger: grantTrigger(grant), grant }, deps);
  return { member, deps, grant, end };
}

describe('a grant’s end across accounts', () => {
  it('plans a dry-run member’s session and does not watch it as if denied', async () => {
    const { member, end } = await grantWithSessions('dry-run', [
      { role_arn: MEMBER_ROLE, session_user_id: 'AROAOPSADMIN00000001:alice-incident' },
    ]);

    const expiry = await end();

    expect((await member.load()).roles['ops-admin']!.inlinePolicies).toEqual({});
    expect(expiry.actions.some((action) => action.status === 'planned')).toBe(true);
    expect(expiry.verify).toEqual([]);
    expect(expiry.sessionsToVerify).toBe(0);
  });

  it('denies the member session though a session in an account not enrolled comes first', async () => {
    const { member, end, deps, grant } = await grantWithSessions('enforce', [
      { role_arn: `arn:aws:iam::${OUTSIDE}:role/decoy`, session_user_id: 'AROADECOY0000000001:a' },
      { role_arn: MEMBER_ROLE, session_user_id: 'AROAOPSADMIN00000001:b' },
    ]);

    await end().catch(() => null);

    expect(Object.keys((await member.load()).roles['ops-admin']!.inlinePolicies)).toEqual([
      'revoker-revocation',
    ]);
    const held = entriesOf((await deps.cases.get(grant.grantId))!, 'revoke-held');
    expect(held.map((entry) => entry.summary)).toEqual([
      expect.stringContaining(`account ${OUTSIDE} is not enrolled`),
    ]);
  });
});
