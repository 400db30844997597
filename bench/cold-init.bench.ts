// Each function's cold init, as Lambda pays it: a fresh `node` process importing the function's
// built bundle (its AWS SDK clients come from node_modules, as the runtime provides them),
// against a fresh `node -e 0` in the same run; the figure is the difference, per run pair. The
// bundles are built first (`npm run package`), so the figure is of the code as it is. Adapters
// are built on the first invocation, not at import: that is not in this figure.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
// @ts-expect-error: a plain .mjs build script, without type declarations.
import { BUNDLE_BUDGET_BYTES } from '../scripts/build-functions.mjs';
import { alternate, type Figure, formatSpread, RUNS, spread } from './figures.ts';

const ROOT = resolve(import.meta.dirname, '..');
const GOAL_MS = 150;

/** One fresh process running `args`; fails loudly if the process does. */
export function node(args: string[]): () => void {
  return () => {
    const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr}`);
  };
}

export const NODE_BASELINE = ['-e', '0'];

/** Wall milliseconds of `measured` over a fresh `node -e 0`, per run pair, alternating order. */
export async function overNodeStart(measured: () => void, runs = RUNS) {
  const timed = await alternate(measured, node(NODE_BASELINE), runs);
  const ms = (seconds: number[]) => seconds.map((value) => value * 1000);
  const baseline = ms(timed.baseline.samples);
  return {
    over: spread(ms(timed.measured.samples).map((value, index) => value - baseline[index]!)),
    baseline: spread(baseline),
  };
}

/**
 * CPU milliseconds a fresh process spends running `script` (an ES module body) over one that
 * runs nothing, per run pair: on a busy machine wall time mostly measures the wait for a core.
 * The process reports its own CPU time as it exits, on stderr.
 */
export function cpuOverNodeStart(script: string, runs = RUNS) {
  const cpu = (body: string) => {
    const report = `process.on('exit', () => { const used = process.cpuUsage(); process.stderr.write('cpu-us:' + (used.user + used.system)); });`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', `${report}\n${body}`], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const used = /cpu-us:(\d+)$/.exec(result.stderr);
    if (result.status !== 0 || !used) throw new Error(`node failed: ${result.stderr}`);
    return Number(used[1]) / 1000;
  };
  const over: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    // Alternating which goes first, as alternate() does for wall time.
    if (run % 2 === 0) {
      const measured = cpu(script);
      over.push(measured - cpu(''));
    } else {
      const baseline = cpu('');
      over.push(cpu(script) - baseline);
    }
  }
  return spread(over);
}

export async function run(): Promise<Figure[]> {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-functions.mjs')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  const dist = join(ROOT, 'dist');
  const figures: Figure[] = [];
  const sizes = readdirSync(dist)
    .map((name) => ({ name, bytes: statSync(join(dist, name, 'handler.mjs')).size }))
    .sort((a, b) => b.bytes - a.bytes);
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  figures.push({
    bench: 'cold-init',
    figure: 'largest function bundle, minified (npm run package fails above the budget)',
    data: `${sizes.length} bundles: ${kib(sizes.at(-1)!.bytes)}–${kib(sizes[0]!.bytes)}`,
    goal: `≤ ${kib(BUNDLE_BUDGET_BYTES)}`,
    measured: `${sizes[0]!.name} ${kib(sizes[0]!.bytes)}`,
    met: sizes[0]!.bytes <= BUNDLE_BUDGET_BYTES,
  });
  console.log(`\ncold init: import of each bundle in a fresh node, over node -e 0 (${RUNS} runs each)`);
  for (const name of readdirSync(dist).sort()) {
    const bundle = join(dist, name, 'handler.mjs');
    const kib = statSync(bundle).size / 1024;
    const importing = `await import(${JSON.stringify(pathToFileURL(bundle).href)})`;
    const { over, baseline } = await overNodeStart(node(['--input-type=module', '-e', importing]));
    const cpu = cpuOverNodeStart(importing);
    const measured = `${formatSpread(over, 'ms', 0)}; CPU ${formatSpread(cpu, 'ms', 0)}; bundle ${kib.toFixed(1)} KiB`;
    console.log(`  ${name.padEnd(12)} ${measured}`);
    figures.push({
      bench: 'cold-init',
      figure: `${name}: bundle import over node start`,
      goal: `≤ ${GOAL_MS} ms`,
      measured,
      met: over.median <= GOAL_MS,
      baseline: `node -e 0: ${formatSpread(baseline, 'ms', 0)}`,
    });
  }
  return figures;
}
