// `revoker runbook`: list the runbooks, show one, or run one over local logs (DuckDB) or
// Athena, the same SQL either way. `--explain` prints what would be sent, without running.
import { AthenaClient } from '@aws-sdk/client-athena';
import { type Command, Option } from 'commander';
import * as z from 'zod';
import { AthenaQueryEngine, executionParameter } from '../lib/aws/athena-engine.ts';
import { DEFAULT_CONFIG_FILE } from '../lib/config-file.ts';
import { DuckDbQueryEngine } from '../lib/local/duckdb-engine.ts';
import type { QueryEngine, SqlCell } from '../lib/ports.ts';
import { loadRunbooks, type Runbook, RunbookParameterError } from '../lib/runbooks/catalog.ts';
import { planRunbook, runRunbook } from '../lib/usecases/run-runbook.ts';
import { InputError, requireExisting } from './exit-codes.ts';
import { callOperator, DEMO_STATE, DEPLOYED_OPTION } from './operator.ts';
import { plural, printable, printJson, table } from './output.ts';
import { progress } from './progress.ts';

interface RunOptions {
  deployed?: string;
  dir?: string;
  config?: string;
  logs?: string;
  athena?: boolean;
  workgroup?: string;
  database?: string;
  table?: string;
  param: string[];
  json?: boolean;
  explain?: boolean;
}

/** What the operator API answers for a run. */
const RemoteRunSchema = z.object({
  runbook: z.string(),
  contentHash: z.string(),
  columns: z.array(z.string()),
  rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))),
  bytesScanned: z.number().nullable(),
});

function printRows(columns: string[], rows: Record<string, SqlCell>[]): void {
  if (rows.length === 0) console.log('(no rows)');
  else
    console.log(
      table([columns, ...rows.map((row) => columns.map((column) => printable(row[column] ?? null)))]),
    );
}

