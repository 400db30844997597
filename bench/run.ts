// `npm run bench`: runs every bench/*.bench.ts in turn (or those whose name contains the
// argument: `npm run bench -- pruning`), then prints one table of every figure they return:
// goal, measured (median and range over several runs), the baseline measured in the same run,
// the data it used, and whether the goal is met. BENCH_EVENTS scales the generated data down
// for a quick look; BENCH_RUNS raises the runs per figure (at least 3).
import { readdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Figure, RUNS } from './figures.ts';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const benches = readdirSync(here)
  .filter((name) => name.endsWith('.bench.ts') && (!only || name.includes(only)))
  .sort();
if (benches.length === 0) {
  console.error(`no bench matches "${only}"`);
  process.exit(1);
}

const started = performance.now();
const figures: Figure[] = [];
for (const file of benches) {
  const bench = file.replace(/\.bench\.ts$/, '');
  const benchStarted = performance.now();
  try {
    const module = (await import(join(here, file))) as { run: () => Promise<Figure[] | undefined> };
    const returned = await module.run();
    if (Array.isArray(returned) && returned.length > 0) figures.push(...returned);
    else figures.push(row(bench, 'returned no figures (see its own output above)'));
  } catch (error) {
    console.error(error);
    figures.push(row(bench, `failed: ${error instanceof Error ? error.message : String(error)}`, false));
    process.exitCode = 1;
  }
  console.log(`(${bench}: ${((performance.now() - benchStarted) / 1000).toFixed(1)} s)`);
}

function row(bench: string, measured: string, met?: boolean): Figure {
  return { bench, figure: '—', goal: '—', measured, met };
}

const cell = (text: string | undefined) => (text ?? '—').replaceAll('|', '\\|').replaceAll('\n', ' ');
const verdict = (met: boolean | undefined) => (met === undefined ? 'reported' : met ? 'met' : 'NOT MET');

console.log(
  `\n## npm run bench — ${new Date().toISOString()}; BENCH_EVENTS=${process.env.BENCH_EVENTS ?? 'default'}, ` +
    `${RUNS} runs per figure; ${availableParallelism()} cores, load average ${loadavg()
      .map((load) => load.toFixed(1))
      .join(' ')} at the end; ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
);
console.log('| bench | figure | data | goal | measured: median (min–max) | baseline, same run | |');
console.log('|---|---|---|---|---|---|---|');
for (const figure of figures) {
  console.log(
    `| ${[
      figure.bench,
      figure.figure,
      figure.data,
      figure.goal,
      figure.measured,
      figure.baseline,
      verdict(figure.met),
    ]
      .map(cell)
      .join(' | ')} |`,
  );
}
const unmet = figures.filter((figure) => figure.met === false).length;
console.log(
  `\n${figures.length} figures: ${figures.filter((figure) => figure.met).length} met, ${unmet} not met`,
);
