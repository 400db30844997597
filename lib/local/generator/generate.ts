// `revoker generate`: background traffic for a few accounts over a few days, with attack
// scenarios injected, written in the S3 layout. Deterministic for a seed and end time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Authorizer } from '../../domain/policy-evaluator.ts';
import { workerCount } from '../worker-pool.ts';
import { type LogSink, LogWriter, type TrailLayout, writeLogFile } from './log-writer.ts';
import { ParallelLogSink } from './parallel-writer.ts';
import { Random } from './random.ts';
import {
  type AttackScenarioName,
  type AttackTruth,
  compromisedRoleSession,
  escalatingAttack,
  isAttackScenario,
  overprivilegedWorkload,
  type ScenarioName,
  type ScenarioTruth,
  stolenInstanceCredentials,
} from './scenarios.ts';
import {
  type Account,
  allowEverything,
  authorize,
  backgroundCall,
  buildAccounts,
  type Call,
  toRecord,
} from './world.ts';

export interface GenerateOptions<S extends ScenarioName = ScenarioName> {
  out: string;
  days: number;
  events: number;
  accounts: number;
  seed: string;
  scenarios: S[];
  /**
   * The end of the generated window; attacks land in its last hour, while a workload scenario
   * (overprivileged-workload) runs over the whole window.
   */
  end: Date;
  /**
   * Minutes before the end at which the first attack starts (default 40). Each next one
   * starts 10 minutes after the one before it started, or 5 minutes after it ended if later.
   */
  attackLeadMinutes?: number;
  /** The trail's S3 key prefix and, for an organisation trail, the organisation's ID. */
  layout?: TrailLayout;
}

export interface GenerateResult<S extends ScenarioName = ScenarioName> {
  accounts: Account[];
  /** The ground truth of each scenario, in the order they were asked for. */
  scenarios: ScenarioTruth<S>[];
  files: number;
  records: number;
  start: Date;
  end: Date;
}

export const SCENARIO_MANIFEST = 'revoker-scenarios.json';

export function generate<S extends ScenarioName>(options: GenerateOptions<S>): GenerateResult<S> {
  const result = generateLogs(options, writeLogFile);
  writeManifest(options.out, result);
  return result;
}

/** The scenarios' ground truth beside the logs, written once the logs are: its presence says they are whole. */
function writeManifest(out: string, result: GenerateResult): void {
  writeFileSync(join(out, SCENARIO_MANIFEST), `${JSON.stringify(result.scenarios, null, 2)}\n`);
}

function generateLogs<S extends ScenarioName>(options: GenerateOptions<S>, sink: LogSink): GenerateResult<S> {
  const random = new Random(options.seed);
  const accounts = buildAccounts(random, options.accounts);
  const start = new Date(options.end.getTime() - options.days * 86_400_000);
  const truths: ScenarioTruth<S>[] = [];
  const injected: Call[] = [];
  const lead = options.attackLeadMinutes ?? 40;
  let previousEnd = Number.NEGATIVE_INFINITY;
  let attacks = 0;
  options.scenarios.forEach((scenario, index) => {
    const account = accounts[index % accounts.length]!;
    if (!isAttackScenario(scenario)) {
      // A workload's calls span the whole window and take no attack's slot.
      const { calls, truth } = overprivilegedWorkload(account, start, options.end);
      injected.push(...calls);
      truths.push(truth as ScenarioTruth<S>);
      return;
    }
    // Each attack in its own window: never before the previous one is over.
    const at = new Date(
      Math.max(options.end.getTime() - (lead - attacks * 10) * 60_000, previousEnd + 5 * 60_000),
    );
    attacks += 1;
    const { calls, truth } = attackCalls(scenario, account, at);
    injected.push(...calls);
    // attackCalls answers the truth of `scenario`, which is one of S.
    truths.push(truth as ScenarioTruth<S>);
    previousEnd = new Date(truth.endedAt).getTime();
  });
  injected.sort((a, b) => a.time.getTime() - b.time.getTime());

  mkdirSync(options.out, { recursive: true });
  const writer = new LogWriter(options.out, '', options.layout, sink);
  const background = options.events - injected.length;
  writeCalls(writer, random, accounts, start, options.end, Math.max(background, 0), {
    authorizer: allowEverything,
    extra: injected,
  });
  return {
    accounts,
    scenarios: truths,
    files: writer.written.length,
    records: writer.records,
    start,
    end: options.end,
  };
}

/**
 * generate, with the log files compressed and written on worker threads when there is more than
 * one core (`workers`: by default one per core but the one making records). The same files,
 * byte for byte, as generate writes alone.
 */
export async function generateInParallel<S extends ScenarioName>(
  options: GenerateOptions<S>,
  workers = Math.max(workerCount() - 1, 0),
): Promise<GenerateResult<S>> {
  if (workers < 1) return generate(options);
  const parallel = new ParallelLogSink(workers);
  let result: GenerateResult<S>;
  try {
    result = generateLogs(options, parallel.sink);
  } finally {
    await parallel.close();
  }
  writeManifest(options.out, result);
  return result;
}

function attackCalls(
  scenario: AttackScenarioName,
  account: Account,
  at: Date,
): { calls: Call[]; truth: AttackTruth } {
  switch (scenario) {
    case 'compromised-role-session':
      return compromisedRoleSession(account, at);
    case 'escalating-attack':
      return escalatingAttack(account, at);
    case 'stolen-instance-credentials':
      return stolenInstanceCredentials(account, at);
  }
}

/**
 * Write `count` background calls spread over [from, to), merging
 * `extra` calls in time order, with every call passed through the authorizer first.
 */
export function writeCalls(
  writer: LogWriter,
  random: Random,
  accounts: Account[],
  from: Date,
  to: Date,
  count: number,
  options: { authorizer: Authorizer; extra?: Call[]; instanceReissuedAt?: Date },
): void {
  const extra = options.extra ?? [];
  // A jittered grid gives exactly `count` calls, in time order, spread over the window.
  const gap = (to.getTime() - from.getTime()) / Math.max(count, 1);
  let next = 0;
  const emit = (call: Call) => {
    const checked = authorize(call, options.authorizer);
    writer.add(checked.account, checked.region, checked.time, toRecord(checked, random));
  };
  for (let index = 0; index < count; index++) {
    const time = Math.floor((from.getTime() + (index + random.next()) * gap) / 1000) * 1000;
    while (next < extra.length && extra[next]!.time.getTime() <= time) emit(extra[next++]!);
    emit(backgroundCall(random, random.pick(accounts), new Date(time), options.instanceReissuedAt));
  }
  while (next < extra.length) emit(extra[next++]!);
  writer.flush();
}
