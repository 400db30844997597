// `revoker --help` start time, over a fresh `node -e 0` in the same run: the CLI as `npm ci`
// builds it (built first here, so the figure is of the code as it is), and, for comparison and
// without a goal, the sources through tsx, which bin/revoker.js falls back to when the build is
// older than a source.
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuOverNodeStart, node, overNodeStart } from './cold-init.bench.ts';
import { type Figure, formatSpread, RUNS } from './figures.ts';

const ROOT = resolve(import.meta.dirname, '..');
const GOAL_MS = 300;

export async function run(): Promise<Figure[]> {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.mjs')], { cwd: ROOT, stdio: 'inherit' });
  console.log(`\nCLI start: revoker --help in a fresh node, over node -e 0 (${RUNS} runs each)`);
  const bin = join(ROOT, 'bin', 'revoker.js');
  const built = await overNodeStart(node([bin, '--help']));
  const builtCpu = cpuOverNodeStart(
    `process.argv = [process.execPath, ${JSON.stringify(bin)}, '--help']; await import(${JSON.stringify(pathToFileURL(bin).href)});`,
  );
  const sources = await overNodeStart(node(['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), '--help']));
  console.log(`  built:        ${formatSpread(built.over, 'ms', 0)}; CPU ${formatSpread(builtCpu, 'ms', 0)}`);
  console.log(`  from sources: ${formatSpread(sources.over, 'ms', 0)}`);
  const baseline = (measured: typeof built) => `node -e 0: ${formatSpread(measured.baseline, 'ms', 0)}`;
  return [
    {
      bench: 'cli-start',
      figure: 'revoker --help over node start (built at npm ci)',
      goal: `≤ ${GOAL_MS} ms`,
      measured: `${formatSpread(built.over, 'ms', 0)}; CPU ${formatSpread(builtCpu, 'ms', 0)}`,
      met: built.over.median <= GOAL_MS,
      baseline: baseline(built),
    },
    {
      bench: 'cli-start',
      figure: 'revoker --help over node start, from the sources through tsx (the fallback)',
      goal: '—',
      measured: formatSpread(sources.over, 'ms', 0),
      met: undefined,
      baseline: baseline(sources),
    },
  ];
}
