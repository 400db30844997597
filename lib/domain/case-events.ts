// What the functions report as a case runs: one event per thing that happened to a case (or to
// an event no case took), each carrying the case, its rule, its principal, the step and the
// execution. Deployed, each event is a JSON log line and the CloudWatch metrics below (EMF);
// locally, a line on stderr with `--verbose`. The case record keeps the same facts as entries.

/** The functions of the stack, by the name each one's folder in functions/ has. */
export const STEPS = [
  'detect',
  'confirm',
  'revoke',
  'verify',
  'escalate',
  'close',
  'offboard',
  'expire-grant',
  'grant',
  'heartbeat',
  'operator',
  'approval',
] as const;
export type Step = (typeof STEPS)[number];

export interface CaseEvent {
  step: Step;
  /**
   * `warn` for what someone should look at (a dead letter, a missed deadline), `error` for a
   * failed step, `debug` for an event no rule matched (left out unless asked for).
   */
  level: 'debug' | 'info' | 'warn' | 'error';
  /** What happened, in a word or two: `case opened`, `revoked`, `closed`, `dead letter`... */
  event: string;
  caseId: string | null;
  /** The rule the case stands on (a finding's `<product>:<type>`, `offboarding`...). */
  rule: string | null;
  /** Whose access the case is about: an ARN, or the person an offboarding names. */
  principal: string | null;
  /** The Step Functions execution that runs the case. */
  execution: string | null;
  /** Facts for the reader: outcome, verdict, counts, durations in seconds. Never a secret. */
  detail: Record<string, string | number | boolean | null>;
}

/** The namespace of revoker's own metrics, and the one dimension every metric has. */
export const METRICS_NAMESPACE = 'revoker';
export const SERVICE_NAME = 'revoker';

/**
 * revoker's metrics. Those counted `byRule` carry the dimension `rule` (a catalog rule ID or a
 * finding type: few values); none carries a principal, a case or an account.
 */
export const METRICS = {
  CasesOpened: { unit: 'Count', byRule: true },
  CasesRaised: { unit: 'Count', byRule: true },
  CasesEscalated: { unit: 'Count', byRule: true },
  CasesContained: { unit: 'Count', byRule: true },
  CasesBenign: { unit: 'Count', byRule: true },
  /** Closed through the failure path: a step failed and the case went to a human. */
  CasesFailed: { unit: 'Count', byRule: true },
  /** From the call the case stands on to the revocation in IAM, read back. */
  TimeToDeny: { unit: 'Seconds', byRule: true },
  /** From the call the case stands on to the logs proving it contained. */
  TimeToContained: { unit: 'Seconds', byRule: true },
  /** Revocations that changed IAM (dry runs and revocations IAM already showed are not counted). */
  RevocationsApplied: { unit: 'Count', byRule: true },
  /** Events set aside with the reason (detect's rejections, unrecorded grant announcements). */
  DeadLetters: { unit: 'Count', byRule: false },
  /** Escalations nobody decided by their deadline: the severity's onTimeout decided instead. */
  DecisionDeadlinesMissed: { unit: 'Count', byRule: false },
} as const;
export type MetricName = keyof typeof METRICS;

export interface MetricPoint {
  name: MetricName;
  unit: (typeof METRICS)[MetricName]['unit'];
  value: number;
  /** The `rule` dimension, for a metric counted by rule. */
  rule: string | null;
}

function point(name: MetricName, value: number, rule: string | null): MetricPoint {
  const { unit, byRule } = METRICS[name];
  return { name, unit, value, rule: byRule ? (rule ?? 'unknown') : null };
}

const CLOSED_COUNTS: Partial<Record<string, MetricName>> = {
  contained: 'CasesContained',
  benign: 'CasesBenign',
};

/** The metrics one event counts. */
export function metricsOf(event: CaseEvent): MetricPoint[] {
  const { rule, detail } = event;
  switch (event.event) {
    case 'case opened':
      return [point('CasesOpened', 1, rule)];
    case 'case raised':
      return [point('CasesRaised', 1, rule)];
    case 'escalated':
      return [point('CasesEscalated', 1, rule)];
    case 'revoked':
      return [
        point('RevocationsApplied', 1, rule),
        ...(typeof detail.secondsSinceCall === 'number'
          ? [point('TimeToDeny', detail.secondsSinceCall, rule)]
          : []),
      ];
    case 'closed': {
      if (detail.failed === true) return [point('CasesFailed', 1, rule)];
      const counted = CLOSED_COUNTS[String(detail.outcome)];
      if (!counted) return [];
      return [
        point(counted, 1, rule),
        ...(counted === 'CasesContained' && typeof detail.secondsSinceCall === 'number'
          ? [point('TimeToContained', detail.secondsSinceCall, rule)]
          : []),
      ];
    }
    case 'dead letter':
      return [point('DeadLetters', 1, null)];
    case 'decision deadline missed':
      return [point('DecisionDeadlinesMissed', 1, null)];
    default:
      return [];
  }
}

/** An event as one line for a person at a terminal: `close closed case=… rule=… outcome=contained`. */
export function describeCaseEvent(event: CaseEvent): string {
  const fields: [string, unknown][] = [
    ['case', event.caseId],
    ['rule', event.rule],
    ['principal', event.principal],
    ['execution', event.execution],
    ...Object.entries(event.detail),
  ];
  const shown = fields
    .filter(([, value]) => value !== null && value !== undefined && value !== '')
    // Quoted unless plainly safe: a reason may carry text an attacker chose (JSON escapes control characters).
    .map(
      ([key, value]) =>
        `${key}=${typeof value === 'string' && !/^[\w.:/@+=,-]*$/.test(value) ? JSON.stringify(value) : value}`,
    );
  return [`revoker ${event.step}: ${event.event}`, ...shown].join(' ');
}
