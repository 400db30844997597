// Who may offboard whom: offboarders only, never themselves, and the people access.groups names
// (revoker's own operators) told apart from everyone else by verified names alone.
import { describe, expect, it } from 'vitest';
import {
  type Access,
  AccessSchema,
  callerOf,
  groupsNaming,
  mayApproveGrant,
  mayOffboard,
  samePerson,
} from '../../../../lib/domain/access.ts';

const ACCOUNT = '111122223333';
const access: Access = AccessSchema.parse({
  groups: {
    responders: ['arn:aws:iam::*:user/OnCall', 'arn:aws:iam::*:role/AWSReservedSSO_SecurityResponder_*'],
    engineers: [`arn:aws:iam::${ACCOUNT}:user/carol`],
    hr: ['arn:aws:iam::*:role/hr-offboarding'],
  },
  offboarders: ['hr', 'responders'],
  runbookRunsPerHour: 10,
});
const hr = callerOf(`arn:aws:sts::${ACCOUNT}:assumed-role/hr-offboarding/workday`);

describe('mayOffboard', () => {
  it('allows an offboarder, naming the groups that would need a second one', () => {
    expect(mayOffboard(hr, 'alice', ACCOUNT, access)).toEqual({ allowed: true, namedIn: [] });
    expect(mayOffboard(hr, 'oncall', ACCOUNT, access)).toEqual({ allowed: true, namedIn: ['responders'] });
    expect(mayOffboard(hr, 'carol', ACCOUNT, access)).toEqual({ allowed: true, namedIn: ['engineers'] });
    // carol's pattern names one account: her namesake elsewhere is someone else.
    expect(mayOffboard(hr, 'carol', '444455556666', access)).toEqual({ allowed: true, namedIn: [] });
  });

  it('refuses anyone outside access.offboarders, and anyone offboarding themselves, whatever the case', () => {
    const carol = callerOf(`arn:aws:iam::${ACCOUNT}:user/carol`);
    const oncall = callerOf(`arn:aws:iam::${ACCOUNT}:user/OnCall`);
    const responder = callerOf(
      `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_SecurityResponder_0a1b/dana`,
    );

    expect(mayOffboard(carol, 'alice', ACCOUNT, access)).toEqual({
      allowed: false,
      reason: `${carol.arn} is not in a group of access.offboarders`,
    });
    expect(mayOffboard(oncall, 'oncall', ACCOUNT, access)).toMatchObject({ allowed: false });
    expect(mayOffboard(responder, 'Dana', ACCOUNT, access)).toEqual({
      allowed: false,
      reason: `${responder.arn} is Dana: nobody offboards themselves; another offboarder must`,
    });
    expect(mayOffboard(responder, 'oncall', ACCOUNT, access)).toEqual({
      allowed: true,
      namedIn: ['responders'],
    });
  });
});

describe('groupsNaming', () => {
  it('reads a person from a user pattern or a session by their name, never from a role pattern alone', () => {
    const withSession: Access = {
      ...access,
      groups: { ...access.groups, leads: ['arn:aws:sts::*:assumed-role/AWSReservedSSO_Lead_0a1b/erin'] },
    };

    expect(groupsNaming('erin', ACCOUNT, withSession)).toEqual(['leads']);
    // Anyone assigned the responders' permission set may be a responder: a name cannot say.
    expect(groupsNaming('dana', ACCOUNT, withSession)).toEqual([]);
    expect(groupsNaming('hr-offboarding', ACCOUNT, withSession)).toEqual([]);
  });
});

describe('groupsNaming, for a user with a path', () => {
  it('names a user by its name whatever the path its pattern gives (IAM finds a user so)', () => {
    const pathed: Access = {
      ...access,
      groups: {
        responders: [`arn:aws:iam::${ACCOUNT}:user/responders/oncall`],
        leads: ['arn:aws:iam::*:user/*/erin'],
      },
    };

    expect(groupsNaming('oncall', ACCOUNT, pathed)).toEqual(['responders']);
    expect(groupsNaming('Erin', ACCOUNT, pathed)).toEqual(['leads']);
    expect(groupsNaming('alice', ACCOUNT, pathed)).toEqual([]);
  });
});

describe('one name is one person, whichever way they sign in', () => {
  const sso = (role: string, name: string) =>
    callerOf(`arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_${role}_0123456789abcdef/${name}`);
  const responders: Access = {
    ...access,
    groups: { ...access.groups, responders: ['arn:aws:iam::*:role/AWSReservedSSO_SecurityResponder_*'] },
  };

  it('carol’s IAM user and her Identity Center session are one person', () => {
    const carol = callerOf(`arn:aws:iam::${ACCOUNT}:user/carol`);

    expect(samePerson(carol, sso('SecurityResponder', 'Carol'))).toBe(true);
    expect(samePerson(carol, sso('SecurityResponder', 'bob'))).toBe(false);
    expect(
      mayApproveGrant(
        sso('SecurityResponder', 'carol'),
        { requester: carol, principalArn: `arn:aws:iam::${ACCOUNT}:user/alice` },
        'responders',
        responders,
      ),
    ).toMatchObject({ allowed: false, reason: expect.stringContaining('asked for this grant') });
  });

  it('the user a grant is for never approves it, through Identity Center either', () => {
    const bob = callerOf(`arn:aws:iam::${ACCOUNT}:user/bob`);

    expect(
      mayApproveGrant(
        sso('SecurityResponder', 'carol'),
        { requester: bob, principalArn: `arn:aws:iam::${ACCOUNT}:user/team/carol` },
        'responders',
        responders,
      ),
    ).toMatchObject({ allowed: false, reason: expect.stringContaining('the principal to be granted') });
    expect(
      mayApproveGrant(
        sso('SecurityResponder', 'dana'),
        { requester: bob, principalArn: `arn:aws:iam::${ACCOUNT}:user/team/carol` },
        'responders',
        responders,
      ),
    ).toEqual({ allowed: true });
  });
});
