import { describe, expect, it } from 'vitest';
import {
  type Grant,
  grantHolder,
  grantIdFor,
  heldSince,
  liveOverlapping,
  reasonToKeep,
} from '../../../../lib/domain/jit.ts';

const base: Omit<Grant, 'grantId' | 'grantedAt' | 'expiresAt'> = {
  accountId: '111122223333',
  principalArn: 'arn:aws:iam::111122223333:role/team/oncall',
  policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
  requestedBy: 'sam@example.com',
  reason: 'incident 42',
  region: 'us-east-1',
  heldBefore: false,
  guardPolicyArn: 'arn:aws:iam::111122223333:policy/revoker/revoker-grant-guard',
};

function grant(grantedAt: string, expiresAt: string, overrides: Partial<Grant> = {}): Grant {
  return { ...base, grantedAt, expiresAt, grantId: grantIdFor({ ...base, grantedAt }), ...overrides };
}

const now = new Date('2026-01-15T12:00:00Z');

describe('just-in-time grants', () => {
  it('names the principal a grant holds: a role or a user, whatever its path', () => {
    expect(grantHolder(base)).toEqual({ kind: 'role', name: 'oncall' });
    expect(grantHolder({ principalArn: 'arn:aws:iam::111122223333:user/alice' })).toEqual({
      kind: 'user',
      name: 'alice',
    });
  });

  it('gives each request its own ID, the same for a retried request', () => {
    const request = {
      principalArn: base.principalArn,
      policyArn: base.policyArn,
      grantedAt: '2026-01-15T10:00:00Z',
    };

    expect(grantIdFor(request)).toMatch(/^jit-[0-9a-f]{24}$/);
    expect(grantIdFor(request)).toBe(grantIdFor({ ...request }));
    expect(grantIdFor({ ...request, grantedAt: '2026-01-15T10:00:01Z' })).not.toBe(grantIdFor(request));
  });

  it('takes the policy away when no other grant of it to the principal is live', () => {
    const ending = grant('2026-01-15T10:00:00Z', '2026-01-15T12:00:00Z');
    const ended = grant('2026-01-15T08:00:00Z', '2026-01-15T11:00:00Z');
    const elsewhere = grant('2026-01-15T11:00:00Z', '2026-01-15T14:00:00Z', {
      principalArn: 'arn:aws:iam::111122223333:user/alice',
    });
    const otherPolicy = grant('2026-01-15T11:00:00Z', '2026-01-15T14:00:00Z', {
      policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
    });

    expect(reasonToKeep(ending, [ending, ended, elsewhere, otherPolicy], now)).toBeNull();
  });

  it('keeps the policy while another live grant gives it, naming the one that lasts longest', () => {
    const ending = grant('2026-01-15T10:00:00Z', '2026-01-15T12:00:00Z');
    const later = grant('2026-01-15T11:00:00Z', '2026-01-15T13:00:00Z');
    const latest = grant('2026-01-15T11:30:00Z', '2026-01-15T15:00:00Z');

    expect(liveOverlapping(ending, [ending, later, latest], now)).toEqual([latest, later]);
    expect(reasonToKeep(ending, [later, latest], now)).toBe(
      `2 other grants of ${base.policyArn} to ${base.principalArn} still live (the last until 2026-01-15T15:00:00Z: ${latest.grantId})`,
    );
  });

  it('never takes away what the principal held outside any grant', () => {
    const ending = grant('2026-01-15T10:00:00Z', '2026-01-15T12:00:00Z', { heldBefore: true });

    expect(reasonToKeep(ending, [], now)).toMatch(/held .* outside any grant before this one$/);
  });

  it('dates the principal’s hold of the policy from the first of the back-to-back grants', () => {
    const first = grant('2026-01-15T08:00:00Z', '2026-01-15T10:00:00Z');
    const second = grant('2026-01-15T09:30:00Z', '2026-01-15T11:00:00Z');
    const ending = grant('2026-01-15T10:30:00Z', '2026-01-15T12:00:00Z');
    const earlierGap = grant('2026-01-15T05:00:00Z', '2026-01-15T07:00:00Z');

    expect(heldSince(ending, [earlierGap, first, second, ending])).toBe('2026-01-15T08:00:00Z');
    expect(heldSince(first, [earlierGap, first])).toBe('2026-01-15T08:00:00Z');
  });
});