export class RunbookCommandError extends InputError {
  override name = 'RunbookCommandError';
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseParams(pairs: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new RunbookParameterError(`--param ${pair}: expected name=value`);
    values[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return values;
}

function firstSentence(text: string): string {
  return text.split(/(?<=[.?])\s/)[0] ?? text;
}

function describeRunbook(runbook: Runbook): string {
  const lines = [`${runbook.id}: ${runbook.purpose}`, '', 'Parameters:'];
  lines.push(
    table(runbook.parameters.map((parameter) => [parameter.name, parameter.type, parameter.description])),
  );
  lines.push('', 'Output columns:');
  lines.push(table(runbook.outputs.map((output) => [output.name, output.description])));
  lines.push('', `Reading: ${runbook.reading}`);
  lines.push('', 'A partition day `<name>_day` may be left out: it is derived from the instant `<name>`.');
  return lines.join('\n');
}

/** Where runbooks query: `--logs DIR` (DuckDB) or `--athena` with its workgroup, database and table. */
export function queryOptions(command: Command): Command {
  return command
    .option('--logs <dir>', 'CloudTrail log files in the S3 layout (AWSLogs/...), queried with DuckDB')
    .addOption(
      new Option(
        '--athena',
        'query Athena instead (AWS credentials and region from the environment)',
      ).conflicts('logs'),
    )
    .option('--workgroup <name>', 'Athena workgroup')
    .option('--database <name>', 'Athena database')
    .option('--table <name>', 'Athena CloudTrail table (runbooks call it cloudtrail_logs)');
}

export async function openEngine(
  options: Pick<RunOptions, 'athena' | 'workgroup' | 'database' | 'table' | 'logs'>,
): Promise<{ engine: QueryEngine; close: () => Promise<void> }> {
  if (options.athena) {
    const { workgroup, database, table: tableName } = options;
    if (!workgroup || !database || !tableName) {
      throw new RunbookCommandError('--athena needs --workgroup, --database and --table');
    }
    const client = new AthenaClient({});
    const engine = new AthenaQueryEngine(client, {
      workGroup: workgroup,
      database,
      table: tableName,
      deadlineMillis: 300_000,
    });
    return { engine, close: async () => client.destroy() };
  }
  if (!options.logs) throw new RunbookCommandError('say where to query: --logs DIR, or --athena');
  requireExisting([options.logs], '--logs');
  const shown = progress(`loading ${options.logs}`);
  const engine = await DuckDbQueryEngine.open(options.logs).finally(shown.done);
  return {
    engine,
    close: async () => {
      for (const rejected of engine.rejectedFiles) {
        process.stderr.write(`revoker: skipped unreadable log file ${rejected.path}: ${rejected.reason}\n`);
      }
      // Worded as `revoker parse` words a rejection: the file, the record's position, the reason.
      for (const { path, index, reason } of engine.rejectedRecords) {
        process.stderr.write(`revoker: skipped ${path} (record ${index}): ${reason}\n`);
      }
      await engine.close();
    },
  };
}

export function registerRunbook(program: Command): void {
  const runbook = program
    .command('runbook')
    .description(
      'Investigation queries over CloudTrail: the same SQL on local log files (DuckDB) and on Athena',
    );

  runbook
    .command('list')
    .description('List the runbooks and what each answers')
    .option('--json', 'print the catalog as JSON')
    .action((options: { json?: boolean }) => {
      const runbooks = [...loadRunbooks().values()];
      if (options.json) {
        printJson(
          runbooks.map(({ id, purpose, parameters, outputs, reading }) => ({
            id,
            purpose,
            parameters,
            outputs,
            reading,
          })),
        );
        return;
      }
      console.log(table(runbooks.map((entry) => [entry.id, printable(firstSentence(entry.purpose), 110)])));
      console.log('\n`revoker runbook show ID` gives its parameters and how to read it.');
    });

  runbook
    .command('show')
    .description('Show one runbook: parameters, output columns, how to read the result')
    .argument('<id>', 'the runbook, as `runbook list` names it')
    .option('--json', 'print the runbook as JSON, its SQL included')
    .action((id: string, options: { json?: boolean }) => {
      const found = loadRunbooks().get(id);
      if (!found) throw new RunbookCommandError(`no runbook ${id}; \`revoker runbook list\` names them`);
      if (options.json) return printJson(found);
      console.log(describeRunbook(found));
    });

  queryOptions(
    runbook
      .command('run')
      .description('Run one runbook and print its rows')
      .argument('<id>', 'the runbook, as `runbook list` names it'),
  )
    .option('--param <name=value>', 'a parameter value; repeat for each', collect, [])
    .addOption(new Option(...DEPLOYED_OPTION).conflicts(['logs', 'athena', 'explain']))
    .option('--dir <dir>', 'with --deployed local: the demo’s directory', DEMO_STATE)
    .option('--config <file>', 'with --deployed local: the configuration file', DEFAULT_CONFIG_FILE)
    .option('--json', 'print the rows, the SQL and the bound values as JSON')
    .option('--explain', 'print the SQL and the bound parameters without running')
    .action(async (id: string, options: RunOptions) => {
      const runbooks = loadRunbooks();
      const values = parseParams(options.param);
      if (options.deployed) {
        // Checked here first, so a bad value is named before anything is sent; the API checks again.
        planRunbook(runbooks, id, values);
        const answer = RemoteRunSchema.parse(
          await callOperator(
            { deployed: options.deployed, dir: options.dir, config: options.config },
            'POST',
            `runbooks/${id}/runs`,
            { parameters: values },
          ),
        );
        if (options.json) return printJson(answer);
        printRows(answer.columns, answer.rows);
        const scanned =
          answer.bytesScanned === null
            ? ''
            : ` · ${(answer.bytesScanned / 1_048_576).toFixed(1)} MiB scanned`;
        console.log(
          `\n${plural(answer.rows.length, 'row')}${scanned} · runbook ${answer.contentHash.slice(0, 12)} · recorded in the audit log`,
        );
        return;
      }
      if (options.explain) {
        const { runbook: found, request } = planRunbook(runbooks, id, values);
        const bound = found.bindOrder.map((name, index) => [
          `?${index + 1}`,
          name,
          options.athena
            ? executionParameter(request.parameters[index]!)
            : JSON.stringify(request.parameters[index]),
        ]);
        if (options.json) {
          printJson({
            runbook: id,
            sql: request.sql,
            parameters: bound.map(([position, name, value]) => ({ position, name, value })),
          });
          return;
        }
        console.log(request.sql.trimEnd());
        console.log(
          `\nBound parameters (${options.athena ? 'as Athena ExecutionParameters' : 'as DuckDB values'}):`,
        );
        console.log(table(bound.map((row) => row.map((cell) => printable(cell, 100)))));
        return;
      }
      planRunbook(runbooks, id, values); // a bad value fails here, before any engine opens
      const { engine, close } = await openEngine(options);
      try {
        const { request, result } = await runRunbook(runbooks, engine, id, values);
        if (options.json) {
          printJson({ runbook: id, parameters: values, sql: request.sql, ...result });
          return;
        }
        printRows(result.columns, result.rows);
        const scanned =
          result.bytesScanned === null
            ? ''
            : ` · ${(result.bytesScanned / 1_048_576).toFixed(1)} MiB scanned`;
        console.log(
          `\n${plural(result.rows.length, 'row')} · ${Math.round(result.engineMillis)} ms${scanned}`,
        );
      } finally {
        await close();
      }
    });
}
