// Which accounts revoker acts in, and how: decided by the configuration and the account the
// event was recorded in, never by a name in it.
import { describe, expect, it } from 'vitest';
import {
  AccountsSchema,
  accountNeedsHuman,
  approversIn,
  enrolmentOf,
  modeIn,
  responseIn,
} from '../../../../lib/domain/accounts.ts';
import { parseConfig } from '../../../../lib/domain/config.ts';
import { shippedConfig } from '../../../fixtures/config.ts';

const HOME = { accountId: '111111111111', partition: 'aws' };
const MEMBER = '222222222222';
const accounts = AccountsSchema.parse({
  memberRoleName: 'revoker-member',
  enrolled: [
    { id: MEMBER, name: 'workloads', mode: 'dry-run' },
    { id: '333333333333', humanApprovalOnly: true },
  ],
});

describe('enrolmentOf', () => {
  it('without an accounts section, acts in its own account only, with its own credentials', () => {
    expect(enrolmentOf(undefined, HOME, HOME.accountId)).toEqual({ kind: 'own', account: null });
    expect(enrolmentOf(undefined, HOME, MEMBER)).toMatchObject({ kind: 'not-enrolled' });
  });

  it('with one, acts in each listed account through its member role, in the home partition', () => {
    expect(enrolmentOf(accounts, { ...HOME, partition: 'aws-us-gov' }, MEMBER)).toEqual({
      kind: 'member-role',
      account: { id: MEMBER, name: 'workloads', mode: 'dry-run' },
      roleArn: `arn:aws-us-gov:iam::${MEMBER}:role/revoker-member`,
      readerRoleArn: `arn:aws-us-gov:iam::${MEMBER}:role/revoker-member-reader`,
    });
  });

  it('enrols its own account only when listed, and then with its own credentials', () => {
    const reason = enrolmentOf(accounts, HOME, HOME.accountId);
    expect(reason).toMatchObject({ kind: 'not-enrolled' });
    expect((reason as { reason: string }).reason).toContain('accounts.enrolled');
    const listed = AccountsSchema.parse({
      ...accounts,
      enrolled: [...accounts.enrolled, { id: HOME.accountId }],
    });
    expect(enrolmentOf(listed, HOME, HOME.accountId)).toMatchObject({ kind: 'own' });
  });

  it('refuses an account that is not listed, saying which', () => {
    expect(enrolmentOf(accounts, HOME, '444444444444')).toEqual({
      kind: 'not-enrolled',
      reason:
        'account 444444444444 is not enrolled: it is not in accounts.enrolled, so nothing is changed there',
    });
  });
});

describe('per-account settings', () => {
  it('an account may be kept in dry run under an enforcing top level, never enforced under a dry run', () => {
    expect(modeIn({ mode: 'enforce', accounts }, MEMBER)).toBe('dry-run');
    expect(modeIn({ mode: 'enforce', accounts }, '333333333333')).toBe('enforce');
    const enforcing = AccountsSchema.parse({ ...accounts, enrolled: [{ id: MEMBER, mode: 'enforce' }] });
    expect(modeIn({ mode: 'dry-run', accounts: enforcing }, MEMBER)).toBe('dry-run');
  });

  it('an account acted in only with approval sends every case there to a human', () => {
    expect(accountNeedsHuman(accounts, '333333333333')).toContain('only with a person');
    expect(accountNeedsHuman(accounts, MEMBER)).toBeNull();
    expect(accountNeedsHuman(undefined, MEMBER)).toBeNull();
  });

  it('a rule’s response and the approvers come from the account first, then the top level, then the catalog', async () => {
    const shipped = await shippedConfig();
    const config = {
      ...shipped,
      rules: { 'ssm-command-by-person': { response: 'escalate' as const } },
      accounts: AccountsSchema.parse({
        memberRoleName: 'revoker-member',
        enrolled: [
          {
            id: MEMBER,
            approvers: ['prod@example.com'],
            rules: { 'ssm-command-by-person': { response: 'auto-revoke' } },
          },
        ],
      }),
    };
    const ssm = { id: 'ssm-command-by-person', response: 'notify' as const };
    expect(responseIn(config, ssm, MEMBER)).toBe('auto-revoke');
    expect(responseIn(config, ssm, '333333333333')).toBe('escalate');
    expect(responseIn({ ...config, rules: {} }, ssm, '333333333333')).toBe('notify');
    expect(approversIn(config, MEMBER)).toEqual(['prod@example.com']);
    expect(approversIn(config, '333333333333')).toEqual(shipped.escalation.approvers);
    expect(() =>
      AccountsSchema.parse({
        memberRoleName: 'm',
        enrolled: [{ id: MEMBER, rules: { 'no-such-rule': { response: 'notify' } } }],
      }),
    ).toThrow(/no rule has the ID \\"no-such-rule\\"/);
  });

  it('the configuration names a bad account list', async () => {
    const shipped = await shippedConfig();
    const bad = {
      ...shipped,
      accounts: { memberRoleName: 'bad name', enrolled: [{ id: MEMBER }, { id: MEMBER }] },
    };
    expect(() => parseConfig(bad, 'test')).toThrow(
      /accounts\.memberRoleName[\s\S]*accounts\.enrolled\.1\.id: found "222222222222": listed twice/,
    );
    expect(() =>
      parseConfig({ ...shipped, accounts: { memberRoleName: 'm', enrolled: [] } }, 'test'),
    ).toThrow(/accounts\.enrolled: found \[\]/);
  });
});
