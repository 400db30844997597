// `npm test`'s wall time and its slowest test against half of the timeout, read from a vitest
// JSON report: the last one CI wrote (`.local/vitest-report.json`), or a fresh run of the whole
// suite when BENCH_TESTS=1 (minutes: it is the suite). One run, not three: the figure is the
// suite's own, reported as measured, with the machine's load beside it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Figure } from './figures.ts';

const REPORT = join('.local', 'vitest-report.json');
const GOAL_SECONDS = 5 * 60;
/** vitest.config.ts's testTimeout: no test may take half of it. */
const TIMEOUT_MS = 60_000;

interface VitestReport {
  startTime: number;
  numTotalTests: number;
  testResults: {
    name: string;
    endTime: number;
    assertionResults: { fullName: string; duration?: number | null }[];
  }[];
}

export async function run(): Promise<Figure[]> {
  const load = `load ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`;
  if (process.env.BENCH_TESTS === '1') {
    console.log('\ntest-time: running the whole suite once (BENCH_TESTS=1)...');
    execFileSync(
      'npx',
      ['vitest', 'run', '--reporter=dot', '--reporter=json', `--outputFile.json=${REPORT}`],
      {
        stdio: 'inherit',
      },
    );
  }
  if (!existsSync(REPORT)) {
    return [
      {
        bench: 'test-time',
        figure: 'npm test, wall time',
        goal: `≤ ${GOAL_SECONDS / 60} min on 2 idle cores`,
        measured: `no report: run with BENCH_TESTS=1, or npm test -- --reporter=json --outputFile.json=${REPORT}`,
        met: undefined,
      },
    ];
  }
  const report = JSON.parse(readFileSync(REPORT, 'utf8')) as VitestReport;
  const ended = Math.max(...report.testResults.map((file) => file.endTime));
  const wallSeconds = (ended - report.startTime) / 1000;
  const slowest = report.testResults
    .flatMap((file) => file.assertionResults)
    .reduce((a, b) => ((b.duration ?? 0) > (a.duration ?? 0) ? b : a));
  const data = `${report.numTotalTests.toLocaleString('en-US')} tests in ${report.testResults.length} files, the report of ${new Date(report.startTime).toISOString()} (${process.env.BENCH_TESTS === '1' ? load : 'the load then is not recorded'})`;
  console.log(`\ntest-time: ${data}: ${wallSeconds.toFixed(0)} s`);
  return [
    {
      bench: 'test-time',
      figure: 'npm test, wall time',
      data,
      goal: `≤ ${GOAL_SECONDS / 60} min on 2 idle cores`,
      measured: `${(wallSeconds / 60).toFixed(1)} min (one run)`,
      met: wallSeconds <= GOAL_SECONDS,
    },
    {
      bench: 'test-time',
      figure: 'slowest test against half of its 60 s timeout',
      data,
      goal: `≤ ${TIMEOUT_MS / 2 / 1000} s`,
      measured: `${((slowest.duration ?? 0) / 1000).toFixed(1)} s: ${slowest.fullName}`,
      met: (slowest.duration ?? 0) <= TIMEOUT_MS / 2,
    },
  ];
}
