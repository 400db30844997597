import type { Command } from 'commander';
import type { ParseSummary } from '../lib/domain/parse-summary.ts';
import { summarizeFiles } from '../lib/local/record-files.ts';
import { InputError, requireExisting } from './exit-codes.ts';
import { plural, printJson, table } from './output.ts';
import { progress } from './progress.ts';

function printSummary(summary: ParseSummary): void {
  console.log(`files      ${summary.files} (${summary.skippedFiles.length} skipped: not CloudTrail)`);
  console.log(`read       ${summary.read}`);
  console.log(`parsed     ${summary.parsed}`);
  console.log(`insights   ${summary.insights} (CloudTrail Insights events: kept, not API calls)`);
  if (summary.findings > 0)
    console.log(
      `findings   ${summary.findings} (GuardDuty and Security Hub findings events: revoker replay reads them)`,
    );
  console.log(`rejected   ${summary.rejected}`);
  if (summary.rejected > 0) {
    console.log('\nRejected, by reason:');
    console.log(
      table(Object.entries(summary.rejectedByReason).map(([reason, count]) => [String(count), reason])),
    );
    console.log('\nRejected, where:');
    for (const rejection of summary.rejections) {
      const where = [
        rejection.line === undefined ? null : `line ${rejection.line}`,
        rejection.index === null ? null : `record ${rejection.index}`,
      ]
        .filter((part) => part !== null)
        .join(', ');
      console.log(`  ${rejection.file} (${where || 'whole file'}): ${rejection.reason}`);
    }
  }
  if (summary.notes.length > 0) {
    console.log('\nParsed, with a note:');
    for (const { file, index, line, note } of summary.notes)
      console.log(`  ${file} (${line === undefined ? '' : `line ${line}, `}record ${index}): ${note}`);
  }
  console.log('\nPrincipals, by kind:');
  console.log(table(Object.entries(summary.principalsByKind).map(([kind, count]) => [String(count), kind])));
  if (Object.keys(summary.unresolvedPrincipals).length > 0) {
    console.log('\nParsed records whose principal could not be resolved:');
    console.log(
      table(Object.entries(summary.unresolvedPrincipals).map(([reason, count]) => [String(count), reason])),
    );
  }
}

export function registerParse(program: Command): void {
  program
    .command('parse')
    .description(
      'Read CloudTrail log files, records and EventBridge envelopes; count what parses and why the rest does not',
    )
    .argument('<paths...>', 'files or directories (plain, gzipped, JSON Lines)')
    .option('--json', 'print the full summary as JSON')
    .action(async (paths: string[], options: { json?: boolean }) => {
      requireExisting(paths);
      const shown = progress(`reading ${paths.join(' ')}`);
      const summary = await summarizeFiles(paths).finally(shown.done);
      if (options.json) printJson(summary);
      else printSummary(summary);
      // The summary above names each file; the exit status says nothing was there to read.
      if (summary.parsed + summary.insights + summary.findings === 0)
        throw new InputError(
          summary.files === 0
            ? `no files under ${paths.join(', ')}`
            : `nothing could be read in ${plural(summary.files, 'file')}: no CloudTrail record, EventBridge envelope or findings event`,
        );
    });
}
