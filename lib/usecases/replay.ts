// Replay: run the detection rules over records already logged, and say which cases they
// would open — the same matching and case identity detect uses, without starting anything.
import type { CloudTrailRecord } from '../domain/cloudtrail.ts';
import type { Principal } from '../domain/principal.ts';
import { matchingRules, type Severity } from '../domain/rules.ts';
import { buildTrigger, InvalidTriggerError, principalArnOf } from '../domain/trigger.ts';

export interface ReplayedCase {
  caseId: string;
  ruleId: string;
  severity: Severity;
  principal: string;
  /** The call that opened it. */
  firstEvent: { eventTime: string; eventName: string; sourceIp: string | null; file: string };
  /** Calls by the same credential that matched a rule, the first included. */
  calls: number;
  /** Every rule those calls matched, the case's own first. */
  rules: string[];
}

export interface ReplayResult {
  records: number;
  cases: ReplayedCase[];
  /** Calls a rule matched that cannot open a case (a principal kind revoker does not handle). */
  refused: { file: string; eventName: string; reason: string }[];
}

export async function replay(
  entries: AsyncIterable<{ record: CloudTrailRecord; principal: Principal; file: string }>,
): Promise<ReplayResult> {
  const cases = new Map<string, ReplayedCase>();
  const refused: ReplayResult['refused'] = [];
  let records = 0;
  for await (const { record, principal, file } of entries) {
    records += 1;
    const rules = matchingRules(record, principal);
    if (rules.length === 0) continue;
    let trigger: ReturnType<typeof buildTrigger>;
    try {
      trigger = buildTrigger(rules[0]!, record, principal);
    } catch (error) {
      if (!(error instanceof InvalidTriggerError)) throw error;
      refused.push({ file, eventName: record.eventName, reason: error.message });
      continue;
    }
    const known = cases.get(trigger.triggerId);
    if (known) {
      known.calls += 1;
      for (const rule of rules) if (!known.rules.includes(rule.id)) known.rules.push(rule.id);
      continue;
    }
    cases.set(trigger.triggerId, {
      caseId: trigger.triggerId,
      ruleId: rules[0]!.id,
      severity: rules[0]!.severity,
      principal: principalArnOf(trigger.target),
      firstEvent: {
        eventTime: record.eventTime,
        eventName: record.eventName,
        sourceIp: trigger.sourceIp,
        file,
      },
      calls: 1,
      rules: rules.map((rule) => rule.id),
    });
  }
  return { records, cases: [...cases.values()], refused };
}
