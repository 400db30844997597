// What a case costs, for each of the demo's stories run through the local pipeline: the state
// transitions and Lambda invocations AWS would bill ($0.025 per 1,000 Standard transitions,
// retries included; $0.20 per million Lambda requests, duration not counted), and the
// end-to-end local time per case against the time spent inside its tasks, measured in the same
// run: the ratio is what the local orchestration adds around the work itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../cli/demo.ts';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/config-file.ts';

const PER_TRANSITION = 0.025 / 1000;
const PER_INVOCATION = 0.2 / 1_000_000;

export async function run(): Promise<void> {
  const events = Math.min(Number(process.env.BENCH_EVENTS ?? 20_000), 20_000);
  const directory = join(mkdtempSync(join(tmpdir(), 'revoker-bench-')), 'demo');
  try {
    const demo = await runDemo({
      directory,
      config: await loadConfigFile(DEFAULT_CONFIG_FILE),
      now: new Date('2026-01-15T12:00:00Z'),
      events,
      print: () => undefined,
    });
    console.log(
      `\ncase-cost: each demo story through the local state machine (${events.toLocaleString('en-US')} events of history)`,
    );
    console.log(
      '  story         outcome     transitions  invocations  AWS $/case   end-to-end ms  in tasks ms  ratio',
    );
    for (const story of demo.stories) {
      const dollars = story.path.length * PER_TRANSITION + story.invocations * PER_INVOCATION;
      console.log(
        `  ${story.story.padEnd(13)} ${story.outcome.padEnd(11)} ${String(story.path.length).padStart(11)}  ${String(story.invocations).padStart(11)}  ${dollars.toFixed(6).padStart(10)}  ${story.elapsedMillis.toFixed(0).padStart(13)}  ${story.taskMillis.toFixed(0).padStart(11)}  ${(story.elapsedMillis / story.taskMillis).toFixed(2)}x`,
      );
    }
  } finally {
    rmSync(join(directory, '..'), { recursive: true, force: true });
  }
}
