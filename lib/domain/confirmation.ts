// Turning runbook results into a verdict and a decision, each with its reasons in words.

import { describeRanking, type Ranking } from './case.ts';
import { type Config, isProtected } from './config.ts';
import { principalArnOf, type Trigger } from './trigger.ts';
import { plural } from './words.ts';

export type Verdict = 'confirmed' | 'benign' | 'ambiguous';
export type Decision = 'revoke' | 'escalate' | 'notify' | 'close';

/** What first-seen found: the trigger compared with the principal's baseline window. */
export interface BaselineFacts {
  events: number;
  fromSourceIp: number;
  withUserAgent: number;
  inRegion: number;
  withEventName: number;
  distinctSourceIps: number;
}

/** Evidence around the trigger; a field is absent when the rule does not ask for its runbook. */
export interface RecentFacts {
  /** From error-burst: each burst window of access-denied errors, strongest first. */
  deniedBursts?: readonly {
    denied: number;
    distinctActions: number;
    firstDenied: string;
    lastDenied: string;
  }[];
  /** From persistence-created: footholds created around the trigger, its own call excluded. */
  otherFootholds?: readonly { eventName: string; target: string | null; eventTime: string }[];
  /** The credential's previous case, when it had one: its outcome, and whether it confirmed a compromise. */
  previousCase?: { caseId: string; outcome: string | null; confirmed: boolean } | null;
}

export type SignalName = keyof Config['confirm']['weights'];

export interface Signal {
  name: SignalName;
  present: boolean;
  /** Points added to the score: the configured weight when present, else 0. */
  points: number;
  /** The fact in words, present or not, so the explanation shows what was checked. */
  finding: string;
}

/** One runbook's question and answer, kept on the case as evidence. */
export interface RunbookEvidence {
  runbook: string;
  parameters: Record<string, string>;
  rows: Record<string, string | number | boolean | null>[];
  bytesScanned: number | null;
}

export interface Assessment {
  verdict: Verdict;
  /** 0..100: how strongly the evidence points at compromise. */
  score: number;
  signals: Signal[];
  explanation: string;
}

/**
 * Score the trigger: each signal present adds its configured weight. Without enough
 * baseline history the verdict is ambiguous whatever the score: a human decides.
 */
export function assessEvidence(
  baseline: BaselineFacts,
  recent: RecentFacts,
  trigger: Trigger,
  config: Config,
): Assessment {
  const { weights, deniedBurst, confirmAtScore, clearAtScore, baselineDays } = config.confirm;
  const api = `${trigger.eventSource.replace(/\.amazonaws\.com$/, '')}:${trigger.eventName}`;
  const bursts = recent.deniedBursts;
  const strongest = bursts?.[0];
  const created = recent.otherFootholds;
  const footholds = (created ?? [])
    .slice(0, 5)
    .map((foothold) => `${foothold.eventName}${foothold.target ? ` ${foothold.target}` : ''}`)
    .join(', ');
  const previous = recent.previousCase;
  const observed: [SignalName, boolean, string][] = [
    [
      'newSourceIp',
      baseline.fromSourceIp === 0,
      baseline.fromSourceIp === 0
        ? `${trigger.sourceIp} is new (the principal used ${plural(baseline.distinctSourceIps, 'other address', 'other addresses')})`
        : `${trigger.sourceIp} made ${baseline.fromSourceIp} of the baseline calls`,
    ],
    [
      'newUserAgent',
      baseline.withUserAgent === 0,
      baseline.withUserAgent === 0
        ? 'its user agent is new'
        : `its user agent made ${plural(baseline.withUserAgent, 'baseline call')}`,
    ],
    [
      'newRegion',
      baseline.inRegion === 0,
      baseline.inRegion === 0
        ? `${trigger.region} is a region it never called`
        : `it called ${trigger.region} ${plural(baseline.inRegion, 'time')}`,
    ],
    [
      'newApi',
      baseline.withEventName === 0,
      baseline.withEventName === 0
        ? `it never called ${api} before`
        : `it called ${api} ${plural(baseline.withEventName, 'time')} before`,
    ],
    [
      'deniedBurst',
      strongest !== undefined,
      bursts === undefined
        ? 'access-denied bursts not checked for this rule'
        : strongest
          ? `${strongest.denied} access-denied errors on ${strongest.distinctActions} APIs between ${strongest.firstDenied} and ${strongest.lastDenied}`
          : `no burst of ${deniedBurst.minDenied} or more access-denied errors within ${deniedBurst.windowMinutes} minutes`,
    ],
    [
      'otherFootholds',
      (created?.length ?? 0) > 0,
      created === undefined
        ? 'footholds not checked for this rule'
        : created.length > 0
          ? `${created.length} other footholds created around it (${footholds}${created.length > 5 ? ', ...' : ''})`
          : 'no other footholds created around it',
    ],
    [
      'previousCase',
      previous?.confirmed === true,
      previous
        ? `the credential's previous case ${previous.caseId} ${previous.confirmed ? 'confirmed it compromised' : 'did not confirm a compromise'} and closed as ${previous.outcome ?? 'open'}`
        : 'the credential had no earlier case',
    ],
  ];
  const signals = observed.map(([name, present, finding]) => ({
    name,
    present,
    points: present ? weights[name] : 0,
    finding,
  }));
  const score = Math.min(
    100,
    signals.reduce((total, signal) => total + signal.points, 0),
  );
  const found = signals.filter((signal) => signal.present);
  const facts =
    `${trigger.eventName} by ${principalArnOf(trigger.target)} from ${trigger.sourceIp}, against ` +
    `${plural(baseline.events, 'call')} over the ${baselineDays}-day baseline: ` +
    `${signals.map((signal) => (signal.present ? `${signal.finding} (+${signal.points})` : signal.finding)).join('; ')}.`;
  if (baseline.events < config.confirm.minimumBaselineEvents) {
    return {
      verdict: 'ambiguous',
      score,
      signals,
      // What decided first: summary lines are cut to fit, and a high score alone reads as a bug.
      explanation:
        `Too little history: ${plural(baseline.events, 'baseline call')} where at least ${config.confirm.minimumBaselineEvents} are ` +
        `needed, so its history cannot say what is normal and a human decides, whatever the score. ${facts}`,
    };
  }
  const verdict: Verdict =
    score >= confirmAtScore ? 'confirmed' : score <= clearAtScore ? 'benign' : 'ambiguous';
  const conclusion = {
    confirmed: `Score ${score} reaches ${confirmAtScore}: its credentials are being misused.`,
    benign: `Score ${score} is at most ${clearAtScore}: consistent with its history.`,
    ambiguous: `Score ${score} is between ${clearAtScore} and ${confirmAtScore}: a human decides.`,
  }[verdict];
  return {
    verdict,
    score,
    signals,
    // The conclusion first, so it survives a line cut to fit; the facts that add up to it after.
    explanation: `${conclusion} ${found.length === 0 ? 'Nothing new. ' : ''}${facts}`,
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
    signals: [],
    explanation: `${trigger.eventName} by ${principalArnOf(trigger.target)} came with ${shown}, so it cannot be compared with the principal's history. A human decides.`,
  };
}

