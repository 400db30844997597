import { describe, expect, it } from 'vitest';
import {
  ApprovalSecretError,
  signApprovalLink,
  verifyApprovalLink,
} from '../../../../lib/domain/approval.ts';

const SECRET = 'test-secret-of-at-least-thirty-two-bytes!';
const NOW = new Date('2026-01-15T12:00:00Z');
const grant = {
  caseId: 'case-1',
  approver: 'oncall@example.com',
  principal: 'arn:aws:iam::111122223333:role/service/app-server',
  expiresAt: '2026-01-15T12:30:00Z',
};
const none = new Set<string>();

describe('approval links', () => {
  it('verifies a link it signed, naming the case, the approver and a nonce', () => {
    const verdict = verifyApprovalLink(signApprovalLink(grant, SECRET), SECRET, NOW, none);

    expect(verdict).toEqual({ ok: true, grant: { ...grant, nonce: expect.stringMatching(/^[\w-]{24}$/) } });
  });

  it('refuses a forged, altered, expired or reused link, saying which', () => {
    const token = signApprovalLink({ ...grant, nonce: 'nonce-0123456789abcdef' }, SECRET);
    const [payload, signature] = token.split('.') as [string, string];
    const altered = Buffer.from(
      JSON.stringify({ ...grant, approver: 'mallory@example.com', nonce: 'nonce-0123456789abcdef' }),
    ).toString('base64url');

    expect(verifyApprovalLink(signApprovalLink(grant, `${SECRET}-other`), SECRET, NOW, none)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('signature is not valid'),
    });
    expect(verifyApprovalLink(`${altered}.${signature}`, SECRET, NOW, none)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('signature'),
    });
    expect(verifyApprovalLink(payload, SECRET, NOW, none)).toEqual({
      ok: false,
      reason: 'the link is malformed',
    });
    expect(verifyApprovalLink(token, SECRET, new Date('2026-01-15T12:30:00Z'), none)).toEqual({
      ok: false,
      reason: 'the link expired at 2026-01-15T12:30:00Z',
    });
    expect(verifyApprovalLink(token, SECRET, NOW, new Set(['nonce-0123456789abcdef']))).toEqual({
      ok: false,
      reason: 'the link was already used',
    });
  });

  it('never issues a link to the principal under revocation', () => {
    expect(() =>
      signApprovalLink(
        { ...grant, principal: 'arn:aws:iam::111122223333:user/alice', approver: 'alice@example.com' },
        SECRET,
      ),
    ).toThrow('alice@example.com is the principal under revocation and cannot approve this case');
    expect(() => signApprovalLink({ ...grant, approver: grant.principal }, SECRET)).toThrow(
      ApprovalSecretError,
    );
  });

  it('refuses to sign with a short secret', () => {
    expect(() => signApprovalLink(grant, 'short')).toThrow('at least 32 bytes');
  });
});
