// `revoker cases list`, `revoker cases show ID` and `revoker cases export`: the local case
// records (the demo's by default), as a table of cases, as one case's timeline, and as JSON
// Lines for a SIEM or a data lake (the closed cases, as the deployed stack archives them).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { type Case, describeRanking, isOpen, rankingOf } from '../lib/domain/case.ts';
import { EXPORT_FORMATS, type ExportFormat, exportLine } from '../lib/domain/case-export.ts';
import { principalArnOf } from '../lib/domain/trigger.ts';
import { writeFileAtomic } from '../lib/local/atomic-file.ts';
import { FileCaseStore } from '../lib/local/case-store.ts';
import { InputError } from './exit-codes.ts';
import { plural, printable, printJson, table } from './output.ts';

export class CaseCommandError extends InputError {
  override name = 'CaseCommandError';
}

export function registerCases(program: Command): void {
  const cases = program
    .command('cases')
    .description('The case records: what each case found, did and ended as');
  const directory = join('.local', 'demo', 'cases');

  cases
    .command('list')
    .description('One line per case, newest first')
    .option('--cases <dir>', 'case records', directory)
    .option('--json', 'print the records as JSON')
    .action(async (options: { cases: string; json?: boolean }, command: Command) => {
      requireCaseDirectory(command);
      const records = (await new FileCaseStore(options.cases).list()).sort((a, b) =>
        a.header.openedAt < b.header.openedAt ? 1 : -1,
      );
      if (options.json) return printJson(records);
      if (records.length === 0) return console.log(`no cases in ${options.cases}`);
      console.log(
        table([
          ['case', 'opened', 'stands at', 'principal', 'last step', 'outcome'],
          ...records.map(({ header, entries }) => [
            header.caseId,
            header.openedAt,
            `${header.standing.ruleId} (${header.standing.severity}, ${header.standing.response})`,
            printable(principalArnOf(header.trigger.target)),
            entries.at(-1)?.step ?? '-',
            // A revocation undone since is not containment any more: say so beside the outcome.
            `${header.outcome ?? 'open'}${entries.some((entry) => entry.step === 'undo' && entry.detail.failure === null) ? ' (undone)' : ''}`,
          ]),
        ]),
      );
    });

  cases
    .command('show')
    .description('One case’s timeline: each step, when, and what it found or did')
    .argument('<case>', 'the case ID')
    .option('--cases <dir>', 'case records', directory)
    .option('--json', 'print the record as JSON, evidence and IAM states included')
    .action(async (caseId: string, options: { cases: string; json?: boolean }) => {
      const record = await new FileCaseStore(options.cases).get(caseId);
      if (!record) throw new CaseCommandError(`there is no case ${caseId} in ${options.cases}`);
      if (options.json) return printJson(record);
      const lines = caseTimeline(record);
      console.log(lines.join('\n'));
    });

  cases
    .command('export')
    .description('The closed cases as JSON Lines (one case a line), oldest first, for a SIEM or a data lake')
    .option('--cases <dir>', 'case records', directory)
    .addOption(
      new Option('--format <format>', 'json: the full record; ocsf: an OCSF 1.1.0 Detection Finding')
        .choices(EXPORT_FORMATS)
        .default('json'),
    )
    .option('--out <file>', 'write to this file (replaced whole) instead of standard output')
    .action(async (options: { cases: string; format: ExportFormat; out?: string }) => {
      // An export that quietly finds nothing in a misspelt directory would feed a SIEM nothing.
      if (!existsSync(options.cases))
        throw new CaseCommandError(`there are no case records in ${options.cases}: no such directory`);
      const records = await new FileCaseStore(options.cases).list();
      const closed = records.filter((record) => !isOpen(record.header)).sort(byClosing);
      const text = closed.map((record) => `${exportLine(record, options.format)}\n`).join('');
      if (options.out) await writeFileAtomic(options.out, text);
      else process.stdout.write(text);
      const open = records.length - closed.length;
      // The count goes to standard error: standard output is the data.
      process.stderr.write(
        `${plural(closed.length, 'closed case')} exported as ${options.format}${options.out ? ` to ${options.out}` : ''}${open > 0 ? ` (${plural(open, 'open case')} left out until closed)` : ''}\n`,
      );
    });
}

/**
 * The `--cases` directory must be there: a misspelt one, or no demo run yet, must not read as
 * "no cases". An existing empty directory is fine.
 */
export function requireCaseDirectory(command: Command): void {
  const directory = command.getOptionValue('cases') as string;
  if (existsSync(directory)) return;
  throw new CaseCommandError(
    command.getOptionValueSource('cases') === 'default'
      ? `no case records in ${directory}: run \`npx revoker demo\` first, or name the directory with --cases`
      : `no such directory: ${directory} (--cases)`,
  );
}

/** Oldest close first; the case ID orders cases closed at the same instant, so the output is stable. */
function byClosing(a: Case, b: Case): number {
  const [x, y] = [a.header, b.header];
  if (x.closedAt !== y.closedAt) return (x.closedAt ?? '') < (y.closedAt ?? '') ? -1 : 1;
  return x.caseId < y.caseId ? -1 : x.caseId > y.caseId ? 1 : 0;
}

/** A case as people read it: the outcome, the trigger, where it stands, then one line per step. */
export function caseTimeline(record: Case): string[] {
  const { header } = record;
  const trigger = header.trigger;
  return [
    `Case ${header.caseId}, opened ${header.openedAt}: ${header.outcome ?? 'open'}`,
    `Trigger: rule ${trigger.ruleId} on ${trigger.eventName} by ${printable(principalArnOf(trigger.target))}${trigger.sourceIp ? ` from ${printable(trigger.sourceIp)}` : ''} at ${trigger.eventTime}`,
    `Stands at: ${describeRanking(rankingOf(header.standing))}${header.revision > 0 ? `, raised ${plural(header.revision, 'time')}` : ''}`,
    ...(header.previousCaseId ? [`Previous case of this credential: ${header.previousCaseId}`] : []),
    '',
    ...record.entries.map(
      (entry) => `${entry.at}  ${entry.step.padEnd(13)} ${printable(entry.summary, 10_000)}`,
    ),
  ];
}
