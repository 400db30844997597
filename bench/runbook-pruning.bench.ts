// The confirm runbooks with partition pruning against the same SQL with pruning disabled (a
// full scan), on 30 days of generated logs in 2 regions: time and files read, as ratios.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { toInstant } from '../lib/domain/time.ts';
import { DuckDbQueryEngine } from '../lib/local/duckdb-engine.ts';
import { generate } from '../lib/local/generator/generate.ts';
import type { ScenarioTruth } from '../lib/local/generator/scenarios.ts';
import type { QueryRequest } from '../lib/ports.ts';
import { bindRunbook, loadRunbooks } from '../lib/runbooks/catalog.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const END = new Date('2026-01-15T12:00:00Z');
const directory = join('.local', 'bench', `pruning-30d-${EVENTS}`);

function confirmQueries(truth: ScenarioTruth): QueryRequest[] {
  const runbooks = loadRunbooks();
  const principal = { account: truth.account, principal: truth.roleArn };
  // As confirm asks them: a 7-day baseline and the hour around the trigger.
  const trigger = new Date(truth.startedAt);
  const hourBefore = toInstant(new Date(trigger.getTime() - 3_600_000));
  const recent = { ...principal, start: hourBefore, end: toInstant(END) };
  return [
    bindRunbook(runbooks.get('first-seen')!, {
      ...principal,
      source_ip: truth.attackerIp,
      user_agent_prefix: truth.attackerUserAgent,
      event_region: 'us-east-1',
      event_source: 'iam.amazonaws.com',
      event_name: 'AttachRolePolicy',
      baseline_start: toInstant(new Date(trigger.getTime() - 7 * 86_400_000)),
      baseline_end: hourBefore,
    }),
    bindRunbook(runbooks.get('error-burst')!, { ...recent, burst_window: '10m', min_denied: '3' }),
    bindRunbook(runbooks.get('persistence-created')!, recent),
  ];
}

async function timed(engine: DuckDbQueryEngine, queries: QueryRequest[]) {
  const started = performance.now();
  const answers = [];
  for (const query of queries) answers.push((await engine.run(query)).rows);
  return { seconds: (performance.now() - started) / 1000, answers };
}

async function filesRead(engine: DuckDbQueryEngine, queries: QueryRequest[]): Promise<number> {
  let read = 0;
  for (const query of queries) {
    const plan = await engine.run({ ...query, sql: `EXPLAIN ANALYZE ${query.sql}` });
    // The plan is drawn in boxes that wrap long values onto the next line: flatten it first.
    const text = String(plan.rows[0]?.explain_value).replace(/[│\s]+/g, ' ');
    for (const match of text.matchAll(/Total Files Read: (\d+)/g)) {
      read += Number(match[1]);
    }
  }
  return read;
}

export async function run(): Promise<void> {
  if (!existsSync(join(directory, 'revoker-scenarios.json'))) {
    console.log(
      `generating ${EVENTS.toLocaleString('en-US')} events over 30 days into ${directory} (once)...`,
    );
    generate({
      out: directory,
      days: 30,
      events: EVENTS,
      accounts: 1,
      seed: 'bench-pruning',
      scenarios: ['compromised-role-session'],
      end: END,
    });
  }
  const truth = (
    await import(join(process.cwd(), directory, 'revoker-scenarios.json'), { with: { type: 'json' } })
  ).default[0] as ScenarioTruth;
  const queries = confirmQueries(truth);
  const pruned = await DuckDbQueryEngine.open(directory);
  const full = await DuckDbQueryEngine.open(directory, { partitionPruning: false });
  try {
    const files = pruned.files.length;
    const withPruning = await timed(pruned, queries);
    const fullScan = await timed(full, queries);
    if (JSON.stringify(withPruning.answers) !== JSON.stringify(fullScan.answers)) {
      throw new Error('pruned and full-scan answers differ');
    }
    const readPruned = await filesRead(pruned, queries);
    const readFull = await filesRead(full, queries);
    console.log(
      `runbook-pruning: first-seen, error-burst, persistence-created over ${files} files (30 days, 2 regions)`,
    );
    console.log(`  baseline  full scan   ${fullScan.seconds.toFixed(2)} s, ${readFull} files read`);
    console.log(`  measured  pruned      ${withPruning.seconds.toFixed(2)} s, ${readPruned} files read`);
    console.log(
      `  ratio     time ${(withPruning.seconds / fullScan.seconds).toFixed(3)}x, files read ${(readPruned / readFull).toFixed(3)}x of the full scan (same answers)`,
    );
  } finally {
    await pruned.close();
    await full.close();
  }
}
