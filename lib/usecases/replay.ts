// Replay: run the detection rules over records already logged (and findings events), and say
// which cases they would open — the same matching, case identity and raises detect uses, without starting
// anything. Calls are taken in time order, as they happened; a duplicate record counts once.
// Nothing closes during a replay, so each credential has one case, raised by every call that
// ranks higher than the case stood.
import {
  caseIdFor,
  describeRanking,
  type Ranking,
  raisedStanding,
  rankingOf,
  type Standing,
} from '../domain/case.ts';
import type { CloudTrailRecord } from '../domain/cloudtrail.ts';
import type { Config } from '../domain/config.ts';
import { validateRecord } from '../domain/documents.ts';
import { type FindingEvent, findingOutcomes } from '../domain/findings.ts';
import type { Principal } from '../domain/principal.ts';
import { matchingRules } from '../domain/rules.ts';
import { buildTrigger, InvalidTriggerError, principalArnOf, type Trigger } from '../domain/trigger.ts';
import { eventKeyOf, rankingOfCall } from './detect.ts';

export interface ReplayedCall {
  eventTime: string;
  eventName: string;
  sourceIp: string | null;
  ruleId: string;
  file: string;
}

export interface ReplayedRaise {
  eventTime: string;
  eventName: string;
  /** Where the case stood before the call, and after it. */
  from: Ranking;
  to: Ranking;
}

export interface ReplayedCase {
  caseId: string;
  /** The rule of the call that opened it. */
  ruleId: string;
  /** Where the case stands after every call: the most severe rule's severity, the strongest response. */
  severity: Standing['severity'];
  response: Standing['response'];
  /** Its most severe rule (the one its severity comes from). */
  standingRuleId: string;
  principal: string;
  /** The call that opened it. */
  firstEvent: { eventTime: string; eventName: string; sourceIp: string | null; file: string };
  /** Calls by the same credential that matched a rule, the first included. */
  calls: number;
  /** Every rule those calls matched, the case's own first. */
  rules: string[];
  /** Each call that raised the case, in order. */
  raises: ReplayedRaise[];
}

export interface ReplayResult {
  records: number;
  cases: ReplayedCase[];
  /** Calls a rule matched that cannot open a case (a principal kind revoker does not handle). */
  refused: { file: string; eventName: string; reason: string }[];
  /** Findings detect would take in but act on none of (another product's, posture, archived). */
  ignored: { file: string; reason: string }[];
  /** Records and documents that could not be read, or named no principal revoker resolves (`revoker parse` says which and why). */
  unreadable: number;
  /** Files that held entries but nothing readable, each with the first reason: named to the user. */
  unusableFiles: { file: string; reason: string }[];
}

export interface MatchedCall {
  trigger: Trigger;
  ranking: Ranking;
  rules: string[];
  eventKey: string;
  file: string;
}

/** A call from a log file, or a findings event (each of its findings opens or joins a case as in detect). */
export type ReplayEntry =
  | { record: CloudTrailRecord; principal: Principal; file: string }
  | { finding: FindingEvent; file: string }
  /** Read but not usable: counted, never silently dropped. */
  | { unreadable: string; file: string };

/**
 * What one entry adds to a replay, on its own: the per-record work (matching, triggers), which
 * can run anywhere, apart from the fold that needs every call in order (replayed).
 */
export type ReplayItem =
  | { kind: 'call'; call: MatchedCall }
  /** A matched call that cannot open a case; its event key counts it once, as a call's does. */
  | { kind: 'refused'; eventKey: string | null; refused: ReplayResult['refused'][number] }
  | { kind: 'ignored'; ignored: ReplayResult['ignored'][number] };

/** Items of some entries, and how many entries were read and could not be. */
export interface ReplayItems {
  records: number;
  unreadable: number;
  items: ReplayItem[];
  unusableFiles: { file: string; reason: string }[];
}

export function emptyItems(): ReplayItems {
  return { records: 0, unreadable: 0, items: [], unusableFiles: [] };
}

