import { type Command, InvalidArgumentError, Option } from 'commander';
import { generate } from '../lib/local/generator/generate.ts';
import { SCENARIOS, type ScenarioName } from '../lib/local/generator/scenarios.ts';

/** The fixed default end keeps `revoker generate --seed S` byte-for-byte reproducible. */
export const DEFAULT_END = '2026-01-15T12:00:00Z';

export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1)
    throw new InvalidArgumentError('expected a positive whole number');
  return parsed;
}

export function isoTime(value: string): Date {
  const parsed = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(parsed.getTime())) {
    throw new InvalidArgumentError('expected an ISO 8601 time such as 2026-01-15T12:00:00Z');
  }
  return parsed;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('Write believable CloudTrail logs in the S3 layout, with attack scenarios injected')
    .requiredOption('--out <dir>', 'where to write AWSLogs/...')
    .option('--days <n>', 'days of history', positiveInteger, 2)
    .option('--events <n>', 'events in total', positiveInteger, 20_000)
    .option('--accounts <n>', 'AWS accounts', positiveInteger, 1)
    .option('--seed <seed>', 'random seed', 'revoker')
    .option('--end <time>', 'end of the window (ISO 8601)', isoTime, new Date(DEFAULT_END))
    .addOption(
      new Option('--scenario <name...>', 'attack scenarios to inject')
        .choices(SCENARIOS)
        .default(['compromised-role-session']),
    )
    .action(
      (options: {
        out: string;
        days: number;
        events: number;
        accounts: number;
        seed: string;
        end: Date;
        scenario: ScenarioName[];
      }) => {
        const started = performance.now();
        const result = generate({ ...options, scenarios: options.scenario });
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        console.log(
          `wrote ${result.records} events in ${result.files} log files under ${options.out} (${seconds}s)`,
        );
        console.log(
          `window ${result.start.toISOString()} .. ${result.end.toISOString()}, accounts ${result.accounts.map((a) => a.id).join(', ')}`,
        );
        for (const truth of result.scenarios) {
          const who =
            truth.scenario === 'compromised-role-session'
              ? `${truth.roleArn} session ${truth.sessionName}`
              : `${truth.principalArn} key ${truth.accessKeyId}`;
          console.log(`scenario ${truth.scenario}: ${who} from ${truth.attackerIp} at ${truth.startedAt}`);
        }
      },
    );
}
