import { describe, expect, it } from 'vitest';
import {
  ApprovalSecretError,
  approvalLinkKeyId,
  approverIsSubject,
  isSelfApproval,
  type SigningKey,
  signApprovalLink,
  verifyApprovalLink,
} from '../../../../lib/domain/approval.ts';
import type { TriggerTarget } from '../../../../lib/domain/trigger.ts';

const KEY: SigningKey = { id: '2026-01', key: 'test-secret-of-at-least-thirty-two-bytes!' };
const NOW = new Date('2026-01-15T12:00:00Z');
const grant = {
  caseId: 'case-1',
  approver: 'oncall@example.com',
  principal: 'arn:aws:iam::111122223333:role/service/app-server',
  expiresAt: '2026-01-15T12:30:00Z',
};
const none = new Set<string>();

describe('approval links', () => {
  it('verifies a link it signed, naming its key, the case, the approver and a nonce', () => {
    const token = signApprovalLink(grant, KEY);

    expect(approvalLinkKeyId(token)).toBe('2026-01');
    expect(verifyApprovalLink(token, KEY, NOW, none)).toEqual({
      ok: true,
      grant: { ...grant, kid: '2026-01', nonce: expect.stringMatching(/^[\w-]{24}$/) },
    });
  });

  it('refuses a forged, altered, expired or reused link, saying which', () => {
    const token = signApprovalLink({ ...grant, nonce: 'nonce-0123456789abcdef' }, KEY);
    const [payload, signature] = token.split('.') as [string, string];
    const altered = Buffer.from(
      JSON.stringify({
        ...grant,
        kid: KEY.id,
        approver: 'mallory@example.com',
        nonce: 'nonce-0123456789abcdef',
      }),
    ).toString('base64url');
    // A forger knows the key ID (every link shows it), not the key.
    const forgedKey = { id: KEY.id, key: `${KEY.key}-other` };

    expect(verifyApprovalLink(signApprovalLink(grant, forgedKey), KEY, NOW, none)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('signature is not valid'),
    });
    expect(verifyApprovalLink(`${altered}.${signature}`, KEY, NOW, none)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('signature'),
    });
    expect(verifyApprovalLink(payload, KEY, NOW, none)).toEqual({
      ok: false,
      reason: 'the link is malformed',
    });
    expect(verifyApprovalLink(token, KEY, new Date('2026-01-15T12:30:00Z'), none)).toEqual({
      ok: false,
      reason: 'the link expired at 2026-01-15T12:30:00Z',
    });
    expect(verifyApprovalLink(token, KEY, NOW, new Set(['nonce-0123456789abcdef']))).toEqual({
      ok: false,
      reason: 'the link was already used',
    });
  });

  it('refuses a link naming a key it does not hold, with that reason, before any other check', () => {
    const retired = { id: '2025-12', key: 'a-retired-key-that-is-at-least-32-bytes!' };
    const token = signApprovalLink({ ...grant, expiresAt: '2026-01-15T11:00:00Z' }, retired);

    for (const key of [null, KEY]) {
      expect(verifyApprovalLink(token, key, NOW, none)).toEqual({
        ok: false,
        reason:
          "the link names a signing key revoker does not hold (key ID 2025-12: retired by two rotations since, or never revoker's)",
      });
    }
  });

  it('refuses a link without a readable key ID as malformed', () => {
    const payload = Buffer.from(JSON.stringify({ ...grant, kid: 'no spaces allowed' })).toString('base64url');

    expect(approvalLinkKeyId(`${payload}.c2ln`)).toBeNull();
    expect(verifyApprovalLink(`${payload}.c2ln`, KEY, NOW, none)).toEqual({
      ok: false,
      reason: 'the link is malformed',
    });
  });

  it('never issues a link to the principal under revocation, known by its ARN', () => {
    const user = 'arn:aws:iam::111122223333:user/alice';

    expect(() => signApprovalLink({ ...grant, principal: user, approver: user }, KEY)).toThrow(
      `${user} is the principal under revocation and cannot approve this case`,
    );
    expect(() => signApprovalLink({ ...grant, approver: grant.principal }, KEY)).toThrow(ApprovalSecretError);
    expect(() =>
      signApprovalLink(
        { ...grant, approver: 'arn:aws:sts::111122223333:assumed-role/app-server/i-0abc' },
        KEY,
      ),
    ).toThrow(ApprovalSecretError);
  });

  it('issues links to approvers whose names only look like the principal’s', () => {
    const token = signApprovalLink(
      { ...grant, principal: 'arn:aws:iam::111122223333:user/alice', approver: 'alice@example.com' },
      KEY,
    );

    expect(verifyApprovalLink(token, KEY, NOW, none)).toMatchObject({
      ok: true,
      grant: { approver: 'alice@example.com' },
    });
  });

  it('refuses to sign with a short secret', () => {
    expect(() => signApprovalLink(grant, { id: 'short', key: 'short' })).toThrow('at least 32 bytes');
  });
});

