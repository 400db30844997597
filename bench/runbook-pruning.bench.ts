// Confirm's runbooks on the local engine as it ships (partition pruning, each log file read
// once and kept) against an engine without pruning: every query lists every log file and
// parses all of them, which is what an engine that cannot prune does. Data: BENCH_EVENTS
// (default 1,000,000) events over 30 days in 2 regions, as `revoker generate` writes them;
// windows: the shipped configuration's (revoker.config.yaml), bound as confirm binds them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/config-file.ts';
import type { Config } from '../lib/domain/config.ts';
import { addMinutes, toInstant } from '../lib/domain/time.ts';
import { DuckDbQueryEngine } from '../lib/local/duckdb-engine.ts';
import { generate, SCENARIO_MANIFEST } from '../lib/local/generator/generate.ts';
import type { ScenarioTruth } from '../lib/local/generator/scenarios.ts';
import type { QueryRequest } from '../lib/ports.ts';
import { bindRunbook, loadRunbooks } from '../lib/runbooks/catalog.ts';
import { alternate, type Figure, formatSpread, RUNS, type Spread, seconds, spread } from './figures.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const DAYS = 30;
const END = new Date('2026-01-15T12:00:00Z');
const directory = join('.local', 'bench', `pruning-${DAYS}d-${EVENTS}`);
const SPEEDUP_GOAL = 10;
const EMPTY_WINDOW_GOAL_MS = 50;

/** Confirm's three runbooks for the scenario's first call, bound as lib/usecases/confirm.ts binds them. */
function confirmQueries(truth: ScenarioTruth, config: Config) {
  const runbooks = loadRunbooks();
  const { baselineDays, excludeRecentMinutes, deniedBurst } = config.confirm;
  const principal = { account: truth.account, principal: truth.roleArn };
  const trigger = new Date(truth.startedAt);
  const recentStart = addMinutes(trigger, -excludeRecentMinutes);
  const recent = {
    ...principal,
    start: toInstant(recentStart),
    end: toInstant(addMinutes(trigger, excludeRecentMinutes)),
  };
  const firstSeen = (baselineEnd: Date) =>
    bindRunbook(runbooks.get('first-seen')!, {
      ...principal,
      source_ip: truth.attackerIp,
      user_agent_prefix: truth.attackerUserAgent.slice(0, 500),
      event_region: 'us-east-1',
      event_source: 'iam.amazonaws.com',
      event_name: 'AttachRolePolicy',
      baseline_start: toInstant(addMinutes(baselineEnd, -baselineDays * 1440)),
      baseline_end: toInstant(baselineEnd),
    });
  return {
    baselineDays,
    firstSeen: firstSeen(recentStart),
    recent: [
      bindRunbook(runbooks.get('error-burst')!, {
        ...recent,
        burst_window: `${deniedBurst.windowMinutes}m`,
        min_denied: String(deniedBurst.minDenied),
      }),
      bindRunbook(runbooks.get('persistence-created')!, recent),
    ],
    // A principal's first-seen a year before the logs begin: a window holding no file.
    emptyWindow: firstSeen(addMinutes(recentStart, -365 * 1440)),
  };
}

function generated(): ScenarioTruth {
  if (!existsSync(join(directory, SCENARIO_MANIFEST))) {
    console.log(
      `generating ${EVENTS.toLocaleString('en-US')} events over ${DAYS} days into ${directory} (once; reused by later runs)...`,
    );
    // As `revoker generate --days 30 --events N` writes them: one account, 2 regions.
    generate({
      out: directory,
      days: DAYS,
      events: EVENTS,
      accounts: 1,
      seed: 'bench-pruning',
      scenarios: ['compromised-role-session'],
      end: END,
    });
  }
  return (JSON.parse(readFileSync(join(directory, SCENARIO_MANIFEST), 'utf8')) as ScenarioTruth[])[0]!;
}

const runAll = async (engine: DuckDbQueryEngine, queries: QueryRequest[]) => {
  const answers = [];
  for (const query of queries) answers.push((await engine.run(query)).rows);
  return answers;
};

