import { describe, expect, it } from 'vitest';
import { revokeOlderSessionsPolicy } from '../../../../lib/domain/revocation/policies.ts';
import { findExplicitDeny, UnsupportedPolicyError } from '../../../../lib/local/policy-evaluator.ts';

const cutoff = '2026-01-15T12:00:00Z';
const policy = revokeOlderSessionsPolicy(cutoff);

describe('findExplicitDeny', () => {
  it('denies sessions issued before the cutoff and lets later sessions through', () => {
    const before = { action: 'iam:CreateUser', keys: { 'aws:TokenIssueTime': '2026-01-15T11:59:59Z' } };
    const after = { action: 'iam:CreateUser', keys: { 'aws:TokenIssueTime': '2026-01-15T12:00:00Z' } };

    expect(findExplicitDeny([policy], before)).toEqual({ sid: 'RevokerDenySessionsIssuedBeforeCutoff' });
    expect(findExplicitDeny([policy], after)).toBeNull();
  });

  it('does not apply a token-time condition to long-term keys, which have no TokenIssueTime', () => {
    expect(findExplicitDeny([policy], { action: 's3:GetObject', keys: {} })).toBeNull();
  });

  it('refuses to guess about operators it does not implement', () => {
    const odd = JSON.stringify({
      Statement: [
        { Effect: 'Deny', Action: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } },
      ],
    });

    expect(() => findExplicitDeny([odd], { action: 's3:GetObject', keys: {} })).toThrow(
      UnsupportedPolicyError,
    );
  });

  it('refuses to judge a deny scoped to resources rather than over-deny', () => {
    const scoped = JSON.stringify({
      Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::secrets/*' }],
    });

    expect(() => findExplicitDeny([scoped], { action: 's3:GetObject', keys: {} })).toThrow(
      /scoped to resources/,
    );
  });

  it('takes ForAnyValue with a positive operator over the one value a call carries, and refuses a negated one', () => {
    const sources = (operator: string) =>
      JSON.stringify({
        Statement: [
          {
            Effect: 'Deny',
            Action: 'events:PutEvents',
            Condition: { [operator]: { 'events:source': 'revoker.*' } },
          },
        ],
      });
    const put = (source: string) => ({ action: 'events:PutEvents', keys: { 'events:source': source } });

    expect(findExplicitDeny([sources('ForAnyValue:StringLike')], put('revoker.jit'))).not.toBeNull();
    expect(findExplicitDeny([sources('ForAnyValue:StringLike')], put('com.example'))).toBeNull();
    expect(
      findExplicitDeny([sources('ForAnyValue:StringLike')], { action: 'events:PutEvents', keys: {} }),
    ).toBeNull();
    expect(() => findExplicitDeny([sources('ForAnyValue:StringNotLike')], put('com.example'))).toThrow(
      UnsupportedPolicyError,
    );
  });

  it('matches action wildcards case-insensitively, as IAM does', () => {
    const scoped = JSON.stringify({ Statement: [{ Effect: 'Deny', Action: ['iam:Create*'] }] });

    expect(findExplicitDeny([scoped], { action: 'IAM:createaccesskey', keys: {} })).not.toBeNull();
    expect(findExplicitDeny([scoped], { action: 'iam:ListUsers', keys: {} })).toBeNull();
  });
});