/**
 * A GuardDuty or Security Hub finding names the credential; it is confirmed only when the
 * principal's history confirms it too (anyone who can shape a finding cannot also rewrite the
 * logs). Anything short of that goes to a human: a finding is never cleared automatically.
 */
export function assessFinding(trigger: Trigger, history: Assessment): Assessment {
  const finding = trigger.finding;
  const said = finding
    ? `${finding.product === 'guardduty' ? 'GuardDuty' : 'Security Hub'} finding ${finding.type} (${finding.id}, severity ${finding.severity}) names ${principalArnOf(trigger.target)}.`
    : `A finding names ${principalArnOf(trigger.target)}.`;
  if (history.verdict === 'confirmed')
    return { ...history, explanation: `${said} Its history agrees: ${history.explanation}` };
  return {
    ...history,
    verdict: 'ambiguous',
    explanation: `${said} Its history does not confirm it (${history.verdict}): ${history.explanation} A human decides.`,
  };
}

export interface DecisionWithReason {
  decision: Decision;
  reason: string;
}

/**
 * Benign closes; confirmed revokes only when the case's response (the strongest its calls
 * earned, configured per rule), the guard rails and the mode allow it. A case already revoked
 * once stays on that path (the revocation is re-applied and verified) whatever later evidence says.
 */
export function decide(
  assessment: Assessment,
  standing: Ranking,
  trigger: Trigger,
  config: Config,
  revokedBefore = false,
): DecisionWithReason {
  const stands = `the case stands at ${describeRanking(standing)}`;
  if (revokedBefore)
    return {
      decision: 'revoke',
      reason: `the case was already revoked once; ${stands}, so it is revoked and verified again`,
    };
  if (assessment.verdict === 'benign')
    return { decision: 'close', reason: 'the evidence clears the trigger' };
  if (assessment.verdict === 'ambiguous')
    return { decision: 'escalate', reason: 'the evidence is ambiguous' };
  if (standing.response === 'notify') return { decision: 'notify', reason: `${stands}: notify only` };
  if (standing.response !== 'auto-revoke') {
    return { decision: 'escalate', reason: `${stands}: a human decides, nothing is revoked automatically` };
  }
  const arn = principalArnOf(trigger.target);
  const protection = isProtected(arn, config);
  if (protection) {
    return { decision: 'escalate', reason: `${arn} is protected (matches ${protection})` };
  }
  return { decision: 'revoke', reason: `confirmed, and ${stands}, which allows automatic revocation` };
}

/** What the confirm step records and returns: the assessment, the decision, and the evidence. */
export interface Confirmation extends Assessment {
  decision: Decision;
  decisionReason: string;
  /** Every runbook run, in order; empty when there was nothing to compare. */
  evidence: RunbookEvidence[];
  /** Bytes the engine scanned for all of them (null when it does not report it). */
  bytesScanned: number | null;
  /** The case's revision the decision was made on. */
  revision: number;
}