/** Add one entry's items. */
export function classifyEntry(entry: ReplayEntry, config: Config, into: ReplayItems): void {
  if ('unreadable' in entry) {
    into.unreadable += 1;
    return;
  }
  into.records += 1;
  const { file } = entry;
  if ('finding' in entry) {
    for (const found of findingOutcomes(entry.finding, config)) {
      if ('ignored' in found) into.items.push({ kind: 'ignored', ignored: { file, reason: found.ignored } });
      else if ('rejected' in found)
        into.items.push({
          kind: 'refused',
          eventKey: null,
          refused: { file, eventName: entry.finding.event['detail-type'], reason: found.rejected },
        });
      else into.items.push({ kind: 'call', call: { ...found, rules: [found.ranking.ruleId], file } });
    }
    return;
  }
  const rules = matchingRules(entry.record, entry.principal);
  if (rules.length === 0) return;
  const eventKey = eventKeyOf(entry.record);
  // Read by hand on the hot path: the schema judges a record before it counts toward a case.
  const checked = validateRecord(entry.record);
  if ('rejected' in checked) {
    into.items.push({
      kind: 'refused',
      eventKey,
      refused: { file, eventName: entry.record.eventName, reason: checked.rejected },
    });
    return;
  }
  const { record } = checked;
  try {
    const trigger = buildTrigger(rules[0]!, record, entry.principal);
    into.items.push({
      kind: 'call',
      call: {
        trigger,
        ranking: rankingOfCall(rules, config, trigger.target.accountId),
        rules: rules.map((rule) => rule.id),
        eventKey,
        file,
      },
    });
  } catch (error) {
    if (!(error instanceof InvalidTriggerError)) throw error;
    into.items.push({
      kind: 'refused',
      eventKey,
      refused: { file, eventName: record.eventName, reason: error.message },
    });
  }
}

export async function replay(entries: AsyncIterable<ReplayEntry>, config: Config): Promise<ReplayResult> {
  const items = emptyItems();
  for await (const entry of entries) classifyEntry(entry, config, items);
  return replayed([items]);
}

/**
 * The cases the items open, joined and raised, in time order; `parts` are taken in order, as
 * if their entries had been read one after another (a duplicate counts where it came first).
 */
export function replayed(parts: readonly ReplayItems[]): ReplayResult {
  const matched: MatchedCall[] = [];
  const refused: ReplayResult['refused'] = [];
  const ignored: ReplayResult['ignored'] = [];
  const seen = new Set<string>();
  let records = 0;
  let unreadable = 0;
  const unusableFiles: ReplayResult['unusableFiles'] = [];
  for (const part of parts) {
    records += part.records;
    unreadable += part.unreadable;
    unusableFiles.push(...part.unusableFiles);
    for (const item of part.items) {
      if (item.kind === 'ignored') {
        ignored.push(item.ignored);
        continue;
      }
      const eventKey = item.kind === 'call' ? item.call.eventKey : item.eventKey;
      if (eventKey !== null) {
        if (seen.has(eventKey)) continue;
        seen.add(eventKey);
      }
      if (item.kind === 'call') matched.push(item.call);
      else refused.push(item.refused);
    }
  }
  matched.sort((a, b) =>
    a.trigger.eventTime < b.trigger.eventTime ? -1 : a.trigger.eventTime > b.trigger.eventTime ? 1 : 0,
  );

  const cases = new Map<string, { found: ReplayedCase; standing: Standing }>();
  for (const call of matched) {
    const { trigger, ranking } = call;
    const open = cases.get(trigger.credentialId);
    if (!open) {
      cases.set(trigger.credentialId, {
        standing: { ...ranking, trigger },
        found: {
          caseId: caseIdFor(trigger.credentialId, call.eventKey),
          ruleId: ranking.ruleId,
          severity: ranking.severity,
          response: ranking.response,
          standingRuleId: ranking.ruleId,
          principal: principalArnOf(trigger.target),
          firstEvent: {
            eventTime: trigger.eventTime,
            eventName: trigger.eventName,
            sourceIp: trigger.sourceIp,
            file: call.file,
          },
          calls: 1,
          rules: [...call.rules],
          raises: [],
        },
      });
      continue;
    }
    const { found } = open;
    found.calls += 1;
    for (const rule of call.rules) if (!found.rules.includes(rule)) found.rules.push(rule);
    const raised = raisedStanding(open.standing, ranking, trigger);
    if (!raised) continue;
    found.raises.push({
      eventTime: trigger.eventTime,
      eventName: trigger.eventName,
      from: rankingOf(open.standing),
      to: rankingOf(raised),
    });
    open.standing = raised;
    Object.assign(found, {
      severity: raised.severity,
      response: raised.response,
      standingRuleId: raised.ruleId,
    });
  }
  return {
    records,
    cases: [...cases.values()].map(({ found }) => found),
    refused,
    ignored,
    unreadable,
    unusableFiles,
  };
}

/** A raise in words, for the replay table and timelines. */
export function describeRaise(raise: ReplayedRaise): string {
  return `${raise.eventTime} ${raise.eventName}: ${describeRanking(raise.from)} → ${describeRanking(raise.to)}`;
}