describe('isSelfApproval: verified identities, never names alike', () => {
  const role = 'arn:aws:iam::111122223333:role/service/app-server';
  const user = 'arn:aws:iam::111122223333:user/ops/oncall';

  it.each([
    ['the role itself', role, role],
    ['the role, without its path and in another case', 'arn:aws:iam::111122223333:role/App-Server', role],
    ['a session of the role', 'arn:aws:sts::111122223333:assumed-role/app-server/i-0abc', role],
    ['the user itself', user, user],
    ['the user, without its path', 'arn:aws:iam::111122223333:user/oncall', user],
    ['root of the account', 'arn:aws:iam::111122223333:root', 'arn:aws:iam::111122223333:root'],
  ])('is the principal: %s', (_what, approver, principal) => {
    expect(isSelfApproval(approver, principal)).toBe(true);
  });

  it.each([
    ['an email whose local part is the user’s name', 'oncall@example.com', user],
    ['a bare name equal to the user’s', 'oncall', user],
    ['a session named like the user', 'arn:aws:sts::111122223333:assumed-role/responder/oncall', user],
    ['a user named like the role', 'arn:aws:iam::111122223333:user/app-server', role],
    ['the same role name in another account', 'arn:aws:iam::444455556666:role/app-server', role],
    [
      'a session of another role with the role’s name as session',
      'arn:aws:sts::111122223333:assumed-role/responder/app-server',
      role,
    ],
    [
      'a user of the root’s account',
      'arn:aws:iam::111122223333:user/admin',
      'arn:aws:iam::111122223333:root',
    ],
  ])('is not the principal: %s', (_what, approver, principal) => {
    expect(isSelfApproval(approver, principal)).toBe(false);
  });
});

describe('approverIsSubject: the principal, or the same Identity Center person', () => {
  const ACCOUNT = '111122223333';
  const SSO_ROLE = 'AWSReservedSSO_Engineer_0123456789abcdef';
  const aliceSession: TriggerTarget = {
    kind: 'assumed-role',
    accountId: ACCOUNT,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/${SSO_ROLE}`,
    roleName: SSO_ROLE,
    sessionName: 'alice@example.com',
    accessKeyId: null,
    sessionIssuedAt: null,
    sessionUserId: null,
    sourceIdentity: null,
  };
  const responder = (person: string, account = ACCOUNT) =>
    `arn:aws:sts::${account}:assumed-role/AWSReservedSSO_SecurityResponder_fedcba9876543210/${person}`;

  it('refuses alice through another permission set, in any account, and by her user name as listed', () => {
    expect(approverIsSubject(responder('alice@example.com'), aliceSession)).toBe(true);
    expect(approverIsSubject(responder('Alice@Example.com', '444455556666'), aliceSession)).toBe(true);
    expect(approverIsSubject('alice@example.com', aliceSession)).toBe(true);
    expect(approverIsSubject(responder('bob@example.com'), aliceSession)).toBe(false);
  });

  it('refuses the person being offboarded through Identity Center', () => {
    const leaving: TriggerTarget = { kind: 'person', accountId: ACCOUNT, person: 'alice', requestedBy: 'hr' };

    expect(approverIsSubject(responder('alice'), leaving)).toBe(true);
    expect(approverIsSubject(responder('bob'), leaving)).toBe(false);
  });

  it('a role merely named like Identity Center’s decides nothing: its session names are its caller’s to choose', () => {
    const lookalike: TriggerTarget = {
      ...aliceSession,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/${SSO_ROLE}`,
      sessionName: 'oncall@example.com',
    };

    expect(approverIsSubject('oncall@example.com', lookalike)).toBe(false);
    expect(approverIsSubject(responder('oncall@example.com'), lookalike)).toBe(false);
  });
});

describe('approverIsSubject: a grant’s end', () => {
  it('refuses the user the grant was for, by their IAM user or their Identity Center session', () => {
    const grantEnd: TriggerTarget = {
      kind: 'grant',
      accountId: '111122223333',
      principalArn: 'arn:aws:iam::111122223333:user/team/carol',
      policyArn: 'arn:aws:iam::aws:policy/PowerUserAccess',
      grantId: 'jit-0123456789abcdef01234567',
    };

    expect(approverIsSubject('arn:aws:iam::111122223333:user/carol', grantEnd)).toBe(true);
    expect(
      approverIsSubject(
        'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_SecurityResponder_0a1b/Carol',
        grantEnd,
      ),
    ).toBe(true);
    expect(approverIsSubject('arn:aws:iam::111122223333:user/dana', grantEnd)).toBe(false);
  });
});
