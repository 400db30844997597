// Each read and change goes to the gateway of the account it names; an account not enrolled is
// refused before any gateway is made for it.
import { describe, expect, it } from 'vitest';
import { AccountsSchema } from '../../../lib/domain/accounts.ts';
import type { IamScope } from '../../../lib/domain/iam-state.ts';
import type { RevocationAction } from '../../../lib/domain/revocation/actions.ts';
import { EnrolledIam } from '../../../lib/enrolled-iam.ts';
import { AccountNotEnrolledError, type IamGateway } from '../../../lib/ports.ts';

const HOME = { accountId: '111111111111', partition: 'aws' };
const MEMBER = '222222222222';
const accounts = AccountsSchema.parse({
  memberRoleName: 'revoker-member',
  enrolled: [{ id: MEMBER }, { id: HOME.accountId }],
});
const scope = (accountId: string): IamScope => ({
  accountId,
  roles: ['app-server'],
  users: [],
  managedPolicies: [],
  identityCenter: false,
});
const action: RevocationAction = {
  action: 'delete-role-policy',
  input: { roleName: 'app-server', policyName: 'p' },
};

function recording() {
  const made: string[] = [];
  const calls: string[] = [];
  const iam = new EnrolledIam(accounts, HOME, (accountId, enrolment) => {
    made.push(`${accountId}:${enrolment.kind}`);
    return {
      readState: async (read) => {
        calls.push(`read ${read.accountId} via ${accountId}`);
        return { accountId, roles: {}, users: {}, managedPolicies: {}, identityCenter: null };
      },
      perform: async (target) => void calls.push(`change ${target} via ${accountId}`),
    } satisfies IamGateway;
  });
  return { iam, made, calls };
}

describe('EnrolledIam', () => {
  it('sends each call to the gateway of its account, made once per account', async () => {
    const { iam, made, calls } = recording();
    await iam.readState(scope(MEMBER));
    await iam.perform(MEMBER, action);
    await iam.readState(scope(HOME.accountId));
    expect(made).toEqual([`${MEMBER}:member-role`, `${HOME.accountId}:own`]);
    expect(calls).toEqual([
      `read ${MEMBER} via ${MEMBER}`,
      `change ${MEMBER} via ${MEMBER}`,
      `read ${HOME.accountId} via ${HOME.accountId}`,
    ]);
  });

  it('refuses an account not enrolled, making no gateway for it', async () => {
    const { iam, made } = recording();
    await expect(iam.readState(scope('999999999999'))).rejects.toThrow(AccountNotEnrolledError);
    await expect(iam.perform('999999999999', action)).rejects.toThrow('account 999999999999 is not enrolled');
    expect(made).toEqual([]);
  });

  it('acts in its own account when not listed only through withHome (grants, their ends, callers)', async () => {
    const notHome = AccountsSchema.parse({ memberRoleName: 'revoker-member', enrolled: [{ id: MEMBER }] });
    const made: string[] = [];
    const iam = new EnrolledIam(notHome, HOME, (accountId, enrolment) => {
      made.push(`${accountId}:${enrolment.kind}`);
      return recording().iam;
    });
    expect(() => iam.in(HOME.accountId)).toThrow(AccountNotEnrolledError);
    iam.withHome().in(HOME.accountId);
    expect(() => iam.withHome().in('999999999999')).toThrow(AccountNotEnrolledError);
    expect(made).toEqual([`${HOME.accountId}:own`]);
  });

  it('says how it acts in a member account, for the case', () => {
    const { iam } = recording();
    expect(iam.actingAs(MEMBER)).toBe(`through arn:aws:iam::${MEMBER}:role/revoker-member`);
    expect(iam.actingAs(HOME.accountId)).toBeNull();
  });
});
