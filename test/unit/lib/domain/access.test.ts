// Who may offboard whom: offboarders only, never themselves, and the people access.groups names
// (revoker's own operators) told apart from everyone else by verified names alone.
import { describe, expect, it } from 'vitest';
import {
  type Access,
  AccessSchema,
  callerOf,
  groupsNaming,
  mayOffboard,
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
