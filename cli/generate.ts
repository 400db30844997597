import { existsSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { generateInParallel } from '../lib/local/generator/generate.ts';
import { KEY_PREFIX, ORGANIZATION_ID } from '../lib/local/generator/log-writer.ts';
import { SCENARIOS, type ScenarioName } from '../lib/local/generator/scenarios.ts';
import { LocalIamAccount } from '../lib/local/iam-account.ts';
import { plural, printJson } from './output.ts';
import { progress } from './progress.ts';

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

function organizationId(value: string): string {
  if (!ORGANIZATION_ID.test(value))
    throw new InvalidArgumentError('expected an organisation ID such as o-a1b2c3d4e5');
  return value;
}

function keyPrefix(value: string): string {
  if (!KEY_PREFIX.test(value)) throw new InvalidArgumentError('expected a key prefix such as trails/org');
  return value;
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
    .option(
      '--org <id>',
      "write an organisation trail's layout: AWSLogs/<o-id>/<account>/...",
      organizationId,
    )
    .option('--prefix <prefix>', "the trail's S3 key prefix: <prefix>/AWSLogs/...", keyPrefix)
    .option('--end <time>', 'end of the window (ISO 8601)', isoTime, new Date(DEFAULT_END))
    .option(
      '--iam-dir <dir>',
      "also write each workload scenario's role, with its current policy, as a local IAM account file there (for revoker refine --iam-dir)",
    )
    .addOption(
      new Option('--scenario <name...>', 'attack scenarios to inject')
        .choices(SCENARIOS)
        .default(['compromised-role-session']),
    )
    .option('--json', 'print what was written, with each scenario’s ground truth, as JSON')
    .action(
      async (options: {
        out: string;
        days: number;
        events: number;
        accounts: number;
        seed: string;
        end: Date;
        scenario: ScenarioName[];
        org?: string;
        prefix?: string;
        iamDir?: string;
        json?: boolean;
      }) => {
        const started = performance.now();
        const { org, prefix, scenario, iamDir, json, ...rest } = options;
        const layout = { ...(org ? { organizationId: org } : {}), ...(prefix ? { prefix } : {}) };
        const shown = progress(`writing ${plural(options.events, 'event')} to ${options.out}`);
        const result = await generateInParallel({ ...rest, scenarios: scenario, layout }).finally(shown.done);
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        // With --json the lines are not printed; the JSON carries the same facts.
        const log = json ? () => undefined : (line: string) => console.log(line);
        const iamFiles: string[] = [];
        log(
          `wrote ${plural(result.records, 'event')} in ${plural(result.files, 'log file')} under ${options.out} (${seconds}s)`,
        );
        log(
          `window ${result.start.toISOString()} .. ${result.end.toISOString()}, accounts ${result.accounts.map((a) => a.id).join(', ')}`,
        );
        for (const truth of result.scenarios) {
          if (truth.scenario === 'overprivileged-workload') {
            if (iamDir) {
              const account = new LocalIamAccount(LocalIamAccount.pathFor(iamDir, truth.account));
              const held = existsSync(account.file)
                ? await account.load()
                : { accountId: truth.account, roles: {} };
              await account.save({
                ...held,
                roles: {
                  ...held.roles,
                  [truth.roleName]: {
                    arn: truth.roleArn,
                    path: truth.roleArn.slice(
                      truth.roleArn.indexOf(':role') + 5,
                      truth.roleArn.lastIndexOf('/') + 1,
                    ),
                    inlinePolicies: { [truth.inlinePolicyName]: JSON.stringify(truth.currentPolicy) },
                  },
                },
              });
              iamFiles.push(account.file);
              log(`wrote ${truth.roleName} and its policy ${truth.inlinePolicyName} to ${account.file}`);
            }
            log(
              `scenario overprivileged-workload: ${truth.roleArn} (function ${truth.functionName}, ` +
                `s3:* on *) made ${truth.putObjectCalls} PutObject calls to s3://${truth.bucket}/${truth.keyPrefix} ` +
                `from ${truth.startedAt} to ${truth.endedAt}; least privilege: ${truth.refinedStatement.Action} ` +
                `on ${truth.refinedStatement.Resource}`,
            );
            continue;
          }
          const who =
            truth.scenario === 'compromised-role-session' || truth.scenario === 'stolen-instance-credentials'
              ? `${truth.roleArn} session ${truth.sessionName}`
              : `${truth.principalArn} key ${truth.accessKeyId}`;
          log(`scenario ${truth.scenario}: ${who} from ${truth.attackerIp} at ${truth.startedAt}`);
        }
        if (json)
          printJson({
            out: options.out,
            files: result.files,
            records: result.records,
            start: result.start,
            end: result.end,
            accounts: result.accounts.map(({ id, regions }) => ({ id, regions })),
            scenarios: result.scenarios,
            iamFiles,
          });
      },
    );
}
