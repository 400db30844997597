// `revoker rules` lists the detection catalog (and, with --eventbridge, prints the detect
// function's EventBridge rules for template.yaml); `revoker replay PATH` runs the rules over
// log files and prints the cases they would open.
import { type Command, InvalidArgumentError } from 'commander';
import { stringify } from 'yaml';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/config-file.ts';
import { accountLabel, accountNeedsHuman, approversIn, modeIn, responseIn } from '../lib/domain/accounts.ts';
import type { Config } from '../lib/domain/config.ts';
import { eventBridgeEvents, RULES } from '../lib/domain/rules.ts';
import { replayFiles } from '../lib/local/record-files.ts';
import { describeRaise, type ReplayResult } from '../lib/usecases/replay.ts';
import { InputError, requireExisting } from './exit-codes.ts';
import { plural, printable, printJson, table } from './output.ts';
import { progress } from './progress.ts';

function accountId(value: string): string {
  if (!/^\d{12}$/.test(value)) throw new InvalidArgumentError('expected a 12-digit account ID');
  return value;
}

/** A rule's response in the account, as a case there gets it: a human's alone where the account says so. */
function shownResponse(config: Config, rule: (typeof RULES)[number], account: string | null): string {
  const response = responseIn(config, rule, account);
  return response === 'auto-revoke' && accountNeedsHuman(config.accounts, account)
    ? 'escalate (account)'
    : response;
}

/** How revoker treats the account: enrolled or not, its mode, who answers, and whether it acts alone. */
function accountSummary(config: Config, id: string): string {
  const entry = config.accounts?.enrolled.find((account) => account.id === id);
  if (config.accounts && !entry)
    return `account ${id}: not enrolled (accounts.enrolled): nothing is changed there, every case goes to a human. The responses below are what its cases would have once enrolled.`;
  if (!config.accounts)
    return `account ${id}: without an accounts section revoker acts in its own account only: these responses apply if ${id} is that account; in any other, nothing is changed and every case goes to a human.`;
  return [
    `account ${accountLabel(config.accounts, id)}: enrolled, mode ${modeIn(config, id)}`,
    `  approvers: ${approversIn(config, id).join(', ')}`,
    ...(entry?.humanApprovalOnly ? ['  every case here goes to a human (humanApprovalOnly)'] : []),
  ].join('\n');
}

export function registerRules(program: Command): void {
  program
    .command('rules')
    .description('List the detection rules: tactic, severity, and the response each case gets')
    .option('--config <file>', 'configuration file (for per-rule response overrides)', DEFAULT_CONFIG_FILE)
    .option('--eventbridge', "print the detect function's EventBridge rules, as template.yaml holds them")
    .option(
      '--account <id>',
      'the responses in this account, as its settings in accounts.enrolled make them',
      accountId,
    )
    .option('--json', 'print the catalog as JSON')
    .action(async (options: { config: string; eventbridge?: boolean; json?: boolean; account?: string }) => {
      if (options.eventbridge) {
        const events = { Events: eventBridgeEvents() };
        if (options.json) return printJson(events);
        process.stdout.write(stringify(events, { lineWidth: 0 }));
        return;
      }
      const config = await loadConfigFile(options.config);
      const account = options.account ?? null;
      const rows = RULES.map((rule) => ({
        id: rule.id,
        tactic: rule.tactic,
        severity: rule.severity,
        response: shownResponse(config, rule, account),
        configured:
          responseIn(config, rule, account) !== rule.response || config.rules[rule.id] !== undefined,
        readOnlyEvents: rule.readOnlyEvents,
        title: rule.title,
      }));
      if (options.json) return printJson(rows);
      if (options.account) console.log(`${accountSummary(config, options.account)}\n`);
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
      console.log(
        `\n* set in the configuration${options.account ? ' (the account’s own, or the top level)' : ''}; the others are the catalog defaults.`,
      );
    });

  program
    .command('replay')
    .description(
      'Run the detection rules over log files and print the cases they would open (starts nothing)',
    )
    .addHelpText(
      'after',
      `
Cases follow the credential, as the pipeline does: each credential (access key, role session,
user, root of an account) has at most one open case. Its first matching call opens it; later
matching calls join it, and raise it when their rule is more severe or asks for a stronger
response (notify < escalate < auto-revoke): the case then stands at the most severe rule's
severity and the strongest response any of its calls earned. Calls are taken in time order and
a duplicate record counts once. (In the pipeline a closed case never takes a new call: the
next one opens a new case, linked to it. A replay closes nothing.)`,
    )
    .argument(
      '<paths...>',
      'log files or directories (plain, gzipped, JSON Lines, EventBridge envelopes, GuardDuty and Security Hub findings events)',
    )
    .option('--config <file>', 'configuration file (for per-rule response overrides)', DEFAULT_CONFIG_FILE)
    .option('--json', 'print the cases as JSON, each with its raises')
    .action(async (paths: string[], options: { config: string; json?: boolean }) => {
      requireExisting(paths);
      const config = await loadConfigFile(options.config);
      const shown = progress(`reading ${paths.join(' ')}`);
      const result = await replayFiles(paths, config).finally(shown.done);
      reportUnusable(result);
      if (options.json) printJson(result);
      else printReplay(result);
      if (result.records === 0)
        throw new InputError(
          result.unusableFiles.length === 0
            ? `no records under ${paths.join(', ')}`
            : `nothing could be read in ${plural(result.unusableFiles.length, 'file')}`,
        );
    });
}

