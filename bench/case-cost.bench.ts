// What a case costs, for each of the demo's stories run through the local pipeline (the real
// state machine, simulated waits: every wait costs no real time): the time per case from
// detection to the recorded outcome against the 1 s budget, beside the time spent inside its
// tasks in the same run (the rest is what the local orchestration adds); and what AWS would
// bill per case: $0.025 per 1,000 Standard transitions (retries included), $0.20 per million
// Lambda requests, duration not counted. Data: the demo's 2 days of history for one account,
// BENCH_EVENTS events (default 1,000,000); each run generates it afresh, RUNS runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo, type StoryResult } from '../cli/demo.ts';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/config-file.ts';
import { type Figure, formatSpread, RUNS, spread } from './figures.ts';

const PER_TRANSITION = 0.025 / 1000;
const PER_INVOCATION = 0.2 / 1_000_000;
const BUDGET_SECONDS = 1;
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);

export async function run(): Promise<Figure[]> {
  const config = await loadConfigFile(DEFAULT_CONFIG_FILE);
  const runs: StoryResult[][] = [];
  for (let index = 0; index < RUNS; index++) {
    const directory = join(mkdtempSync(join(tmpdir(), 'revoker-bench-')), 'demo');
    try {
      const demo = await runDemo({
        directory,
        config,
        now: new Date('2026-01-15T12:00:00Z'),
        events: EVENTS,
        print: () => undefined,
      });
      runs.push(demo.stories);
      console.log(
        `case-cost run ${index + 1}/${RUNS}: ${demo.stories.map((story) => `${story.story} ${(story.elapsedMillis / 1000).toFixed(2)} s`).join(', ')}`,
      );
    } finally {
      rmSync(join(directory, '..'), { recursive: true, force: true });
    }
  }
  const data = `the demo's ${EVENTS.toLocaleString('en-US')} events over 2 days, 1 account, 2 regions`;
  const figures: Figure[] = [];
  for (const [position, first] of runs[0]!.entries()) {
    const stories = runs.map((stories) => stories[position]!);
    const elapsed = spread(stories.map((story) => story.elapsedMillis / 1000));
    const inTasks = spread(stories.map((story) => story.taskMillis / 1000));
    figures.push({
      bench: 'case-cost',
      figure: `local pipeline time per case, waits at zero: ${first.story} (${first.outcome}${position === 0 ? '; the first case reads the logs its queries need' : ''})`,
      data,
      goal: `≤ ${BUDGET_SECONDS} s`,
      measured: formatSpread(elapsed, 's'),
      baseline: `inside its ${first.invocations} tasks: ${formatSpread(inTasks, 's')}`,
      met: elapsed.median <= BUDGET_SECONDS,
    });
  }
  figures.push({
    bench: 'case-cost',
    figure: 'AWS cost per case (Step Functions transitions + Lambda requests; duration not counted)',
    data,
    goal: '—',
    measured: runs[0]!
      .map((story) => {
        const dollars = story.path.length * PER_TRANSITION + story.invocations * PER_INVOCATION;
        return `${story.story} $${dollars.toFixed(6)} (${story.path.length} transitions, ${story.invocations} invocations)`;
      })
      .join('; '),
    met: undefined,
  });
  return figures;
}
