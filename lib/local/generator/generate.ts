// `revoker generate`: background traffic for a few accounts over a few days, with attack
// scenarios injected, written in the S3 layout. Deterministic for a seed and end time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Authorizer } from '../policy-evaluator.ts';
import { LogWriter } from './log-writer.ts';
import { Random } from './random.ts';
import { compromisedRoleSession, type ScenarioName, type ScenarioTruth } from './scenarios.ts';
import {
  type Account,
  allowEverything,
  authorize,
  backgroundCall,
  buildAccounts,
  type Call,
  toRecord,
} from './world.ts';

export interface GenerateOptions {
  out: string;
  days: number;
  events: number;
  accounts: number;
  seed: string;
  scenarios: ScenarioName[];
  /** The end of the generated window; attacks land in its last hour. */
  end: Date;
  /** Minutes before the end at which the first scenario starts (default 40). */
  attackLeadMinutes?: number;
}

export interface GenerateResult {
  accounts: Account[];
  scenarios: ScenarioTruth[];
  files: number;
  records: number;
  start: Date;
  end: Date;
}

export const SCENARIO_MANIFEST = 'revoker-scenarios.json';

export function generate(options: GenerateOptions): GenerateResult {
  const random = new Random(options.seed);
  const accounts = buildAccounts(random, options.accounts);
  const start = new Date(options.end.getTime() - options.days * 86_400_000);
  const truths: ScenarioTruth[] = [];
  const injected: Call[] = [];
  options.scenarios.forEach((scenario, index) => {
    const account = accounts[index % accounts.length]!;
    const lead = options.attackLeadMinutes ?? 40;
    const at = new Date(options.end.getTime() - (lead - index * 10) * 60_000);
    const { calls, truth } = scenarioCalls(scenario, account, at);
    injected.push(...calls);
    truths.push(truth);
  });
  injected.sort((a, b) => a.time.getTime() - b.time.getTime());

  mkdirSync(options.out, { recursive: true });
  const writer = new LogWriter(options.out);
  const background = options.events - injected.length;
  writeCalls(writer, random, accounts, start, options.end, Math.max(background, 0), {
    authorizer: allowEverything,
    extra: injected,
  });
  writeFileSync(join(options.out, SCENARIO_MANIFEST), `${JSON.stringify(truths, null, 2)}\n`);
  return {
    accounts,
    scenarios: truths,
    files: writer.written.length,
    records: writer.records,
    start,
    end: options.end,
  };
}

function scenarioCalls(scenario: ScenarioName, account: Account, at: Date) {
  switch (scenario) {
    case 'compromised-role-session':
      return compromisedRoleSession(account, at);
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
