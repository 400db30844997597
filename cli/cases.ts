// `revoker cases list` and `revoker cases show ID`: the local case records (the demo's by
// default), as a table of cases and as one case's timeline.
import { join } from 'node:path';
import type { Command } from 'commander';
import { principalArnOf, type Trigger, TriggerSchema } from '../lib/domain/trigger.ts';
import { FileCaseStore } from '../lib/local/case-store.ts';
import type { CaseRecord } from '../lib/ports.ts';
import { printable, printJson, table } from './output.ts';

export class CaseCommandError extends Error {
  override name = 'CaseCommandError';
}

/** The trigger as stored; a damaged one is shown as such rather than failing the listing. */
function triggerOf(record: CaseRecord): Trigger | null {
  const parsed = TriggerSchema.safeParse(record.trigger);
  return parsed.success ? parsed.data : null;
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
        a.openedAt < b.openedAt ? 1 : -1,
      );
      if (options.json) return printJson(records);
      if (records.length === 0) return console.log(`no cases in ${options.cases}`);
      console.log(
        table([
          ['case', 'opened', 'rule', 'principal', 'last step', 'outcome'],
          ...records.map((record) => {
            const trigger = triggerOf(record);
            return [
              record.caseId,
              record.openedAt,
              trigger?.ruleId ?? '(unreadable trigger)',
              trigger ? printable(principalArnOf(trigger.target)) : '-',
              record.audit.at(-1)?.step ?? '-',
              record.outcome ?? 'open',
            ];
          }),
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

/** A case as people read it: the outcome, the trigger, then one line per step. */
export function caseTimeline(record: CaseRecord): string[] {
  const trigger = triggerOf(record);
  return [
    `Case ${record.caseId}, opened ${record.openedAt}: ${record.outcome ?? 'open'}`,
    trigger
      ? `Trigger: rule ${trigger.ruleId} on ${trigger.eventName} by ${printable(principalArnOf(trigger.target))}${trigger.sourceIp ? ` from ${printable(trigger.sourceIp)}` : ''} at ${trigger.eventTime}`
      : 'Trigger: (unreadable)',
    '',
    ...record.audit.map(
      (entry) => `${entry.at}  ${entry.step.padEnd(11)} ${printable(entry.summary, 10_000)}`,
    ),
  ];
}
