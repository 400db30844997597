// An offboarding or a grant's end revokes several targets, possibly in several accounts: each
// in its own account's mode. A member account kept in dry run is planned, never changed, even
// when the case's own account enforces.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccountsSchema } from '../../../../lib/domain/accounts.ts';
import type { RevocationTarget } from '../../../../lib/domain/revocation/plan.ts';
import { EnrolledIam } from '../../../../lib/enrolled-iam.ts';
import { FileCaseStore } from '../../../../lib/local/case-store.ts';
import { LocalIamAccount } from '../../../../lib/local/iam-account.ts';
import { SimulatedClock } from '../../../../lib/local/pipeline.ts';
import { revokeEach } from '../../../../lib/usecases/revoke-each.ts';
import { openTestCase } from '../../../fixtures/cases.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { trigger } from '../../../fixtures/escalation.ts';

const HOME = trigger.target.accountId;
const MEMBER = '222233334444';

describe('revokeEach across accounts', () => {
  it('revokes at home and only plans in a member account kept in dry run', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'revoker-each-'));
    const files = (id: string) => new LocalIamAccount(LocalIamAccount.pathFor(directory, id));
    for (const id of [HOME, MEMBER])
      await files(id).save({
        accountId: id,
        roles: { 'ops-admin': { arn: `arn:aws:iam::${id}:role/ops-admin`, path: '/' } },
      });
    const config = {
      ...(await shippedConfig()),
      accounts: AccountsSchema.parse({
        memberRoleName: 'revoker-member',
        enrolled: [{ id: HOME }, { id: MEMBER, mode: 'dry-run' }],
      }),
    };
    const iam = new EnrolledIam(config.accounts, { accountId: HOME, partition: 'aws' }, (id) => files(id));
    const cases = new FileCaseStore(join(directory, 'cases'));
    await openTestCase(cases, trigger);
    const session = (id: string): RevocationTarget => ({
      kind: 'role-sessions',
      accountId: id,
      roleName: 'ops-admin',
      roleArn: `arn:aws:iam::${id}:role/ops-admin`,
      session: { userId: 'AROAEXAMPLE:grantee', sourceIdentity: null },
    });

    const outcomes = await revokeEach([session(HOME), session(MEMBER)], {
      caseId: 'case-1',
      trigger,
      cutoff: '2026-01-15T12:30:00Z',
      dryRun: false,
      approval: undefined,
      label: 'Session the grant issued',
      config,
      iam,
      cases,
      clock: new SimulatedClock(new Date('2026-01-15T12:30:00Z')),
    });

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['applied', 'planned']);
    expect(Object.keys((await files(HOME).load()).roles['ops-admin']!.inlinePolicies)).toEqual([
      'revoker-revocation',
    ]);
    expect((await files(MEMBER).load()).roles['ops-admin']!.inlinePolicies).toEqual({});
  });

  it('takes an approval for an account with approvers of its own from them alone', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'revoker-each-'));
    const files = (id: string) => new LocalIamAccount(LocalIamAccount.pathFor(directory, id));
    await files(MEMBER).save({
      accountId: MEMBER,
      roles: { 'ops-admin': { arn: `arn:aws:iam::${MEMBER}:role/ops-admin`, path: '/' } },
    });
    const config = {
      ...(await shippedConfig()),
      accounts: AccountsSchema.parse({
        memberRoleName: 'revoker-member',
        enrolled: [{ id: MEMBER, humanApprovalOnly: true, approvers: ['ciso@example.com'] }],
      }),
    };
    const iam = new EnrolledIam(config.accounts, { accountId: HOME, partition: 'aws' }, (id) => files(id));
    const cases = new FileCaseStore(join(directory, 'cases'));
    await openTestCase(cases, trigger);
    const target: RevocationTarget = {
      kind: 'role-sessions',
      accountId: MEMBER,
      roleName: 'ops-admin',
      roleArn: `arn:aws:iam::${MEMBER}:role/ops-admin`,
      session: { userId: null, sourceIdentity: 'alice' },
    };
    const approvedBy = (approver: string) =>
      revokeEach([target], {
        caseId: 'case-1',
        trigger,
        cutoff: '2026-01-15T12:30:00Z',
        dryRun: false,
        approval: { decision: 'approved', approver, at: '2026-01-15T12:29:00Z' },
        label: 'Offboarding',
        config,
        iam,
        cases,
        clock: new SimulatedClock(new Date('2026-01-15T12:30:00Z')),
      });

    // The case's own account's on-call approving does not lift the member account's rule.
    expect((await approvedBy('oncall@example.com')).map((outcome) => outcome.status)).toEqual([
      'needs-human',
    ]);
    expect((await files(MEMBER).load()).roles['ops-admin']!.inlinePolicies).toEqual({});
    const held = (await cases.get('case-1'))!.entries.filter((entry) => entry.step === 'revoke-held');
    expect(held[0]!.summary).toContain(
      `approved by oncall@example.com, who is not one of account ${MEMBER}'s own approvers`,
    );
  });
});
