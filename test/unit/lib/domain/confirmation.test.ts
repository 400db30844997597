import { describe, expect, it } from 'vitest';
import type { Ranking } from '../../../../lib/domain/case.ts';
import type { Config } from '../../../../lib/domain/config.ts';
import {
  type Assessment,
  assessEvidence,
  assessWithoutAddress,
  type BaselineFacts,
  decide,
} from '../../../../lib/domain/confirmation.ts';
import { resolvePrincipal } from '../../../../lib/domain/principal.ts';
import {
  type DetectionRule,
  instanceCredentialsIamEscalation as rule,
} from '../../../../lib/domain/rules.ts';
import { buildTrigger } from '../../../../lib/domain/trigger.ts';
import { rankingOfCall } from '../../../../lib/usecases/detect.ts';
import { shippedConfig } from '../../../fixtures/config.ts';
import { roleTarget, stolenInstanceCredentialsGrant } from '../../../fixtures/records.ts';

const record = stolenInstanceCredentialsGrant();
const resolution = resolvePrincipal(record.userIdentity);
if (!resolution.ok) throw new Error(resolution.reason);
const trigger = buildTrigger(rule, record, resolution.principal);
const config = await shippedConfig();

/** A role with a long, settled history in which the trigger looks entirely familiar. */
const familiar: BaselineFacts = {
  events: 500,
  fromSourceIp: 40,
  withUserAgent: 40,
  inRegion: 500,
  withEventName: 3,
  distinctSourceIps: 2,
};
const quiet = { deniedBursts: [], otherFootholds: [] };
const burst = {
  denied: 4,
  distinctActions: 4,
  firstDenied: '2026-01-15T11:21:00Z',
  lastDenied: '2026-01-15T11:26:00Z',
};
const foothold = { eventName: 'CreateUser', target: 'svc-backup', eventTime: '2026-01-15T11:27:00Z' };

describe('assessEvidence', () => {
  it('confirms an address the role never used, and explains each signal with its points', () => {
    const assessment = assessEvidence(
      { ...familiar, fromSourceIp: 0, withUserAgent: 0 },
      { deniedBursts: [burst], otherFootholds: [foothold] },
      trigger,
      config,
    );

    expect(assessment).toMatchObject({ verdict: 'confirmed', score: 100 });
    expect(assessment.signals.filter((signal) => signal.present).map((signal) => signal.name)).toEqual([
      'newSourceIp',
      'newUserAgent',
      'deniedBurst',
      'otherFootholds',
    ]);
    expect(assessment.explanation).toContain(
      '18.236.253.47 is new (the principal used 2 other addresses) (+60)',
    );
    expect(assessment.explanation).toContain(
      '1 other footholds created around it (CreateUser svc-backup) (+20)',
    );
    // What decided comes first: a summary line cut to fit keeps it.
    expect(assessment.explanation).toMatch(/^Score 100 reaches 60: /);
  });

  it('says first that too little history decided, however high the score', () => {
    const assessment = assessEvidence(
      { ...familiar, events: 0, fromSourceIp: 0, withUserAgent: 0, inRegion: 0, withEventName: 0 },
      { deniedBursts: [burst], otherFootholds: [foothold] },
      trigger,
      config,
    );

    expect(assessment.verdict).toBe('ambiguous');
    expect(assessment.score).toBeGreaterThanOrEqual(config.confirm.confirmAtScore);
    expect(assessment.explanation).toMatch(
      new RegExp(
        `^Too little history: 0 baseline calls where at least ${config.confirm.minimumBaselineEvents} are needed, `,
      ),
    );
  });

  // Shipped weights: new address 60, user agent 15, region 10, API 10, burst 15, footholds 20.
  it.each([
    ['everything familiar', familiar, quiet, 'benign', 0],
    ['a familiar address calling a new API', { ...familiar, withEventName: 0 }, quiet, 'benign', 10],
    [
      'a familiar address, new user agent and API: between the thresholds',
      { ...familiar, withUserAgent: 0, withEventName: 0 },
      quiet,
      'ambiguous',
      25,
    ],
    [
      'a familiar address amid a denied burst and other footholds',
      { ...familiar, withUserAgent: 0, withEventName: 0 },
      { deniedBursts: [burst], otherFootholds: [foothold] },
      'confirmed',
      60,
    ],
    ['a new address alone', { ...familiar, fromSourceIp: 0 }, quiet, 'confirmed', 60],
    [
      'too little history, however new it all is',
      { ...familiar, events: 3, fromSourceIp: 0, withUserAgent: 0 },
      quiet,
      'ambiguous',
      75,
    ],
  ] as const)('%s → %s (%i)', (_case, baseline, recent, verdict, score) => {
    expect(assessEvidence(baseline, recent, trigger, config)).toMatchObject({ verdict, score });
  });

  it('weighs the credential’s previous case only when it confirmed a compromise', () => {
    const newApi = { ...familiar, withEventName: 0 };
    const compromised = { caseId: 'case-0', outcome: 'contained', confirmed: true };
    const cleared = { caseId: 'case-0', outcome: 'benign', confirmed: false };

    const after = assessEvidence(newApi, { ...quiet, previousCase: compromised }, trigger, config);
    const afterCleared = assessEvidence(newApi, { ...quiet, previousCase: cleared }, trigger, config);

    // Shipped weights: new API 10, previous case 20.
    expect(after).toMatchObject({ verdict: 'ambiguous', score: 30 });
    expect(after.explanation).toContain(
      "the credential's previous case case-0 confirmed it compromised and closed as contained (+20)",
    );
    expect(afterCleared).toMatchObject({ verdict: 'benign', score: 10 });
    expect(afterCleared.explanation).toContain(
      "the credential's previous case case-0 did not confirm a compromise and closed as benign",
    );
  });

  it('says which checks the rule did not ask for instead of calling them clean', () => {
    const assessment = assessEvidence(familiar, {}, trigger, config);

    expect(assessment.explanation).toContain('access-denied bursts not checked for this rule');
    expect(assessment.explanation).toContain('footholds not checked for this rule');
  });

  it('calls a trigger without an IP address ambiguous', () => {
    const viaService = { ...trigger, sourceIp: 'ec2.amazonaws.com' };

    expect(assessWithoutAddress(viaService)).toMatchObject({ verdict: 'ambiguous' });
    expect(assessWithoutAddress({ ...trigger, sourceIp: null }).explanation).toContain('no source address');
  });
});