/** On stderr, so `--json` output stays one document: each file nothing could be read from, and why. */
function reportUnusable({ unusableFiles }: ReplayResult): void {
  for (const { file, reason } of unusableFiles.slice(0, MAX_NAMED))
    process.stderr.write(`revoker: nothing usable in ${file}: ${printable(reason, 200)}\n`);
  if (unusableFiles.length > MAX_NAMED)
    process.stderr.write(
      `revoker: … and ${plural(unusableFiles.length - MAX_NAMED, 'more file')} (\`revoker parse\` lists them all)\n`,
    );
}

const MAX_NAMED = 20;

function printReplay(result: ReplayResult): void {
  console.log(`${plural(result.records, 'record')} read; ${plural(result.cases.length, 'case')} would open.`);
  if (result.cases.length > 0) {
    console.log(
      `\n${table([
        ['first call', 'opened by', 'stands at', 'principal', 'source', 'calls', 'raises'],
        ...result.cases.map((found) => [
          found.firstEvent.eventTime,
          found.ruleId,
          `${found.severity} ${found.response}${found.raises.length > 0 ? ` (${found.standingRuleId})` : ''}`,
          printable(found.principal),
          printable(found.firstEvent.sourceIp),
          String(found.calls),
          String(found.raises.length),
        ]),
      ])}`,
    );
    for (const found of result.cases.filter((candidate) => candidate.raises.length > 0)) {
      console.log(`\nRaises of the case opened by ${found.ruleId} on ${printable(found.principal)}:`);
      for (const raise of found.raises) console.log(`  ${printable(describeRaise(raise), 400)}`);
    }
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
    console.log(
      `\n${plural(result.refused.length, 'call or finding', 'calls and findings')} that cannot open a case:`,
    );
    for (const [reason, { count, example }] of byReason)
      console.log(`  ${count} × ${reason}\n      e.g. ${example}`);
  }
  if (result.unreadable > 0)
    console.log(
      `\n${plural(result.unreadable, 'record or document', 'records and documents')} could not be read, or named no principal revoker resolves: \`revoker parse\` on the same paths says which, and why.`,
    );
  if (result.ignored.length > 0) {
    console.log(`\n${plural(result.ignored.length, 'finding')} taken in but not acted on:`);
    for (const { file, reason } of result.ignored) console.log(`  ${file}: ${printable(reason, 400)}`);
  }
}
