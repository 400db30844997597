// Turning runbook results into a verdict and a decision, each with its reasons in words.
import { type Config, isProtected } from './config.ts';
import type { DetectionRule } from './rules.ts';
import type { Trigger } from './trigger.ts';

export type Verdict = 'confirmed' | 'benign' | 'ambiguous';
export type Decision = 'revoke' | 'escalate' | 'close';

export interface FirstSeenFacts {
  baselineEvents: number;
  fromSourceIp: number;
  withUserAgent: number;
  distinctSourceIps: number;
}

export interface Assessment {
  verdict: Verdict;
  /** 0..100: how strongly the evidence points at compromise. */
  score: number;
  explanation: string;
}

export function assessFirstSeen(facts: FirstSeenFacts, trigger: Trigger, config: Config): Assessment {
  const address = trigger.sourceIp ?? 'an unknown address';
  const days = config.confirm.baselineDays;
  if (facts.baselineEvents < config.confirm.minimumBaselineEvents) {
    return {
      verdict: 'ambiguous',
      score: 50,
      explanation:
        `${trigger.target.roleArn} made only ${facts.baselineEvents} calls in the ${days}-day baseline ` +
        `(at least ${config.confirm.minimumBaselineEvents} are needed to judge), so its history cannot ` +
        `say whether ${trigger.eventName} from ${address} is normal. A human decides.`,
    };
  }
  if (facts.fromSourceIp === 0) {
    const agent = facts.withUserAgent === 0 ? ' with a user agent it has never used,' : '';
    return {
      verdict: 'confirmed',
      score: facts.withUserAgent === 0 ? 95 : 85,
      explanation:
        `${trigger.target.roleArn} called ${trigger.eventName} from ${address},${agent} an address it ` +
        `never used in ${facts.baselineEvents} calls over the ${days}-day baseline (it used ` +
        `${facts.distinctSourceIps} other addresses). Its credentials are being used from somewhere new.`,
    };
  }
  return {
    verdict: 'benign',
    score: 10,
    explanation:
      `${trigger.target.roleArn} has used ${address} before (${facts.fromSourceIp} of ` +
      `${facts.baselineEvents} baseline calls), so ${trigger.eventName} from there is consistent with its history.`,
  };
}

/**
 * Without an IP address to compare (none, `AWS Internal`, a service host name, a list), the
 * history cannot say whether the call is normal: a human decides. Never guess "new address".
 */
export function assessWithoutAddress(trigger: Trigger): Assessment {
  const shown =
    trigger.sourceIp === null
      ? 'no source address'
      : `source ${JSON.stringify(trigger.sourceIp.slice(0, 100))}, not an IP address`;
  return {
    verdict: 'ambiguous',
    score: 50,
    explanation: `${trigger.eventName} by ${trigger.target.roleArn} came with ${shown}, so it cannot be compared with the role's history. A human decides.`,
  };
}

export interface DecisionWithReason {
  decision: Decision;
  reason: string;
}

/** Benign closes; confirmed revokes only when the rule, the guard rails and the mode allow it. */
export function decide(
  assessment: Assessment,
  rule: DetectionRule,
  trigger: Trigger,
  config: Config,
): DecisionWithReason {
  if (assessment.verdict === 'benign')
    return { decision: 'close', reason: 'the evidence clears the trigger' };
  if (assessment.verdict === 'ambiguous')
    return { decision: 'escalate', reason: 'the evidence is ambiguous' };
  const response = config.rules[rule.id]?.response;
  if (response === undefined) {
    return { decision: 'escalate', reason: `rule ${rule.id} has no response configured` };
  }
  if (response !== 'auto-revoke') {
    return {
      decision: 'escalate',
      reason: `rule ${rule.id} is configured to ${response}, not to revoke automatically`,
    };
  }
  const protection = isProtected(trigger.target.roleArn, config);
  if (protection) {
    return { decision: 'escalate', reason: `${trigger.target.roleArn} is protected (matches ${protection})` };
  }
  return { decision: 'revoke', reason: `confirmed, and rule ${rule.id} allows automatic revocation` };
}
