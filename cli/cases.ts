// `revoker cases list` and `revoker cases show ID`: the local case records (the demo's by
// default), as a table of cases and as one case's timeline.
import { join } from 'node:path';
import type { Command } from 'commander';
import { type Case, describeRanking, rankingOf } from '../lib/domain/case.ts';
import { principalArnOf } from '../lib/domain/trigger.ts';
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
    .action(async (options: { cases: string; json?: boolean }) => {
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
