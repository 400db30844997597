// Who may offboard whom: offboarders only, never themselves, and the people access.groups names
// (revoker's own operators) told apart from everyone else by verified names alone.
import { describe, expect, it } from 'vitest';
import {
  type Access,
  AccessSchema,
  callerOf,
  grantRulesCovering,
  groupsNaming,
  isNamedApprover,
  mayApproveGrant,
  mayOffboard,
  mayRequestGrant,
  personOf,
  samePerson,
} from '../../../../lib/domain/access.ts';
import { personOfPrincipal } from '../../../../lib/domain/jit.ts';

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

describe('mayRequestGrant: a grant nobody approves is for the requester’s own principal', () => {
  const VIEW_ONLY = 'arn:aws:iam::aws:policy/job-function/ViewOnlyAccess';
  const POWER_USER = 'arn:aws:iam::aws:policy/PowerUserAccess';
  const rules: Access = AccessSchema.parse({
    groups: {
      responders: ['arn:aws:iam::*:user/OnCall'],
      engineers: [
        `arn:aws:iam::${ACCOUNT}:user/carol`,
        'arn:aws:iam::*:role/AWSReservedSSO_Engineer_*',
        'arn:aws:iam::*:role/ops-deployer',
      ],
    },
    grants: [
      {
        group: 'engineers',
        policies: [VIEW_ONLY],
        principals: ['arn:aws:iam::*:user/*', 'arn:aws:iam::*:role/*'],
        accounts: ['*'],
        maxDuration: '8h',
        approvers: null,
      },
      {
        group: 'engineers',
        policies: [VIEW_ONLY, POWER_USER],
        principals: ['arn:aws:iam::*:user/*'],
        accounts: ['*'],
        maxDuration: '4h',
        approvers: 'responders',
      },
    ],
    runbookRunsPerHour: 10,
  });
  const ask = (principal: string, policyArn = VIEW_ONLY) => ({
    principalArn: `arn:aws:iam::${ACCOUNT}:${principal}`,
    policyArn,
    seconds: 3600,
  });
  const carol = callerOf(`arn:aws:iam::${ACCOUNT}:user/carol`);
  const carolBySso = callerOf(`arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Engineer_0a1b/Carol`);
  const deployer = callerOf(`arn:aws:sts::${ACCOUNT}:assumed-role/ops-deployer/any-name`);

  it('grants one’s own user or role at once: the same user, the same person by Identity Center, a session of the role', () => {
    expect(mayRequestGrant(carol, ask('user/carol'), rules)).toEqual({ allowed: true, approvers: null });
    expect(mayRequestGrant(carol, ask('user/team/carol'), rules)).toEqual({ allowed: true, approvers: null });
    expect(mayRequestGrant(carolBySso, ask('user/carol'), rules)).toEqual({ allowed: true, approvers: null });
    expect(mayRequestGrant(deployer, ask('role/deploy/ops-deployer'), rules)).toEqual({
      allowed: true,
      approvers: null,
    });
  });

  it('sends a grant to anyone else to the approvers of a rule that has some, and refuses it where none has', () => {
    // The next rule covers other users, with approvers: the grant waits for them.
    expect(mayRequestGrant(carol, ask('user/oncall'), rules)).toEqual({
      allowed: true,
      approvers: 'responders',
    });
    // No rule with approvers covers roles: refused, with why.
    const refused = mayRequestGrant(carol, ask('role/ops-deployer'), rules);
    expect(refused).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('it needs no approval, so it grants only to your own principal'),
    });
    // A session name is the caller's to choose: it makes no one's user their own.
    expect(mayRequestGrant(deployer, ask('user/any-name'), rules)).toEqual({
      allowed: true,
      approvers: 'responders',
    });
  });

  it('names a principal as the person `personOf` names its callers: the caps count by it', () => {
    expect(personOfPrincipal(`arn:aws:iam::${ACCOUNT}:user/team/Carol`)).toBe(personOf(carol));
    expect(personOfPrincipal(`arn:aws:iam::${ACCOUNT}:user/carol`)).toBe(personOf(carolBySso));
    expect(personOfPrincipal(`arn:aws:iam::${ACCOUNT}:role/deploy/ops-deployer`)).toBe(personOf(deployer));
    expect(personOfPrincipal(`arn:aws:iam::${ACCOUNT}:user/oncall`)).not.toBe(personOf(carol));
  });
});

describe('isNamedApprover', () => {
  const approvers = [
    'arn:aws:iam::146450651832:user/ciso',
    'sam@example.com',
    'arn:aws:iam::146450651832:role/IncidentLead',
  ];
  it('knows an approver by the exact ARN, or by an Identity Center user name', () => {
    expect(isNamedApprover(callerOf('arn:aws:iam::146450651832:user/ciso')!, approvers)).toBe(true);
    expect(
      isNamedApprover(callerOf('arn:aws:sts::146450651832:assumed-role/IncidentLead/alex')!, approvers),
    ).toBe(true);
    const sso = {
      ...callerOf('arn:aws:sts::146450651832:assumed-role/AWSReservedSSO_Responder_0123/sam@example.com')!,
      identityCenter: true,
    };
    expect(isNamedApprover(sso, approvers)).toBe(true);
  });

  it('never by a name alike: another path, another account, a session name chosen by the caller', () => {
    expect(isNamedApprover(callerOf('arn:aws:iam::146450651832:user/team/ciso')!, approvers)).toBe(false);
    expect(
      isNamedApprover(callerOf('arn:aws:iam::146450651832:user/ciso')!, [
        'arn:aws:iam::999999999999:user/ciso',
      ]),
    ).toBe(false);
    expect(
      isNamedApprover(
        callerOf('arn:aws:sts::146450651832:assumed-role/Developer/sam@example.com')!,
        approvers,
      ),
    ).toBe(false);
    expect(
      isNamedApprover(callerOf('arn:aws:sts::146450651832:assumed-role/Developer/ciso')!, approvers),
    ).toBe(false);
    expect(isNamedApprover(callerOf('arn:aws:iam::146450651832:user/oncall')!, approvers)).toBe(false);
  });
});

describe('grantRulesCovering', () => {
  const withGrants = AccessSchema.parse({
    groups: { engineers: ['arn:aws:iam::*:user/*'], responders: ['arn:aws:iam::*:user/oncall'] },
    accountTags: { [ACCOUNT]: ['env=dev'] },
    grants: [
      {
        group: 'engineers',
        policies: ['arn:aws:iam::aws:policy/PowerUserAccess'],
        principals: ['arn:aws:iam::*:role/service-role/report-*'],
        accounts: ['env=dev'],
        maxDuration: '4h',
        approvers: 'responders',
      },
      {
        group: 'responders',
        policies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
        principals: ['arn:aws:iam::*:user/*'],
        accounts: ['*'],
        maxDuration: '1h',
        approvers: null,
      },
    ],
    runbookRunsPerHour: 10,
  });

  it('lists the rules whose principals and accounts cover the principal, whichever group asks', () => {
    expect(
      grantRulesCovering(`arn:aws:iam::${ACCOUNT}:role/service-role/report-exporter`, withGrants).map(
        ({ name }) => name,
      ),
    ).toEqual(['grants[0] (engineers)']);
    expect(
      grantRulesCovering(`arn:aws:iam::${ACCOUNT}:user/dana`, withGrants).map(({ name }) => name),
    ).toEqual(['grants[1] (responders)']);
    // The same role in an account without the tag: no rule.
    expect(
      grantRulesCovering('arn:aws:iam::444455556666:role/service-role/report-exporter', withGrants),
    ).toEqual([]);
  });
});
