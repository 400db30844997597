import { describe, expect, it } from 'vitest';
import type { Config } from '../../../../lib/domain/config.ts';
import { assessFirstSeen, assessWithoutAddress, decide } from '../../../../lib/domain/confirmation.ts';
import { resolvePrincipal } from '../../../../lib/domain/principal.ts';
import { instanceCredentialsIamEscalation as rule } from '../../../../lib/domain/rules.ts';
import { buildTrigger } from '../../../../lib/domain/trigger.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { stolenInstanceCredentialsGrant } from '../../../fixtures/records.ts';

const record = stolenInstanceCredentialsGrant();
const resolution = resolvePrincipal(record.userIdentity);
if (!resolution.ok) throw new Error(resolution.reason);
const trigger = buildTrigger(rule, record, resolution.principal);
const config = await shippedConfig();

describe('assessFirstSeen', () => {
  it('confirms an address the role never used, against a real baseline', () => {
    const assessment = assessFirstSeen(
      { baselineEvents: 500, fromSourceIp: 0, withUserAgent: 0, distinctSourceIps: 2 },
      trigger,
      config,
    );

    expect(assessment).toMatchObject({ verdict: 'confirmed', score: 95 });
    expect(assessment.explanation).toContain('18.236.253.47');
  });

  it.each([
    [
      'clears an address the role has used before',
      { baselineEvents: 500, fromSourceIp: 40, withUserAgent: 40 },
      'benign',
    ],
    [
      'calls too little history ambiguous rather than guessing',
      { baselineEvents: 3, fromSourceIp: 0, withUserAgent: 0 },
      'ambiguous',
    ],
  ] as const)('%s', (_case, facts, verdict) => {
    expect(assessFirstSeen({ ...facts, distinctSourceIps: 2 }, trigger, config).verdict).toBe(verdict);
  });

  it('calls a trigger without an IP address ambiguous', () => {
    const viaService = { ...trigger, sourceIp: 'ec2.amazonaws.com' };

    expect(assessWithoutAddress(viaService)).toMatchObject({ verdict: 'ambiguous' });
    expect(assessWithoutAddress({ ...trigger, sourceIp: null }).explanation).toContain('no source address');
  });
});

describe('decide', () => {
  const confirmed = { verdict: 'confirmed' as const, score: 95, explanation: '' };
  const withResponse = (response: 'auto-revoke' | 'escalate' | 'notify'): Config => ({
    ...config,
    rules: { [rule.id]: { response } },
  });

  it('revokes only what is confirmed, allowed by the rule and not protected', () => {
    expect(decide(confirmed, rule, trigger, config).decision).toBe('revoke');
    expect(decide({ ...confirmed, verdict: 'benign' }, rule, trigger, config).decision).toBe('close');
    expect(decide({ ...confirmed, verdict: 'ambiguous' }, rule, trigger, config).decision).toBe('escalate');
    expect(decide(confirmed, rule, trigger, withResponse('escalate')).decision).toBe('escalate');
    expect(decide(confirmed, rule, trigger, withResponse('notify')).decision).toBe('escalate');
  });

  it('sends a rule with no configured response to a human', () => {
    expect(decide(confirmed, rule, trigger, { ...config, rules: {} })).toEqual({
      decision: 'escalate',
      reason: `rule ${rule.id} has no response configured`,
    });
  });

  it('never revokes a protected principal automatically, and says which pattern protects it', () => {
    const guarded = { ...config, guardRails: { protectedPrincipals: ['arn:aws:iam::*:role/stratus-*'] } };

    expect(decide(confirmed, rule, trigger, guarded)).toEqual({
      decision: 'escalate',
      reason: `${trigger.target.roleArn} is protected (matches arn:aws:iam::*:role/stratus-*)`,
    });
  });
});