describe('decide', () => {
  const confirmed: Assessment = { verdict: 'confirmed', score: 95, signals: [], explanation: '' };
  const withResponse = (response: 'auto-revoke' | 'escalate' | 'notify'): Config => ({
    ...config,
    rules: { [rule.id]: { response } },
  });
  /** Where a case opened by this call stands under the configuration. */
  const standingUnder = (settings: Config, ...rules: DetectionRule[]) =>
    rankingOfCall(rules.length > 0 ? rules : [rule], settings, null);

  it('revokes only what is confirmed, allowed by the rule and not protected', () => {
    const standing = standingUnder(config);

    expect(decide(confirmed, standing, trigger, config).decision).toBe('revoke');
    expect(decide({ ...confirmed, verdict: 'benign' }, standing, trigger, config).decision).toBe('close');
    expect(decide({ ...confirmed, verdict: 'ambiguous' }, standing, trigger, config).decision).toBe(
      'escalate',
    );
    expect(decide(confirmed, standingUnder(withResponse('escalate')), trigger, config).decision).toBe(
      'escalate',
    );
    expect(decide(confirmed, standingUnder(withResponse('notify')), trigger, config).decision).toBe('notify');
  });

  it('falls back on the rule’s own response when the configuration does not name it', () => {
    const unnamed = { ...config, rules: {} };

    expect(decide(confirmed, standingUnder(unnamed), trigger, unnamed).decision).toBe('revoke');
    expect(
      decide(confirmed, standingUnder(unnamed, { ...rule, response: 'escalate' }), trigger, unnamed),
    ).toEqual({
      decision: 'escalate',
      reason: `the case stands at ${rule.id} (high, escalate): a human decides, nothing is revoked automatically`,
    });
    expect(
      decide(confirmed, standingUnder(unnamed, { ...rule, response: 'notify' }), trigger, unnamed),
    ).toEqual({
      decision: 'notify',
      reason: `the case stands at ${rule.id} (high, notify): notify only`,
    });
  });

  it('decides on the case’s standing: a raise to a stronger response lets a confirmed case be revoked', () => {
    const raised: Ranking = {
      ruleId: 'cloudtrail-stopped-or-deleted',
      severity: 'critical',
      response: 'auto-revoke',
    };

    expect(decide(confirmed, raised, trigger, withResponse('notify'))).toEqual({
      decision: 'revoke',
      reason:
        'confirmed, and the case stands at cloudtrail-stopped-or-deleted (critical, auto-revoke), which allows automatic revocation',
    });
  });

  it('keeps a case revoked before on the revocation path, whatever the evidence says now', () => {
    const standing = standingUnder(config);

    expect(decide({ ...confirmed, verdict: 'benign' }, standing, trigger, config, true)).toEqual({
      decision: 'revoke',
      reason: `the case was already revoked once; the case stands at ${rule.id} (high, auto-revoke), so it is revoked and verified again`,
    });
  });

  it('never revokes a protected principal automatically, and says which pattern protects it', () => {
    const guarded = {
      ...config,
      guardRails: { ...config.guardRails, protectedPrincipals: ['arn:aws:iam::*:role/stratus-*'] },
    };

    expect(decide(confirmed, standingUnder(guarded), trigger, guarded)).toEqual({
      decision: 'escalate',
      reason: `${roleTarget(trigger).roleArn} is protected (matches arn:aws:iam::*:role/stratus-*)`,
    });
  });
});