/** Speed-up (baseline ÷ measured) from the per-run ratios measured ÷ baseline. */
const speedup = (ratio: Spread): Spread => spread(ratio.samples.map((value) => 1 / value));

export async function run(): Promise<Figure[]> {
  const truth = generated();
  const config = await loadConfigFile(DEFAULT_CONFIG_FILE);
  const { baselineDays, firstSeen, recent, emptyWindow } = confirmQueries(truth, config);
  const shipped = await DuckDbQueryEngine.open(directory);
  const full = await DuckDbQueryEngine.open(directory, { partitionPruning: false });
  const files = shipped.files.length;
  const data = `${EVENTS.toLocaleString('en-US')} events, ${DAYS} days, 2 regions, 1 account (${files.toLocaleString('en-US')} files)`;
  const figures: Figure[] = [];
  try {
    console.log(`runbook-pruning: ${data}; baseline ${baselineDays} days as configured`);

    // The first query of a fresh engine reads its window's files; later ones reuse them.
    const cold = await alternate(
      async () => {
        const fresh = await DuckDbQueryEngine.open(directory);
        try {
          await fresh.run(firstSeen);
        } finally {
          await fresh.close();
        }
      },
      () => full.run(firstSeen),
    );
    const all = [firstSeen, ...recent, emptyWindow];
    const [shippedAnswers, fullAnswers] = [await runAll(shipped, all), await runAll(full, all)];
    if (JSON.stringify(shippedAnswers) !== JSON.stringify(fullAnswers))
      throw new Error('the shipped engine and the full scan answer differently');
    const loaded = shipped.loadedFiles;
    const warm = await alternate(
      () => shipped.run(firstSeen),
      () => full.run(firstSeen),
    );
    const recentWindow = await alternate(
      () => runAll(shipped, recent),
      () => runAll(full, recent),
    );
    const empty: number[] = [];
    for (let index = 0; index < Math.max(RUNS, 5); index++)
      empty.push(await seconds(() => shipped.run(emptyWindow)));
    const emptyMillis = spread(empty.map((value) => value * 1000));

    const warmSpeedup = speedup(warm.ratio);
    figures.push(
      {
        bench: 'runbook-pruning',
        figure: `confirm first-seen over the ${baselineDays}-day baseline, engine in use vs full scan (same answers)`,
        data,
        goal: `≥ ${SPEEDUP_GOAL}× faster`,
        measured: `${formatSpread(warmSpeedup, '×', 1)}: ${formatSpread(warm.measured, 's', 3)}`,
        baseline: `full scan (lists and parses all ${files.toLocaleString('en-US')} files): ${formatSpread(warm.baseline, 's')}`,
        met: warmSpeedup.median >= SPEEDUP_GOAL,
      },
      {
        bench: 'runbook-pruning',
        figure: `the same on a fresh engine: its first query reads the window's files (${loaded.toLocaleString('en-US')} of ${files.toLocaleString('en-US')}) once`,
        data,
        goal: '—',
        measured: `${formatSpread(speedup(cold.ratio), '×', 2)}: ${formatSpread(cold.measured, 's')} (open included)`,
        baseline: `full scan: ${formatSpread(cold.baseline, 's')}`,
        met: undefined,
      },
      {
        bench: 'runbook-pruning',
        figure: `confirm error-burst + persistence-created (±${config.confirm.excludeRecentMinutes} min around the trigger) vs full scan`,
        data,
        goal: '—',
        measured: `${formatSpread(speedup(recentWindow.ratio), '×', 1)}: ${formatSpread(recentWindow.measured, 's', 3)}`,
        baseline: `full scan: ${formatSpread(recentWindow.baseline, 's')}`,
        met: undefined,
      },
      {
        bench: 'runbook-pruning',
        figure: 'a query on an empty window (first-seen a year before the logs)',
        data,
        goal: `≤ ${EMPTY_WINDOW_GOAL_MS} ms`,
        measured: formatSpread(emptyMillis, 'ms', 1),
        met: emptyMillis.median <= EMPTY_WINDOW_GOAL_MS,
      },
    );
    for (const figure of figures) console.log(`  ${figure.figure}: ${figure.measured}`);
    return figures;
  } finally {
    await shipped.close();
    await full.close();
  }
}
