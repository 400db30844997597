// `revoker rules` lists the detection catalog (and, with --eventbridge, prints the detect
// function's EventBridge rules for template.yaml); `revoker replay PATH` runs the rules over
// log files and prints the cases they would open.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { eventBridgeEvents, RULES } from '../lib/domain/rules.ts';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/local/config-file.ts';
import { readRecordFiles } from '../lib/local/record-files.ts';
import { replay } from '../lib/usecases/replay.ts';
import { printable, printJson, table } from './output.ts';

async function* parsedRecords(paths: string[]) {
  for await (const entry of readRecordFiles(paths)) {
    if (entry.kind === 'parsed' && entry.principal.ok) {
      yield { record: entry.record, principal: entry.principal.principal, file: entry.file };
    }
  }
}

export function registerRules(program: Command): void {
  program
    .command('rules')
    .description('List the detection rules: tactic, severity, and the response each case gets')
    .option('--config <file>', 'configuration file (for per-rule response overrides)', DEFAULT_CONFIG_FILE)
    .option('--eventbridge', "print the detect function's EventBridge rules, as template.yaml holds them")
    .option('--json', 'print the catalog as JSON')
    .action(async (options: { config: string; eventbridge?: boolean; json?: boolean }) => {
      if (options.eventbridge) {
        process.stdout.write(stringify({ Events: eventBridgeEvents() }, { lineWidth: 0 }));
        return;
      }
      const config = await loadConfigFile(options.config);
      const rows = RULES.map((rule) => ({
        id: rule.id,
        tactic: rule.tactic,
        severity: rule.severity,
        response: config.rules[rule.id]?.response ?? rule.response,
        configured: config.rules[rule.id] !== undefined,
        readOnlyEvents: rule.readOnlyEvents,
        title: rule.title,
      }));
      if (options.json) return printJson(rows);
      console.log(
        table([
          ['rule', 'tactic', 'severity', 'response', 'title'],
          ...rows.map((row) => [
            row.id,
            row.tactic,
            row.severity,
            `${row.response}${row.configured ? '*' : ''}`,
            row.title,
          ]),
        ]),
      );
      console.log('\n* set in the configuration; the others are the catalog defaults.');
    });

  program
    .command('replay')
    .description(
      'Run the detection rules over log files and print the cases they would open (starts nothing)',
    )
    .argument('<paths...>', 'log files or directories (plain, gzipped, JSON Lines, EventBridge envelopes)')
    .option('--json', 'print the cases as JSON')
    .action(async (paths: string[], options: { json?: boolean }) => {
      const result = await replay(parsedRecords(paths));
      if (options.json) return printJson(result);
      console.log(`${result.records} records read; ${result.cases.length} cases would open.`);
      if (result.cases.length > 0) {
        console.log(
          `\n${table([
            ['first call', 'rule', 'severity', 'principal', 'source', 'calls', 'also'],
            ...result.cases.map((found) => [
              found.firstEvent.eventTime,
              found.ruleId,
              found.severity,
              printable(found.principal),
              printable(found.firstEvent.sourceIp),
              String(found.calls),
              found.rules.filter((rule) => rule !== found.ruleId).join(', ') || '-',
            ]),
          ])}`,
        );
      }
      if (result.refused.length > 0) {
        const byReason = new Map<string, { count: number; example: string }>();
        for (const refusal of result.refused) {
          const seen = byReason.get(refusal.reason) ?? {
            count: 0,
            example: `${refusal.file} (${refusal.eventName})`,
          };
          seen.count += 1;
          byReason.set(refusal.reason, seen);
        }
        console.log(`\n${result.refused.length} calls matched a rule but cannot open a case:`);
        for (const [reason, { count, example }] of byReason)
          console.log(`  ${count} × ${reason}\n      e.g. ${example}`);
      }
    });
}
